import type { Config } from "../config/schema.ts";
import type { ExerciseStyle } from "./option-model.ts";

/** What the model needs about one underlying's options besides each quote: rates, exercise style, mid limits. */
export interface PricingParameters {
  rate: number;
  dividendYield: number;
  /** Equity and ETF options are American, index options European (config `symbols:`, config/symbols.ts). */
  exercise: ExerciseStyle;
  /** pricing.max_relative_spread: no IV from a mid whose market is wider than this fraction of it (null: any). */
  maxRelativeSpread: number | null;
}

/** The configured risk-free rate and the symbol's dividend yield (pricing.dividend_yield, else the default). */
export function pricingParametersFor(
  pricing: Config["pricing"],
  symbol: string,
  exercise: ExerciseStyle = "american",
): PricingParameters {
  const dividendYield = Object.hasOwn(pricing.dividend_yield, symbol)
    ? pricing.dividend_yield[symbol]
    : undefined;
  return {
    rate: pricing.risk_free_rate,
    dividendYield: dividendYield ?? pricing.default_dividend_yield,
    exercise,
    maxRelativeSpread: pricing.max_relative_spread,
  };
}
