/**
 * The NYSE market calendar: trading days, holidays, early closes, sessions and option expiries.
 * Pure (no I/O, no clock); every date is a New York calendar date "YYYY-MM-DD"; rules hold for 1990–2100.
 */
export type { IsoDate } from "./dates.ts";
export { DAY_MS, addDays, dayNumber, daysBetween, weekdayOf } from "./dates.ts";
export {
  EARLY_CLOSE_ET,
  UNSCHEDULED_CLOSURES,
  UNSCHEDULED_EARLY_CLOSES,
  earlyCloseTimeOf,
  earlyClosesOf,
  holidaysOf,
  isEarlyClose,
  isHoliday,
  isTradingDay,
  type EarlyClose,
  type Holiday,
} from "./holidays.ts";
export {
  LATE_CLOSE_OPTION_SYMBOLS,
  REGULAR_OPEN_ET,
  sessionKindForOption,
  sessionOf,
  type SessionKind,
} from "./sessions.ts";
export { nextTradingDay, previousTradingDay, priorSessionOf, tradingDaysBetween } from "./trading-days.ts";
export { isMonthlyExpiry, monthlyExpiry, weeklyExpiryOf } from "./expiry.ts";
export { NEW_YORK, etInstant, inZone, isValidZone, toEt, zonedInstant } from "./time.ts";
