import { describe, expect, it } from "vitest";
import { americanGreeks, americanPrice, americanRho } from "../../src/pricing/american.ts";
import { bsGreeks, bsPrice, type OptionInputs, type OptionRight } from "../../src/pricing/black-scholes.ts";
import { convergedTreePrice } from "./binomial-tree.ts";

function option(
  right: OptionRight,
  spot: number,
  strike: number,
  timeYears: number,
  rate: number,
  dividendYield: number,
  volatility: number,
): OptionInputs {
  return { right, spot, strike, timeYears, rate, dividendYield, volatility };
}

describe("American model: published reference values", () => {
  it("reproduces the early-exercise premium of Andersen, Lake & Offengenden (2016), Table 2", () => {
    // "High Performance American Option Pricing", J. Computational Finance 20(1): put, S = K = 100, T = 1,
    // σ = 25 %, r = q = 5 %; converged American premium 0.106952702747.
    const put = option("P", 100, 100, 1, 0.05, 0.05, 0.25);
    expect(Math.abs(americanPrice(put) - bsPrice(put) - 0.106952702747)).toBeLessThan(1e-6);
  });

  it.each([
    [90, 10.726486710094511],
    [100, 4.820608184813253],
    [110, 1.828207584020458],
  ])(
    "matches BENCHOP problem 1b I (von Sydow et al. 2015): American put, S = %d, K = 100, T = 1, r = 3 %, σ = 15 %",
    (spot, reference) => {
      expect(Math.abs(americanPrice(option("P", spot, 100, 1, 0.03, 0, 0.15)) - reference)).toBeLessThan(
        1e-4,
      );
    },
  );

  it.each([
    [97, 3.000000000000682],
    [98, 2.000000000010786],
    [99, 1.000000000010715],
  ])(
    "matches BENCHOP problem 1b II: a deep in-the-money put at σ = 1 % is its exercise value (S = %d)",
    (spot, reference) => {
      const put = option("P", spot, 100, 0.25, 0.1, 0, 0.01);
      expect(Math.abs(americanPrice(put) - reference)).toBeLessThan(1e-9);
      // European Black–Scholes prices it below what exercising now pays.
      expect(bsPrice(put)).toBeLessThan(100 - spot - 0.5);
    },
  );
});

/** 45 puts (deep in the money with dividends among them) and 8 dividend-paying calls. */
const TREE_CASES: OptionInputs[] = [
  ...[80, 95, 105, 120, 140].flatMap((strike) =>
    [0.01, 0.03, 0.06].flatMap((q) =>
      (
        [
          [0.1, 0.25],
          [0.5, 0.35],
          [1, 0.2],
        ] as const
      ).map(([years, vol]) => option("P", 100, strike, years, 0.045, q, vol)),
    ),
  ),
  ...[70, 90, 100, 115].flatMap((strike) =>
    (
      [
        [0.25, 0.3],
        [1, 0.25],
      ] as const
    ).map(([years, vol]) => option("C", 100, strike, years, 0.04, 0.06, vol)),
  ),
];

describe("American model against a converged 2,000-step CRR tree", () => {
  it(`agrees within 1e-4 on ${TREE_CASES.length} options, deep in-the-money puts with dividends among them`, () => {
    const deepItmPutsWithDividends = TREE_CASES.filter(
      (inputs) => inputs.right === "P" && inputs.strike >= 120 && inputs.dividendYield > 0,
    );
    expect(deepItmPutsWithDividends.length).toBeGreaterThanOrEqual(18);
    const misses = TREE_CASES.map((inputs) => ({
      inputs,
      model: americanPrice(inputs),
      tree: convergedTreePrice(inputs),
    })).filter(({ model, tree }) => !(Math.abs(model - tree) <= 1e-4));
    expect(misses).toEqual([]);
  });

  it("is worth more than the European option wherever early exercise pays, and never less than exercising", () => {
    for (const inputs of TREE_CASES) {
      const price = americanPrice(inputs);
      const intrinsic = Math.max(0, (inputs.right === "C" ? 1 : -1) * (inputs.spot - inputs.strike));
      expect(price).toBeGreaterThanOrEqual(bsPrice(inputs) - 1e-12);
      expect(price).toBeGreaterThanOrEqual(intrinsic);
    }
    // The deep in-the-money put that European Black–Scholes prices below its exercise value.
    const deep = option("P", 100, 140, 1, 0.045, 0.01, 0.2);
    expect(bsPrice(deep)).toBeLessThan(40);
    expect(americanPrice(deep)).toBe(40);
  });
});

