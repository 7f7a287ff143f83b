import type { AnalyticsQuote } from "../../src/analytics/chain.ts";
import { bsPrice } from "../../src/pricing/black-scholes.ts";
import type { OptionRight } from "../../src/pricing/black-scholes.ts";
import { timeToExpiryYears } from "../../src/pricing/year-fraction.ts";

/** A chain priced by Black–Scholes–Merton with known r and q, quoted around the model price. */
export interface SyntheticChainSpec {
  asOf: Date;
  spot: number;
  rate: number;
  dividendYield: number;
  expiries: readonly string[];
  /** Strikes from spot·(1 − range) to spot·(1 + range) in steps of `step`. */
  range: number;
  step: number;
  /**
   * "exact": bid/ask symmetric around the model (the mid is the model price);
   * "ticks": the model ± half-spread rounded outwards to 0.01, as exchanges quote (the mid is off by up to a cent).
   */
  quoting: "exact" | "ticks";
}

/** Volatility with a skew, so the chain is not flat (parity must not care). */
function volatility(strike: number, spot: number): number {
  return 0.2 - 0.15 * Math.log(strike / spot);
}

export function forwardOf(spec: SyntheticChainSpec, expiry: string): number {
  const years = timeToExpiryYears(spec.asOf, expiry);
  return spec.spot * Math.exp((spec.rate - spec.dividendYield) * years);
}

export function syntheticChain(spec: SyntheticChainSpec): AnalyticsQuote[] {
  const quotes: AnalyticsQuote[] = [];
  const low = Math.ceil((spec.spot * (1 - spec.range)) / spec.step) * spec.step;
  for (const expiry of spec.expiries) {
    const timeYears = timeToExpiryYears(spec.asOf, expiry);
    for (let strike = low; strike <= spec.spot * (1 + spec.range); strike += spec.step) {
      for (const right of ["C", "P"] as OptionRight[]) {
        const price = bsPrice({
          right,
          spot: spec.spot,
          strike,
          timeYears,
          rate: spec.rate,
          dividendYield: spec.dividendYield,
          volatility: volatility(strike, spec.spot),
        });
        const half = 0.02 + 0.01 * price;
        const exact = spec.quoting === "exact";
        const bid = exact ? price - half : Math.floor((price - half) * 100) / 100;
        const ask = exact ? price + half : Math.ceil((price + half) * 100) / 100;
        quotes.push({
          expiry,
          strike,
          right,
          bid: bid > 0 ? bid : null,
          ask,
          underlyingPrice: spec.spot,
          time: spec.asOf,
        });
      }
    }
  }
  return quotes;
}

/** Replaces the quote of (expiry, strike, right) in place. */
export function requote(
  quotes: AnalyticsQuote[],
  where: { expiry: string; strike: number; right: OptionRight },
  change: (quote: AnalyticsQuote) => { bid: number; ask: number },
): void {
  const quote = quotes.find(
    (q) => q.expiry === where.expiry && q.strike === where.strike && q.right === where.right,
  );
  if (!quote) throw new Error(`no quote ${where.expiry} ${where.strike} ${where.right}`);
  Object.assign(quote, change(quote));
}
