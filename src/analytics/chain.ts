import type { ExerciseStyle } from "../pricing/option-model.ts";
import type { ChainQuote } from "../store/reads/chain-reads.ts";
import type { SecurityType } from "../store/repositories/underlying-securities.ts";
import { median } from "./robust-line.ts";

/**
 * One chain at one snapshot, regrouped for parity work: per expiry, the strikes where both the call and the
 * put have a two-sided quote, side by side.
 */

/** What the analytics read of a stored quote (chain-reads' chainQuotes rows); `time` may be left out of synthetic chains. */
export type AnalyticsQuote = Pick<
  ChainQuote,
  "expiry" | "strike" | "right" | "bid" | "ask" | "underlyingPrice"
> &
  Partial<Pick<ChainQuote, "time" | "tradingClass">>;

/**
 * European options can only be exercised at expiry, so put-call parity is an equality. American options
 * (US equity and ETF options) can be exercised early, which turns it into a band (see breaches.ts).
 */
export type { ExerciseStyle };

/** Index options (SPX, NDX, RUT, XSP) are European; options on stocks and ETFs are American. */
export function exerciseStyleOf(securityType: SecurityType): ExerciseStyle {
  return securityType === "IND" ? "european" : "american";
}

/** A quote that can be traded both ways: a positive bid and an ask not below it. */
export interface TwoSided {
  bid: number;
  ask: number;
}

export interface StrikeQuotes {
  strike: number;
  call: TwoSided;
  put: TwoSided;
}

export interface ExpiryChain {
  expiry: string;
  /** The quotes' trading class (null when they carry none): SPX and SPXW of one expiry are two chains. */
  tradingClass: string | null;
  /** Strikes where both rights are two-sided, ascending. */
  strikes: StrikeQuotes[];
  /** Median underlying price carried by the expiry's quotes; null when none carries one. */
  underlyingPrice: number | null;
  /** Median time of the expiry's quotes; null when none carries one. */
  snapshotTime: Date | null;
}

/** The quote as a TwoSided, or null when it has no bid (nothing to sell into), no ask, or is crossed. */
export function twoSided(bid: number | null, ask: number | null): TwoSided | null {
  if (bid === null || ask === null || !Number.isFinite(bid) || !Number.isFinite(ask)) return null;
  if (!(bid > 0) || ask < bid) return null;
  return { bid, ask };
}

export function midOf(quote: TwoSided): number {
  return (quote.bid + quote.ask) / 2;
}

/** The chain split by expiry (ascending), strikes paired; a strike quoted twice keeps its last quote. */
export function groupByExpiry(quotes: readonly AnalyticsQuote[]): ExpiryChain[] {
  // Keyed by expiry and class: on a third Friday SPX (AM-settled) and SPXW (PM) share expiry, strike and right.
  const groups = new Map<string, { expiry: string; tradingClass: string | null; quotes: AnalyticsQuote[] }>();
  for (const quote of quotes) {
    const tradingClass = quote.tradingClass ?? null;
    const key = `${quote.expiry}|${tradingClass ?? ""}`;
    const group = groups.get(key);
    if (group) group.quotes.push(quote);
    else groups.set(key, { expiry: quote.expiry, tradingClass, quotes: [quote] });
  }
  return [...groups.keys()]
    .sort()
    .map((key) => groups.get(key)!)
    .map((group) => expiryChain(group.expiry, group.tradingClass, group.quotes));
}

function expiryChain(
  expiry: string,
  tradingClass: string | null,
  quotes: readonly AnalyticsQuote[],
): ExpiryChain {
  const sides = new Map<number, { call?: TwoSided | null; put?: TwoSided | null }>();
  for (const quote of quotes) {
    const entry = sides.get(quote.strike) ?? {};
    const side = twoSided(quote.bid, quote.ask);
    if (quote.right === "C") entry.call = side;
    else entry.put = side;
    sides.set(quote.strike, entry);
  }
  const strikes: StrikeQuotes[] = [];
  for (const [strike, { call, put }] of sides) {
    if (call && put) strikes.push({ strike, call, put });
  }
  strikes.sort((a, b) => a.strike - b.strike);
  const prices = quotes
    .map((quote) => quote.underlyingPrice)
    .filter((price): price is number => price !== null && price > 0);
  const times = quotes.flatMap((quote) => (quote.time ? [quote.time.getTime()] : []));
  return {
    expiry,
    tradingClass,
    strikes,
    underlyingPrice: prices.length > 0 ? median(prices) : null,
    snapshotTime: times.length > 0 ? new Date(Math.round(median(times))) : null,
  };
}
