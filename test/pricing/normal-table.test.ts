import { describe, expect, it } from "vitest";
import { gaussLegendre } from "../../src/pricing/gauss-legendre.ts";
import { normCdf } from "../../src/pricing/normal.ts";
import { normCdfFast } from "../../src/pricing/normal-table.ts";

describe("normCdfFast", () => {
  it("is within 2e-15 of normCdf everywhere (absolute), piece edges included", () => {
    let worst = 0;
    for (let x = -40; x <= 40; x += 0.000731) worst = Math.max(worst, Math.abs(normCdfFast(x) - normCdf(x)));
    for (let edge = -9; edge <= 9; edge += 0.5)
      for (const x of [edge - 1e-12, edge, edge + 1e-12])
        worst = Math.max(worst, Math.abs(normCdfFast(x) - normCdf(x)));
    expect(worst).toBeLessThan(2e-15);
  });

  it("keeps the symmetry N(−x) = 1 − N(x) and passes NaN through", () => {
    for (const x of [0, 0.3, 1.7, 4.2, 8.9]) expect(normCdfFast(-x) + normCdfFast(x)).toBeCloseTo(1, 14);
    expect(normCdfFast(Number.NaN)).toBeNaN();
  });
});

describe("gaussLegendre", () => {
  it("integrates polynomials of degree 2n − 1 exactly", () => {
    for (const n of [1, 5, 16]) {
      const { nodes, weights } = gaussLegendre(n);
      for (let degree = 0; degree <= 2 * n - 1; degree++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += weights[i]! * nodes[i]! ** degree;
        const exact = degree % 2 === 1 ? 0 : 2 / (degree + 1);
        expect(Math.abs(sum - exact)).toBeLessThan(1e-14);
      }
    }
  });

  it("refuses a node count it cannot compute", () => {
    expect(() => gaussLegendre(0)).toThrow(RangeError);
    expect(() => gaussLegendre(2.5)).toThrow(RangeError);
  });
});
