import { describe, expect, it } from "vitest";
import { normCdf, normPdf } from "../../src/pricing/normal.ts";

// [x, N(x), n(x)] from mpmath at 40 digits (mpmath.ncdf, mpmath.npdf), as the nearest doubles.
const REFERENCES: [number, number, number][] = [
  [-37.5, 4.605353009581955e-308, 1.7282337322841054e-306],
  [-30, 4.906713927148187e-198, 1.4736461348785476e-196],
  [-20, 2.7536241186062337e-89, 5.520948362159764e-88],
  [-10, 7.619853024160525e-24, 7.694598626706419e-23],
  [-8.25, 7.919726314642477e-17, 6.627137455968751e-16],
  [-5, 2.866515718791939e-7, 1.4867195147342977e-6],
  [-3, 0.0013498980316300946, 0.0044318484119380075],
  [-2, 0.02275013194817921, 0.05399096651318805],
  [-1.5, 0.06680720126885807, 0.12951759566589174],
  [-1.2, 0.11506967022170828, 0.19418605498321295],
  [-1, 0.15865525393145705, 0.24197072451914334],
  [-0.5, 0.3085375387259869, 0.35206532676429947],
  [-0.1, 0.460172162722971, 0.39695254747701175],
  [0, 0.5, 0.3989422804014327],
  [0.3, 0.6179114221889527, 0.3813878154605241],
  [1, 0.8413447460685429, 0.24197072451914334],
  [1.96, 0.9750021048517795, 0.05844094433345146],
  [2.5, 0.9937903346742238, 0.017528300493568537],
  [5, 0.9999997133484281, 1.4867195147342977e-6],
  [8.5, 1.0, 8.16623563166955e-17],
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
