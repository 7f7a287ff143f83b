import { DateTime } from "luxon";

/**
 * Time to expiry for pricing: ACT/365 — the exact elapsed time in milliseconds divided by 365 days of 24 hours —
 * from the quote's instant to the option's expiry instant, taken as the 16:00 New York close of the expiration
 * date (DST-correct). Calendar time rather than trading time, matching theta per calendar day and IB's own model.
 * An expiration day with an early close can pass its close time ("13:00").
 */

export const MILLISECONDS_PER_YEAR = 365 * 24 * 60 * 60 * 1000;
export const EXPIRY_CLOSE_ET = "16:00";

/** The UTC instant at which an option expiring on `expiry` ("YYYY-MM-DD", New York) stops trading. */
export function expiryInstant(expiry: string, closeEt: string = EXPIRY_CLOSE_ET): Date {
  const instant = DateTime.fromISO(`${expiry}T${closeEt}`, { zone: "America/New_York" });
  if (!instant.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(expiry) || !/^\d{2}:\d{2}$/.test(closeEt)) {
    throw new RangeError(
      `expected an expiry "YYYY-MM-DD" and a close "HH:MM", got "${expiry}" and "${closeEt}"`,
    );
  }
  return instant.toJSDate();
}

/** ACT/365 year fraction from `from` to `to`; 0 when `to` is not after `from`. */
export function yearFraction(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / MILLISECONDS_PER_YEAR);
}

/** Years from `now` to the expiry close of an option expiring on `expiry`; 0 once it has expired. */
export function timeToExpiryYears(now: Date, expiry: string, closeEt: string = EXPIRY_CLOSE_ET): number {
  return yearFraction(now, expiryInstant(expiry, closeEt));
}
