import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import { settlementOf, settlementTimeEt } from "../config/symbols.ts";
import { boxRates, STANDARD_BOX_WIDTHS } from "./box.ts";
import type { BoxRateSummary } from "./box.ts";
import { DEFAULT_MIN_EDGE, parityBreaches } from "./breaches.ts";
import type { ParityBreach } from "./breaches.ts";
import { groupByExpiry } from "./chain.ts";
import type { AnalyticsQuote, ExerciseStyle, ExpiryChain } from "./chain.ts";
import { chainRate, DEFAULT_MIN_STRIKES, fitParity, forwardAtDiscount } from "./parity.ts";
import type { ParityFit, ParityFitOptions } from "./parity.ts";

/** The parity line a breach is measured against. */
export interface ParityReference {
  /** The chain's implied rate (null only when it fell back to an expiry's own fit at T = 0). */
  rate: number | null;
  discountFactor: number;
  forward: number;
}

/** Everything chain analytics says about one expiry of one snapshot (see docs/analytics.md). */
export interface ExpiryAnalytics {
  expiry: string;
  /** The class of the expiry's contracts (null when the quotes carried none). */
  tradingClass: string | null;
  /** The instant T is measured from: the median time of the expiry's quotes, else `asOf`. */
  snapshotTime: Date;
  /** ACT/365 years from snapshotTime to the expiry's 16:00 New York close. */
  years: number;
  exercise: ExerciseStyle;
  underlyingPrice: number | null;
  fit: ParityFit;
  /** What the breach check priced parity with: the chain's rate and this expiry's forward given it. */
  reference: ParityReference | null;
  boxRates: BoxRateSummary[];
  /** Null when the check could not be made (no fit, or American without an underlying price). */
  parityBreaches: ParityBreach[] | null;
}

export interface ChainAnalyticsOptions extends ParityFitOptions {
  exercise: ExerciseStyle;
  /** The underlying: with it an AM-settled class (SPX's monthlies) runs to the expiry morning, not its close. */
  symbol?: string;
  /** The snapshot instant for quotes that carry no time. */
  asOf?: Date;
  /** Per share (default DEFAULT_MIN_EDGE). */
  minEdge?: number;
  boxWidths?: readonly number[];
}

/**
 * Per expiry of one chain snapshot: implied forward and rate (put-call parity), box-spread rates per width,
 * parity breaches. Breaches are priced with the chain's rate (see chainRate), not each expiry's own: a week's
 * strikes pin r only to a few percent, and that error times K would show up as false breaches. Pure: the same quotes give the same answer. Expiries whose strikes never have both rights
 * two-sided still get a row (with nulls), so a stored result says the expiry was looked at.
 */
export function analyzeChain(
  quotes: readonly AnalyticsQuote[],
  options: ChainAnalyticsOptions,
): ExpiryAnalytics[] {
  const expiries = groupByExpiry(quotes).map((chain) => {
    const snapshotTime = chain.snapshotTime ?? options.asOf;
    if (snapshotTime === undefined) {
      throw new RangeError(`quotes of ${chain.expiry} carry no time and no asOf was given`);
    }
    const settlement =
      options.symbol === undefined ? "PM" : settlementOf(options.symbol, chain.tradingClass, chain.expiry);
    const years = timeToExpiryYears(snapshotTime, chain.expiry, settlementTimeEt(settlement));
    return { chain, snapshotTime, years, fit: fitParity(chain, years, options) };
  });
  const rate = chainRate(expiries.map((entry) => entry.fit));
  return expiries.map(({ chain, snapshotTime, years, fit }) => {
    const reference = referenceOf(chain, years, fit, rate, options);
    return {
      expiry: chain.expiry,
      tradingClass: chain.tradingClass,
      snapshotTime,
      years,
      exercise: options.exercise,
      underlyingPrice: chain.underlyingPrice,
      fit,
      reference,
      boxRates: boxRates(chain.strikes, years, options.boxWidths ?? STANDARD_BOX_WIDTHS),
      parityBreaches:
        reference === null
          ? null
          : parityBreaches(
              chain.strikes,
              options.exercise,
              { ...reference, underlyingPrice: chain.underlyingPrice },
              options.minEdge ?? DEFAULT_MIN_EDGE,
            ),
    };
  });
}

/** The chain's rate and the forward it implies for this expiry; the expiry's own fit when the chain has no rate. */
function referenceOf(
  chain: ExpiryChain,
  years: number,
  fit: ParityFit,
  rate: number | null,
  options: ParityFitOptions,
): ParityReference | null {
  if (rate !== null) {
    const discountFactor = Math.exp(-rate * years);
    const forward = forwardAtDiscount(chain, discountFactor, options);
    if (forward !== null && fit.strikesConsidered >= (options.minStrikes ?? DEFAULT_MIN_STRIKES))
      return { rate, discountFactor, forward };
  }
  if (fit.discountFactor === null || fit.forward === null) return null;
  return { rate: fit.impliedRate, discountFactor: fit.discountFactor, forward: fit.forward };
}
