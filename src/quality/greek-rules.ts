import type { CheckedQuote, CollectionRule } from "./types.ts";

/** Rules about one quote's implied volatility and greeks, whether IB's or the model's. */

/** An implied volatility outside [min, max] (default 1 %..500 %): a solver or feed failure, not a market. */
export const ivOutOfRange: CollectionRule = {
  name: "iv_out_of_range",
  check(input, settings) {
    const { min, max } = settings.rules.iv_out_of_range;
    return input.quotes
      .filter(
        (quote) =>
          quote.impliedVolatility !== null &&
          (quote.impliedVolatility < min || quote.impliedVolatility > max),
      )
      .map((quote) => ({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: implied volatility ${quote.impliedVolatility} outside [${min}, ${max}]`,
        details: { impliedVolatility: quote.impliedVolatility, min, max },
      }));
  },
};

/** The range a delta has for its right: a call's 0..1, a put's −1..0. */
function deltaRange(quote: CheckedQuote): [number, number] {
  return quote.right === "C" ? [0, 1] : [-1, 0];
}

/** A delta outside its right's range by more than the threshold (the sign of a put's delta flipped, or > 1). */
export const deltaOutOfRange: CollectionRule = {
  name: "delta_out_of_range",
  check(input, settings) {
    const { threshold } = settings.rules.delta_out_of_range;
    return input.quotes
      .filter((quote) => {
        if (quote.delta === null) return false;
        const [low, high] = deltaRange(quote);
        return quote.delta < low - threshold || quote.delta > high + threshold;
      })
      .map((quote) => {
        const [low, high] = deltaRange(quote);
        return {
          contractId: quote.contractId,
          message: `${quote.contractSymbol}: delta ${quote.delta} outside ${low}..${high} for a ${quote.right === "C" ? "call" : "put"}`,
          details: { delta: quote.delta, right: quote.right },
        };
      });
  },
};

/** A gamma or vega below −threshold: a long option's convexity and vol sensitivity are never negative. */
export const negativeGreeks: CollectionRule = {
  name: "negative_greeks",
  check(input, settings) {
    const { threshold } = settings.rules.negative_greeks;
    return input.quotes
      .filter(
        (quote) =>
          (quote.gamma !== null && quote.gamma < -threshold) ||
          (quote.vega !== null && quote.vega < -threshold),
      )
      .map((quote) => ({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: negative ${[
          quote.gamma !== null && quote.gamma < -threshold ? `gamma ${quote.gamma}` : null,
          quote.vega !== null && quote.vega < -threshold ? `vega ${quote.vega}` : null,
        ]
          .filter((part) => part !== null)
          .join(" and ")}`,
        details: { gamma: quote.gamma, vega: quote.vega },
      }));
  },
};
