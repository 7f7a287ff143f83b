import { describe, expect, it } from "vitest";
import { americanPrice } from "../../src/pricing/american.ts";
import { americanImpliedVolatility } from "../../src/pricing/american-implied-volatility.ts";
import type { OptionRight } from "../../src/pricing/black-scholes.ts";
import { impliedVolatility } from "../../src/pricing/implied-volatility.ts";

interface Market {
  right: OptionRight;
  spot: number;
  strike: number;
  timeYears: number;
  rate: number;
  dividendYield: number;
}

const GRID: { market: Market; volatility: number }[] = [];
for (const right of ["C", "P"] as const)
  for (const strike of [60, 85, 100, 115, 150])
    for (const timeYears of [2 / 365, 30 / 365, 0.5, 2])
      for (const volatility of [0.08, 0.3, 1.2])
        for (const dividendYield of [0, 0.03])
          GRID.push({
            market: { right, spot: 100, strike, timeYears, rate: 0.045, dividendYield },
            volatility,
          });

describe("americanImpliedVolatility", () => {
  it(`round-trips price → IV → price on ${GRID.length} options, and finds σ wherever the price has time value`, () => {
    const failures: string[] = [];
    let solved = 0;
    for (const { market, volatility } of GRID) {
      const price = americanPrice({ ...market, volatility });
      // σ = 0: the best deterministic exercise (the exercise value, or more for a call carried to expiry).
      const floor = americanPrice({ ...market, volatility: 0 });
      const iv = americanImpliedVolatility({ ...market, price });
      if (iv === null) {
        // Only a price with nothing above that floor has no volatility.
        if (price - floor > 1e-9 * market.strike)
          failures.push(`no IV: ${JSON.stringify({ market, volatility })}`);
        continue;
      }
      solved++;
      const back = americanPrice({ ...market, volatility: iv });
      if (!(Math.abs(back - price) <= 1e-10 * price)) failures.push(`price ${price} → ${back}`);
      // Where the price hardly moves with σ (deep in or out of the money) σ itself is determined more loosely.
      const vega =
        (americanPrice({ ...market, volatility: volatility * 1.001 }) - price) / (volatility * 0.001);
      if (vega > 1e-3 && !(Math.abs(iv - volatility) <= 1e-7)) failures.push(`σ ${volatility} → ${iv}`);
    }
    expect(failures).toEqual([]);
    expect(solved).toBeGreaterThan(GRID.length * 0.75);
  });

  it("gives the American volatility of a deep in-the-money put where the European one is meaningless", () => {
    const put: Market = { right: "P", spot: 250, strike: 600, timeYears: 0.5, rate: 0.045, dividendYield: 0 };
    const price = americanPrice({ ...put, volatility: 0.79 });
    expect(price - 350).toBeGreaterThan(0.5); // some time value over the exercise value
    expect(americanImpliedVolatility({ ...put, price })).toBeCloseTo(0.79, 9);
    // European Black–Scholes explains the exercise value with a much higher volatility.
    expect(impliedVolatility({ ...put, price })).toBeGreaterThan(0.95);
  });

  it("has no volatility for a price at or below the exercise value, or above the highest volatility's price", () => {
    const put: Market = { right: "P", spot: 250, strike: 900, timeYears: 1, rate: 0.045, dividendYield: 0 };
    expect(americanImpliedVolatility({ ...put, price: 650 })).toBeNull();
    expect(americanImpliedVolatility({ ...put, price: 649.5 })).toBeNull();
    // European Black–Scholes reports a volatility for the same price: 650 is above its floor.
    expect(impliedVolatility({ ...put, price: 650 })).toBeGreaterThan(1.2);
    const call: Market = {
      right: "C",
      spot: 100,
      strike: 100,
      timeYears: 0.5,
      rate: 0.045,
      dividendYield: 0.03,
    };
    expect(americanImpliedVolatility({ ...call, price: 100.5 })).toBeNull();
    expect(americanImpliedVolatility({ ...call, price: 0 })).toBeNull();
    expect(americanImpliedVolatility({ ...call, price: Number.NaN })).toBeNull();
  });

  it("is the European solver where early exercise never pays", () => {
    const call = {
      right: "C" as const,
      spot: 100,
      strike: 105,
      timeYears: 0.25,
      rate: 0.045,
      dividendYield: 0,
    };
    expect(americanImpliedVolatility({ ...call, price: 3.1 })).toBe(
      impliedVolatility({ ...call, price: 3.1 }),
    );
  });
});
