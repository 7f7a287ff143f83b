import type { Config } from "../config/schema.ts";

/** Rate and dividend yield for one underlying, as bsGreeks and impliedVolatility take them. */
export interface PricingParameters {
  rate: number;
  dividendYield: number;
}

/** The configured risk-free rate and the symbol's dividend yield (pricing.dividend_yield, else the default). */
export function pricingParametersFor(pricing: Config["pricing"], symbol: string): PricingParameters {
  const dividendYield = Object.hasOwn(pricing.dividend_yield, symbol)
    ? pricing.dividend_yield[symbol]
    : undefined;
  return { rate: pricing.risk_free_rate, dividendYield: dividendYield ?? pricing.default_dividend_yield };
}
