import { describe, expect, it } from "vitest";
import { normCdf, normPdf } from "../../src/pricing/normal.ts";

// [x, N(x), n(x)] from mpmath at 40 digits (mpmath.ncdf, mpmath.npdf), rounded to 17 significant digits.
const REFERENCES: [number, number, number][] = [
  [-37.5, 4.6053530095819548e-308, 1.7282337322841052e-306],
  [-30, 4.9067139271481871e-198, 1.4736461348785475e-196],
  [-20, 2.7536241186062337e-89, 5.5209483621597632e-88],
  [-10, 7.6198530241605261e-24, 7.6945986267064193e-23],
  [-8.25, 7.9197263146424773e-17, 6.6271374559687515e-16],
  [-5, 2.8665157187919391e-7, 1.4867195147342977e-6],
  [-3, 0.0013498980316300945, 0.0044318484119380072],
  [-2, 0.022750131948179207, 0.053990966513188052],
  [-1.5, 0.066807201268858066, 0.12951759566589173],
  [-1.2, 0.11506967022170828, 0.19418605498321295],
  [-1, 0.15865525393145705, 0.24197072451914335],
  [-0.5, 0.3085375387259869, 0.35206532676429948],
  [-0.1, 0.46017216272297102, 0.39695254747701177],
  [0, 0.5, 0.39894228040143268],
  [0.3, 0.61791142218895263, 0.38138781546052409],
  [1, 0.84134474606854295, 0.24197072451914335],
  [1.96, 0.97500210485177956, 0.058440944333451464],
  [2.5, 0.99379033467422386, 0.017528300493568537],
  [5, 0.99999971334842812, 1.4867195147342977e-6],
  [8.5, 0.99999999999999999, 8.16623563166955e-17],
];

describe("normal distribution", () => {
  it.each(REFERENCES)("N(x) and n(x) to 1e-14 relative at x = %d", (x, cdf, pdf) => {
    expect(Math.abs(normCdf(x) - cdf)).toBeLessThanOrEqual(1e-14 * cdf);
    expect(Math.abs(normPdf(x) - pdf)).toBeLessThanOrEqual(1e-14 * pdf);
  });

  it("is symmetric and monotone, with exact limits and no NaN for infinite arguments", () => {
    for (let x = -10; x <= 6; x += 0.37) {
      expect(normCdf(x) + normCdf(-x)).toBeCloseTo(1, 15);
      expect(normCdf(x + 0.01)).toBeGreaterThan(normCdf(x));
    }
    expect(normCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normCdf(-40)).toBe(0);
    expect(normPdf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normPdf(5e7)).toBe(0);
    expect(normCdf(Number.NaN)).toBeNaN();
  });
});
