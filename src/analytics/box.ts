import { midOf } from "./chain.ts";
import type { StrikeQuotes } from "./chain.ts";
import { median } from "./robust-line.ts";

/**
 * Box spreads: long the K1 call and K2 put, short the K2 call and K1 put (K1 < K2). Whatever the underlying
 * does, it pays K2 − K1 at expiry, so its price B is a zero-coupon bond and B = (K2 − K1)·e^{−rT}, i.e.
 *
 *     r = −ln(B / (K2 − K1)) / T
 *
 *   at mid:   B_mid    = C1_mid − C2_mid + P2_mid − P1_mid
 *   lend:     B_buy    = C1_ask − C2_bid + P2_ask − P1_bid   (buying the box pays the touch: the lowest rate)
 *   borrow:   B_sell   = C1_bid − C2_ask + P2_bid − P1_ask   (selling it receives the touch: the highest rate)
 *
 * Pairs are taken per width: "adjacent" (each strike with the next strike where both rights are two-sided,
 * whatever the gap) and each standard width in STANDARD_BOX_WIDTHS (every K1 whose K1 + width is also such a
 * strike). A box whose price is not positive has no rate (null). Early exercise can break an American box
 * before expiry, so for equity options these are the rates of a box held to expiry unexercised.
 */

/** Dollar widths besides adjacent strikes: the usual box widths on equity, ETF and index chains. */
export const STANDARD_BOX_WIDTHS: readonly number[] = [5, 10, 25, 50, 100];

export type BoxWidth = "adjacent" | number;

export interface BoxQuote {
  lower: number;
  upper: number;
  mid: number;
  buy: number;
  sell: number;
  midRate: number | null;
  lendRate: number | null;
  borrowRate: number | null;
}

export interface BoxRateSummary {
  width: BoxWidth;
  pairs: number;
  /** Medians over the pairs of this width (ignoring pairs without a rate). */
  midRate: number | null;
  lendRate: number | null;
  borrowRate: number | null;
  /** The best pair for each side: the highest lending rate, the lowest borrowing rate. */
  bestLendRate: number | null;
  bestBorrowRate: number | null;
}

/** The rate a zero-coupon price implies; null when the price is not positive or no time is left. */
export function rateFromPrice(price: number, face: number, years: number): number | null {
  return price > 0 && face > 0 && years > 0 ? -Math.log(price / face) / years : null;
}

export function boxQuote(low: StrikeQuotes, high: StrikeQuotes, years: number): BoxQuote {
  const width = high.strike - low.strike;
  const mid = midOf(low.call) - midOf(high.call) + midOf(high.put) - midOf(low.put);
  const buy = low.call.ask - high.call.bid + high.put.ask - low.put.bid;
  const sell = low.call.bid - high.call.ask + high.put.bid - low.put.ask;
  return {
    lower: low.strike,
    upper: high.strike,
    mid,
    buy,
    sell,
    midRate: rateFromPrice(mid, width, years),
    lendRate: rateFromPrice(buy, width, years),
    borrowRate: rateFromPrice(sell, width, years),
  };
}

/** Box rates per width over `strikes` (ascending, both rights two-sided); widths without a pair are left out. */
export function boxRates(
  strikes: readonly StrikeQuotes[],
  years: number,
  widths: readonly number[] = STANDARD_BOX_WIDTHS,
): BoxRateSummary[] {
  const summaries: BoxRateSummary[] = [];
  const adjacent = strikes.slice(1).map((high, i) => boxQuote(strikes[i]!, high, years));
  if (adjacent.length > 0) summaries.push(summarize("adjacent", adjacent));
  const byStrike = new Map(strikes.map((entry) => [strikeKey(entry.strike), entry]));
  for (const width of widths) {
    const boxes: BoxQuote[] = [];
    for (const low of strikes) {
      const high = byStrike.get(strikeKey(low.strike + width));
      if (high) boxes.push(boxQuote(low, high, years));
    }
    if (boxes.length > 0) summaries.push(summarize(width, boxes));
  }
  return summaries;
}

/** Strikes have at most three decimals (OCC), so thousandths compare exactly. */
function strikeKey(strike: number): number {
  return Math.round(strike * 1000);
}

function summarize(width: BoxWidth, boxes: readonly BoxQuote[]): BoxRateSummary {
  const rates = (pick: (box: BoxQuote) => number | null) =>
    boxes.map(pick).filter((rate): rate is number => rate !== null);
  const mids = rates((box) => box.midRate);
  const lends = rates((box) => box.lendRate);
  const borrows = rates((box) => box.borrowRate);
  return {
    width,
    pairs: boxes.length,
    midRate: mids.length > 0 ? median(mids) : null,
    lendRate: lends.length > 0 ? median(lends) : null,
    borrowRate: borrows.length > 0 ? median(borrows) : null,
    bestLendRate: lends.length > 0 ? Math.max(...lends) : null,
    bestBorrowRate: borrows.length > 0 ? Math.min(...borrows) : null,
  };
}
