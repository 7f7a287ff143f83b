import { describe, expect, it } from "vitest";
import { fitRobustLine, median } from "../../src/analytics/robust-line.ts";
import type { LinePoint } from "../../src/analytics/robust-line.ts";

/** y = 3 − 0.5·x at x = 0…19, each trusted to ±0.02, with `wild` points moved by +5. */
function points(wild: readonly number[] = []): LinePoint[] {
  return Array.from({ length: 20 }, (_, x) => ({
    x,
    y: 3 - 0.5 * x + (wild.includes(x) ? 5 : 0),
    tolerance: 0.02,
  }));
}

describe("fitRobustLine", () => {
  it("reproduces an exact line, with a zero slope error and residual", () => {
    const line = fitRobustLine(points())!;
    expect(line.slope).toBeCloseTo(-0.5, 12);
    expect(line.intercept).toBeCloseTo(3, 12);
    expect(line.used.every(Boolean)).toBe(true);
    expect(line.slopeStdError).toBeCloseTo(0, 12);
    expect(line.residualRms).toBeCloseTo(0, 12);
  });

  it("drops a quarter of the points when they are wild, and only those", () => {
    const wild = [0, 4, 9, 13, 18];
    const line = fitRobustLine(points(wild))!;
    expect(line.slope).toBeCloseTo(-0.5, 12);
    expect(line.intercept).toBeCloseTo(3, 12);
    expect(line.used.flatMap((used, x) => (used ? [] : [x]))).toEqual(wild);
  });

  it("keeps a point whose own tolerance still reaches the line, weighted down", () => {
    const input = points();
    input[10] = { x: 10, y: -2 + 0.3, tolerance: 0.5 };
    const line = fitRobustLine(input)!;
    expect(line.used[10]).toBe(true);
    // Weight 1/0.5² against 1/0.02² for the others: the slope barely moves.
    expect(Math.abs(line.slope + 0.5)).toBeLessThan(1e-4);
  });

  it("fits only the intercept under a fixed slope, robustly, from a single point up", () => {
    const line = fitRobustLine(points([2, 7]), -0.5)!;
    expect(line.slope).toBe(-0.5);
    expect(line.intercept).toBeCloseTo(3, 12);
    expect(line.used.filter((used) => !used)).toHaveLength(2);
    expect(fitRobustLine([{ x: 4, y: 1, tolerance: 0.01 }], -0.5)!.intercept).toBeCloseTo(3, 12);
  });

  it("needs two distinct x for a free line", () => {
    expect(fitRobustLine([{ x: 1, y: 1, tolerance: 0.01 }])).toBeNull();
    expect(fitRobustLine([1, 1, 1].map((x) => ({ x, y: x, tolerance: 0.01 })))).toBeNull();
  });

  it("takes the median of odd and even counts", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});
