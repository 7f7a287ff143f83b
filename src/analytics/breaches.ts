import type { ExerciseStyle, StrikeQuotes } from "./chain.ts";

/**
 * Parity breaches: strikes where a conversion or a reversal locks in more than `minEdge` per share after
 * paying the touch (buy at the ask, sell at the bid), priced against a reference discount factor DF and
 * forward F (analyze-chain.ts: DF from the chain's implied rate, F from the expiry's strikes given that DF).
 *
 *   conversion (sell the call at its bid, buy the put at its ask, long the underlying):
 *       edge = (C_bid − P_ask) − upper(K)
 *   reversal   (buy the call at its ask, sell the put at its bid, short the underlying):
 *       edge = lower(K) − (C_ask − P_bid)
 *
 * European options: parity is an equality, upper(K) = lower(K) = DF·(F − K); the long or short "underlying" is
 * the forward at F, i.e. the rest of the chain (another strike's synthetic) or a future. American options can
 * be exercised early, which only bounds C − P:
 *
 *       S·e^{−qT} − K  ≤  C − P  ≤  S − K·DF,      S·e^{−qT} = DF·F
 *
 * (lower: a short put assigned early makes you pay K now; upper: a short call assigned early hands you K
 * sooner, which only helps). Against stock bought or sold at S these trades lock in their edge whatever is
 * exercised when, so only quotes outside the band are flagged. S is taken as max(S, DF·F): a dividend yield is
 * not negative, and a stale or rounded underlying price must not pull the band inside the European line. Without
 * an underlying price the American band is unknown and no check is made (null).
 */

export type BreachKind = "conversion" | "reversal";

export interface ParityBreach {
  strike: number;
  kind: BreachKind;
  /** Per share, after crossing the spreads; > minEdge. */
  edge: number;
  /** What the synthetic trades at: C_bid − P_ask for a conversion, C_ask − P_bid for a reversal. */
  synthetic: number;
  /** The parity value (European) or band edge (American) it is measured against. */
  bound: number;
  callBid: number;
  callAsk: number;
  putBid: number;
  putAsk: number;
}

/** One cent per share, the smallest tick: a smaller "edge" is within the rounding of the quotes and the fit. */
export const DEFAULT_MIN_EDGE = 0.01;

export interface BreachReference {
  discountFactor: number;
  forward: number;
  /** Needed for American exercise. */
  underlyingPrice: number | null;
}

/** The breaches over `strikes`, by strike; null when the band cannot be known (American, no underlying price). */
export function parityBreaches(
  strikes: readonly StrikeQuotes[],
  exercise: ExerciseStyle,
  reference: BreachReference,
  minEdge: number = DEFAULT_MIN_EDGE,
): ParityBreach[] | null {
  const { discountFactor: df, forward, underlyingPrice: spot } = reference;
  if (exercise === "american" && spot === null) return null;
  const breaches: ParityBreach[] = [];
  for (const { strike, call, put } of strikes) {
    const european = df * (forward - strike);
    const upper = exercise === "european" ? european : Math.max(spot!, df * forward) - df * strike;
    const lower = exercise === "european" ? european : df * forward - strike;
    const quotes = { callBid: call.bid, callAsk: call.ask, putBid: put.bid, putAsk: put.ask };
    const sold = call.bid - put.ask;
    const bought = call.ask - put.bid;
    if (sold - upper > minEdge)
      breaches.push({
        strike,
        kind: "conversion",
        edge: sold - upper,
        synthetic: sold,
        bound: upper,
        ...quotes,
      });
    if (lower - bought > minEdge)
      breaches.push({
        strike,
        kind: "reversal",
        edge: lower - bought,
        synthetic: bought,
        bound: lower,
        ...quotes,
      });
  }
  return breaches;
}