describe("American model: exact shortcuts and limits", () => {
  it("is Black–Scholes–Merton exactly where early exercise never pays: calls without dividends, puts at r ≤ 0", () => {
    for (const inputs of [
      option("C", 100, 90, 0.5, 0.04, 0, 0.6),
      option("P", 100, 110, 0.5, 0, 0.02, 0.3),
      option("P", 100, 110, 0.5, -0.01, 0.02, 0.3),
    ]) {
      expect(americanGreeks(inputs)).toEqual(bsGreeks(inputs));
    }
  });

  it("is the exercise value at expiry, and the best deterministic exercise at σ = 0", () => {
    expect(americanPrice(option("P", 100, 120, 0, 0.05, 0.01, 0.3))).toBe(20);
    // Waiting would pay 120·e^{−0.05} − 100·e^{−0.01} ≈ 15.15: exercise now.
    const put = americanGreeks(option("P", 100, 120, 1, 0.05, 0.01, 0));
    expect(put).toMatchObject({ price: 20, delta: -1, gamma: 0, theta: 0, vega: 0, rho: 0 });
    // A call on a high-yield underlying at σ = 0: exercising now (25) beats the forward value at expiry.
    const call = americanGreeks(option("C", 100, 75, 1, 0.01, 0.1, 0));
    expect(call.price).toBeCloseTo(25, 12);
    expect(call.delta).toBe(1);
    // The limit is continuous: a tiny σ prices the same.
    expect(americanPrice(option("P", 100, 120, 1, 0.05, 0.01, 1e-6))).toBeCloseTo(20, 12);
  });

  it("throws RangeError on invalid inputs, like Black–Scholes", () => {
    expect(() => americanPrice(option("P", -1, 100, 1, 0.05, 0, 0.2))).toThrow(RangeError);
    expect(() => americanPrice(option("P", 100, 100, 1, 0.05, 0, Number.NaN))).toThrow(RangeError);
    expect(() => americanGreeks(option("C", 100, 100, -1, 0.05, 0.02, 0.2))).toThrow(RangeError);
  });
});

describe("American greeks", () => {
  const cases = [
    option("P", 100, 110, 0.5, 0.045, 0.012, 0.3),
    option("P", 600, 560, 30 / 365, 0.04, 0.012, 0.18),
    option("C", 100, 95, 0.8, 0.04, 0.06, 0.3),
    option("C", 50, 60, 1.5, 0.03, 0.05, 0.5),
  ];

  it.each(cases)("match finite differences of the price (%o)", (inputs) => {
    const greeks = americanGreeks(inputs);
    const price = (change: Partial<OptionInputs>) => americanPrice({ ...inputs, ...change });
    const h = inputs.spot * 1e-4;
    const up = price({ spot: inputs.spot + h });
    const down = price({ spot: inputs.spot - h });
    expect(greeks.price).toBe(americanPrice(inputs));
    expect(greeks.delta).toBeCloseTo((up - down) / (2 * h), 6);
    expect(greeks.gamma).toBeCloseTo((up - 2 * greeks.price + down) / (h * h), 5);
    const dt = 1e-4;
    const theta =
      (price({ timeYears: inputs.timeYears - dt }) - price({ timeYears: inputs.timeYears + dt })) / (2 * dt);
    expect(greeks.theta).toBeCloseTo(theta / 365, 6);
    const dv = 1e-3;
    const vega =
      (price({ volatility: inputs.volatility + dv }) - price({ volatility: inputs.volatility - dv })) /
      (2 * dv);
    expect(greeks.vega).toBeCloseTo(vega / 100, 5);
    const dr = 1e-3;
    const rho = (price({ rate: inputs.rate + dr }) - price({ rate: inputs.rate - dr })) / (2 * dr);
    expect(greeks.rho).toBeCloseTo(rho / 100, 5);
    expect(americanRho(inputs)).toBe(greeks.rho);
  });

  it("are those of exercising now in the exercise region", () => {
    expect(americanGreeks(option("P", 100, 140, 1, 0.045, 0.01, 0.2))).toEqual({
      price: 40,
      delta: -1,
      gamma: 0,
      theta: 0,
      vega: 0,
      rho: 0,
    });
  });
});
