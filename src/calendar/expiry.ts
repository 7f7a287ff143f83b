import { addDays, nthWeekdayOfMonth, weekdayOf, type IsoDate } from "./dates.ts";
import { isTradingDay } from "./holidays.ts";

/**
 * The expiry day of the Mon–Fri week ending on a Friday: the Friday, or, when the exchange is closed that Friday
 * (Good Friday, a Saturday holiday observed on Friday, an unscheduled closure), the last trading day before it in
 * that week — Thursday in every case since 1990 except the week of 2001-09-11 (expiries then moved to Monday 17th
 * by OCC notice; that one-off is not modelled). null when the whole week is closed.
 */
function expiryOfWeekEnding(friday: IsoDate): IsoDate | null {
  for (let back = 0; back <= 4; back++) {
    const day = addDays(friday, -back);
    if (isTradingDay(day)) return day;
  }
  return null;
}

/** Standard monthly expiry: the third Friday of the month, or the trading day before it if that Friday is closed. */
export function monthlyExpiry(year: number, month: number): IsoDate {
  const thirdFriday = nthWeekdayOfMonth(year, month, 5, 3);
  const expiry = expiryOfWeekEnding(thirdFriday);
  if (!expiry) throw new Error(`no trading day in the week of ${thirdFriday}`);
  return expiry;
}

/**
 * The weekly expiry of the Mon–Fri week containing date (Friday, Thursday if Friday is a holiday).
 * null for a Saturday or Sunday (not part of any Mon–Fri week) and for a week without trading days.
 */
export function weeklyExpiryOf(date: IsoDate): IsoDate | null {
  const weekday = weekdayOf(date);
  if (weekday === 0 || weekday === 6) return null;
  return expiryOfWeekEnding(addDays(date, 5 - weekday));
}

export function isMonthlyExpiry(date: IsoDate): boolean {
  const [year, month] = date.split("-").map(Number) as [number, number];
  return monthlyExpiry(year, month) === date;
}
