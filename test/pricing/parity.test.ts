import { describe, expect, it } from "vitest";
import { bsPrice } from "../../src/pricing/black-scholes.ts";
import { parityBreach, parityValue } from "../../src/pricing/parity.ts";

describe("put-call parity", () => {
  it("equals the model's C − P for any volatility", () => {
    const inputs = { spot: 100, strike: 95, timeYears: 0.5, rate: 0.04, dividendYield: 0.012 };
    const value = parityValue(inputs);
    for (const volatility of [0.1, 0.3, 0.9]) {
      const call = bsPrice({ ...inputs, right: "C", volatility });
      const put = bsPrice({ ...inputs, right: "P", volatility });
      expect(call - put).toBeCloseTo(value, 10);
    }
    expect(parityValue({ ...inputs, timeYears: 0 })).toBe(5);
  });

  it("measures a breach from the synthetic forward's bid-ask range, 0 inside it", () => {
    // Binary-exact prices: synthetic bid 10 − 5.25 = 4.75, ask 10.25 − 4.75 = 5.5.
    const quotes = { callBid: 10, callAsk: 10.25, putBid: 4.75, putAsk: 5.25 };
    expect(parityBreach(5, quotes)).toBe(0);
    expect(parityBreach(4.75, quotes)).toBe(0);
    expect(parityBreach(5.5, quotes)).toBe(0);
    expect(parityBreach(4.5, quotes)).toBe(0.25);
    expect(parityBreach(6, quotes)).toBe(0.5);
  });
});
