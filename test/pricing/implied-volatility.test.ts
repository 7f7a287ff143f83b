import { describe, expect, it } from "vitest";
import { bsGreeks, bsPrice, type OptionRight } from "../../src/pricing/black-scholes.ts";
import { impliedVolatility } from "../../src/pricing/implied-volatility.ts";

// Prices from test/pricing/reference-values.py (mpmath, 40 digits) and the volatility that produced them.
const REFERENCE_PRICES: [string, OptionRight, number, number, number, number, number, number, number][] = [
  ["hull call", "C", 42, 40, 0.5, 0.1, 0, 0.2, 4.759422392871533],
  ["hull put", "P", 42, 40, 0.5, 0.1, 0, 0.2, 0.8085993729000936],
  ["index call with dividends", "C", 930, 900, 2 / 12, 0.08, 0.03, 0.2, 51.83295679649085],
  ["spy atm put", "P", 600, 600, 30 / 365, 0.04, 0.012, 0.15, 9.596593723393742],
  ["deep otm call", "C", 100, 150, 0.25, 0.04, 0.012, 0.25, 0.002943690807993149],
  ["deep otm put", "P", 100, 60, 0.25, 0.04, 0.012, 0.25, 3.612722498797171e-5],
  ["minutes to expiry", "C", 600, 600.5, 5 / (365 * 24 * 60), 0.04, 0.012, 0.15, 0.003965287682981456],
  ["high vol call", "C", 20, 25, 1, 0.04, 0, 3, 17.075040180672747],
  ["high vol put", "P", 25, 20, 0.1, 0.04, 0, 1.5, 2.1332600237525985],
  ["long-dated itm put", "P", 250, 300, 2.5, 0.045, 0, 0.6, 103.75971027279135],
];

describe("impliedVolatility", () => {
  it.each(REFERENCE_PRICES)(
    "recovers the volatility of an independently computed price: %s",
    (_name, right, spot, strike, timeYears, rate, dividendYield, volatility, price) => {
      const iv = impliedVolatility({ right, spot, strike, timeYears, rate, dividendYield, price });
      expect(iv).not.toBeNull();
      expect(Math.abs(iv! - volatility)).toBeLessThanOrEqual(1e-6 * volatility);
    },
  );

  it("round-trips a grid of moneyness, maturities and volatilities wherever the price depends on volatility", () => {
    let solved = 0;
    for (const right of ["C", "P"] as const)
      for (const strike of [50, 70, 90, 97.5, 100, 103, 110, 130, 160, 200])
        for (const timeYears of [1 / (365 * 24), 1 / 365, 7 / 365, 0.25, 1, 3])
          for (const volatility of [0.01, 0.05, 0.12, 0.2, 0.35, 0.6, 1, 2, 5, 9]) {
            const inputs = { right, spot: 100, strike, timeYears, rate: 0.04, dividendYield: 0.012 };
            const { price, vega } = bsGreeks({ ...inputs, volatility });
            const iv = impliedVolatility({ ...inputs, price });
            // When a vol point moves the price by less than ~1e-9 of it, the volatility is not identifiable in
            // double precision; then the solver may answer null but must never answer NaN or a wrong price.
            if (vega < 1e-9 * Math.max(price, 1e-300) || vega < 1e-12) {
              if (iv !== null)
                expect(Math.abs(bsPrice({ ...inputs, volatility: iv }) - price)).toBeLessThan(1e-9);
              continue;
            }
            expect(iv).not.toBeNull();
            expect(Math.abs(iv! - volatility)).toBeLessThanOrEqual(1e-6 * volatility);
            solved++;
          }
    expect(solved).toBeGreaterThan(800);
  });

  const atm = {
    right: "C" as const,
    spot: 100,
    strike: 100,
    timeYears: 0.5,
    rate: 0.04,
    dividendYield: 0.01,
  };

  it("answers null for a mid below the discounted intrinsic value", () => {
    // Intrinsic value of the 80 call on 100 is about 20 (discounted forward 100e^{-qT} − 80e^{-rT} ≈ 21.08).
    expect(impliedVolatility({ ...atm, strike: 80, price: 19.5 })).toBeNull();
    expect(impliedVolatility({ ...atm, strike: 80, price: 21.0 })).toBeNull();
    expect(impliedVolatility({ ...atm, right: "P", strike: 130, price: 27 })).toBeNull();
  });

  it("answers null for zero, negative and non-finite prices (zero bid, no quote)", () => {
    for (const price of [0, -0.05, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(impliedVolatility({ ...atm, price })).toBeNull();
    }
  });

  it("answers null above the no-arbitrage bound and above the volatility bound", () => {
    expect(impliedVolatility({ ...atm, price: 100.5 })).toBeNull(); // a call worth more than the stock
    expect(impliedVolatility({ ...atm, right: "P", price: 99.5 })).toBeNull(); // a put worth more than K·e^{−rT}
    const at12 = bsPrice({ ...atm, volatility: 12 });
    expect(impliedVolatility({ ...atm, price: at12 })).toBeNull();
    expect(impliedVolatility({ ...atm, price: at12 }, { max: 20 })).toBeCloseTo(12, 9);
  });

  it("answers null for invalid inputs and an expired option", () => {
    expect(impliedVolatility({ ...atm, timeYears: 0, price: 1 })).toBeNull();
    expect(impliedVolatility({ ...atm, spot: 0, price: 1 })).toBeNull();
    expect(impliedVolatility({ ...atm, strike: Number.NaN, price: 1 })).toBeNull();
    expect(impliedVolatility({ ...atm, rate: Number.NaN, price: 1 })).toBeNull();
    expect(impliedVolatility({ ...atm, right: "X" as OptionRight, price: 1 })).toBeNull();
  });

  it("solves in-the-money prices on the out-of-the-money side without losing the time value", () => {
    const deepItm = { ...atm, strike: 40, timeYears: 0.1 };
    const price = bsPrice({ ...deepItm, volatility: 0.8 });
    expect(impliedVolatility({ ...deepItm, price })).toBeCloseTo(0.8, 8);
  });

  it("solves minutes before expiry", () => {
    const expiring = { ...atm, strike: 100.2, timeYears: 10 / (365 * 24 * 60) };
    const price = bsPrice({ ...expiring, volatility: 0.18 });
    expect(impliedVolatility({ ...expiring, price })).toBeCloseTo(0.18, 9);
  });
});
