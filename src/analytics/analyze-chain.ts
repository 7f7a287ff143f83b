import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import { boxRates, STANDARD_BOX_WIDTHS } from "./box.ts";
import type { BoxRateSummary } from "./box.ts";
import { DEFAULT_MIN_EDGE, parityBreaches } from "./breaches.ts";
import type { ParityBreach } from "./breaches.ts";
import { groupByExpiry } from "./chain.ts";
import type { AnalyticsQuote, ExerciseStyle } from "./chain.ts";
import { fitParity } from "./parity.ts";
import type { ParityFit, ParityFitOptions } from "./parity.ts";

/** Everything chain analytics says about one expiry of one snapshot (see docs/analytics.md). */
export interface ExpiryAnalytics {
  expiry: string;
  /** The instant T is measured from: the median time of the expiry's quotes, else `asOf`. */
  snapshotTime: Date;
  /** ACT/365 years from snapshotTime to the expiry's 16:00 New York close. */
  years: number;
  exercise: ExerciseStyle;
  underlyingPrice: number | null;
  fit: ParityFit;
  boxRates: BoxRateSummary[];
  /** Null when the check could not be made (no fit, or American without an underlying price). */
  parityBreaches: ParityBreach[] | null;
}

export interface ChainAnalyticsOptions extends ParityFitOptions {
  exercise: ExerciseStyle;
  /** The snapshot instant for quotes that carry no time. */
  asOf?: Date;
  /** Per share (default DEFAULT_MIN_EDGE). */
  minEdge?: number;
  boxWidths?: readonly number[];
}

/**
 * Per expiry of one chain snapshot: implied forward and rate (put-call parity), box-spread rates per width,
 * parity breaches. Pure: the same quotes give the same answer. Expiries whose strikes never have both rights
 * two-sided still get a row (with nulls), so a stored result says the expiry was looked at.
 */
export function analyzeChain(
  quotes: readonly AnalyticsQuote[],
  options: ChainAnalyticsOptions,
): ExpiryAnalytics[] {
  return groupByExpiry(quotes).map((chain) => {
    const snapshotTime = chain.snapshotTime ?? options.asOf;
    if (snapshotTime === undefined) {
      throw new RangeError(`quotes of ${chain.expiry} carry no time and no asOf was given`);
    }
    const years = timeToExpiryYears(snapshotTime, chain.expiry);
    const fit = fitParity(chain, years, options);
    const breaches =
      fit.discountFactor !== null && fit.forward !== null
        ? parityBreaches(
            chain.strikes,
            options.exercise,
            {
              discountFactor: fit.discountFactor,
              forward: fit.forward,
              underlyingPrice: chain.underlyingPrice,
            },
            options.minEdge ?? DEFAULT_MIN_EDGE,
          )
        : null;
    return {
      expiry: chain.expiry,
      snapshotTime,
      years,
      exercise: options.exercise,
      underlyingPrice: chain.underlyingPrice,
      fit,
      boxRates: boxRates(chain.strikes, years, options.boxWidths ?? STANDARD_BOX_WIDTHS),
      parityBreaches: breaches,
    };
  });
}
