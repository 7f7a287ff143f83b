import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { pricingParametersFor } from "../../src/pricing/parameters.ts";

describe("pricingParametersFor", () => {
  it("uses the default rate and the per-symbol dividend yields", () => {
    const { pricing } = configSchema.parse({});
    const defaults = { exercise: "american", maxRelativeSpread: 0.5 };
    expect(pricingParametersFor(pricing, "SPY")).toEqual({ rate: 0.04, dividendYield: 0.012, ...defaults });
    expect(pricingParametersFor(pricing, "TSLA")).toEqual({ rate: 0.04, dividendYield: 0, ...defaults });
    expect(pricingParametersFor(pricing, "QQQ")).toEqual({ rate: 0.04, dividendYield: 0, ...defaults });
    expect(pricingParametersFor(pricing, "constructor")).toEqual({
      rate: 0.04,
      dividendYield: 0,
      ...defaults,
    });
  });

  it("takes the configured values", () => {
    const { pricing } = configSchema.parse({
      pricing: {
        risk_free_rate: 0.05,
        dividend_yield: { QQQ: 0.006 },
        default_dividend_yield: 0.01,
        max_relative_spread: null,
      },
    });
    const defaults = { exercise: "american", maxRelativeSpread: null };
    expect(pricingParametersFor(pricing, "QQQ")).toEqual({ rate: 0.05, dividendYield: 0.006, ...defaults });
    expect(pricingParametersFor(pricing, "SPY")).toEqual({ rate: 0.05, dividendYield: 0.01, ...defaults });
  });

  it("rejects a negative dividend yield and a spread limit that is not positive", () => {
    expect(configSchema.safeParse({ pricing: { dividend_yield: { SPY: -0.01 } } }).success).toBe(false);
    expect(configSchema.safeParse({ pricing: { max_relative_spread: 0 } }).success).toBe(false);
  });
});
