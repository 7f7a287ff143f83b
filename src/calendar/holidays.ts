import {
  addDays,
  easterSunday,
  isoDate,
  isWeekend,
  nthWeekdayOfMonth,
  weekdayOf,
  yearOf,
  type IsoDate,
} from "./dates.ts";

/**
 * NYSE full-day closures and 13:00 early closes, by rule, for 1990–2100.
 *
 * Rules follow NYSE Rule 7.2 ("Holidays"): a holiday on a Saturday is observed on the Friday before, a holiday on
 * a Sunday on the Monday after. The Exchange does not close on the Friday before a Saturday New Year's Day,
 * because that Friday ends a monthly and yearly accounting period (the "unusual business conditions" clause);
 * so 2022-01-01 (Saturday) was not observed at all and 2021-12-31 was a full trading day.
 * Sources: NYSE "Holidays & Trading Hours" https://www.nyse.com/markets/hours-calendars and NYSE Rule 7.2.
 */

export interface Holiday {
  date: IsoDate;
  name: string;
}

export interface EarlyClose {
  date: IsoDate;
  closeEt: string;
}

/**
 * Unscheduled full-day closures, kept as data because no rule predicts them.
 * Sources: NYSE Group press releases announcing each closure, and NYSE's closings history as compiled in
 * pandas_market_calendars (github.com/rsheftel/pandas_market_calendars, pandas_market_calendars/holidays/nyse.py,
 * which lists no other full-day closure since 1990):
 * - 1994-04-27 national day of mourning for President Nixon;
 * - 2001-09-11..14 the September 11 attacks (markets reopened Monday 2001-09-17);
 * - 2004-06-11 national day of mourning for President Reagan;
 * - 2007-01-02 national day of mourning for President Ford;
 * - 2012-10-29/30 Hurricane Sandy;
 * - 2018-12-05 national day of mourning for President George H. W. Bush;
 * - 2025-01-09 national day of mourning for President Carter.
 */
export const UNSCHEDULED_CLOSURES: readonly Holiday[] = [
  { date: "1994-04-27", name: "National Day of Mourning (Richard Nixon)" },
  { date: "2001-09-11", name: "September 11 attacks" },
  { date: "2001-09-12", name: "September 11 attacks" },
  { date: "2001-09-13", name: "September 11 attacks" },
  { date: "2001-09-14", name: "September 11 attacks" },
  { date: "2004-06-11", name: "National Day of Mourning (Ronald Reagan)" },
  { date: "2007-01-02", name: "National Day of Mourning (Gerald Ford)" },
  { date: "2012-10-29", name: "Hurricane Sandy" },
  { date: "2012-10-30", name: "Hurricane Sandy" },
  { date: "2018-12-05", name: "National Day of Mourning (George H. W. Bush)" },
  { date: "2025-01-09", name: "National Day of Mourning (Jimmy Carter)" },
];

/** Saturday → Friday before, Sunday → Monday after (NYSE Rule 7.2). */
function observed(date: IsoDate): IsoDate {
  const weekday = weekdayOf(date);
  if (weekday === 6) return addDays(date, -1);
  if (weekday === 0) return addDays(date, 1);
  return date;
}

function regularHolidays(year: number): Holiday[] {
  const list: Holiday[] = [];
  const newYear = isoDate(year, 1, 1);
  // A Saturday New Year's Day is not moved to Friday 31 December (see the header comment).
  if (weekdayOf(newYear) !== 6) list.push({ date: observed(newYear), name: "New Year's Day" });
  // NYSE first closed for Martin Luther King Jr. Day in 1998.
  if (year >= 1998) list.push({ date: nthWeekdayOfMonth(year, 1, 1, 3), name: "Martin Luther King Jr. Day" });
  list.push({ date: nthWeekdayOfMonth(year, 2, 1, 3), name: "Washington's Birthday" });
  list.push({ date: addDays(easterSunday(year), -2), name: "Good Friday" });
  list.push({ date: nthWeekdayOfMonth(year, 5, 1, -1), name: "Memorial Day" });
  // Juneteenth became a federal holiday on 2021-06-17; NYSE first closed for it in 2022.
  if (year >= 2022)
    list.push({ date: observed(isoDate(year, 6, 19)), name: "Juneteenth National Independence Day" });
  list.push({ date: observed(isoDate(year, 7, 4)), name: "Independence Day" });
  list.push({ date: nthWeekdayOfMonth(year, 9, 1, 1), name: "Labor Day" });
  list.push({ date: nthWeekdayOfMonth(year, 11, 4, 4), name: "Thanksgiving Day" });
  list.push({ date: observed(isoDate(year, 12, 25)), name: "Christmas Day" });
  return list;
}

const holidayCache = new Map<number, Holiday[]>();
const holidaySetCache = new Map<number, Set<IsoDate>>();

/** Weekday full closures of a year (regular holidays as observed, plus unscheduled closures), sorted by date. */
export function holidaysOf(year: number): Holiday[] {
  let list = holidayCache.get(year);
  if (!list) {
    list = [...regularHolidays(year), ...UNSCHEDULED_CLOSURES.filter((c) => yearOf(c.date) === year)]
      .filter((h) => !isWeekend(h.date))
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    holidayCache.set(year, list);
  }
  return list.map((h) => ({ ...h }));
}

export function isHoliday(date: IsoDate): boolean {
  const year = yearOf(date);
  let set = holidaySetCache.get(year);
  if (!set) {
    set = new Set(holidaysOf(year).map((h) => h.date));
    holidaySetCache.set(year, set);
  }
  return set.has(date);
}

export function isTradingDay(date: IsoDate): boolean {
  return !isWeekend(date) && !isHoliday(date);
}

/** NYSE's early close time on its scheduled half days (since 1993). */
export const EARLY_CLOSE_ET = "13:00";

/**
 * Early closes that no rule predicts (the day after Christmas), from the NYSE closings history as compiled by
 * pandas_market_calendars (holidays/nyse.py, "DayAfterChristmas1pmEarlyCloseAdhoc").
 */
export const UNSCHEDULED_EARLY_CLOSES: readonly EarlyClose[] = [
  { date: "1997-12-26", closeEt: "13:00" },
  { date: "2003-12-26", closeEt: "13:00" },
];

/**
 * Early closes of a year, sorted. Since 2013 NYSE closes at 13:00:
 * - on 3 July when it is a Monday–Thursday (Independence Day on Tuesday–Friday). When 4 July is a Saturday the
 *   holiday itself falls on Friday 3 July and Thursday 2 July is a full day (2015, 2020, 2026); when it is a Sunday
 *   or Monday, the Friday before is a full day (2016, 2021, 2022);
 * - on the day after Thanksgiving (always a Friday);
 * - on 24 December when it is a Monday–Thursday. A Friday 24 December is itself the observed Christmas holiday,
 *   and the Friday 23 December before a Sunday/Monday Christmas is a full day (2016, 2022).
 * Earlier years differ (NYSE closings history, as compiled in pandas_market_calendars holidays/nyse.py): no
 * 3 July half day before 1995; from 1996 to 2012 a Thursday Independence Day gave a half day on Friday 5 July
 * instead of Wednesday 3 July; the day after Thanksgiving was a full day before 1992 and closed at 14:00 in 1992;
 * Christmas Eve closed at 14:00 in 1990–1992. Intraday events (late opens, circuit breakers) are not modelled.
 * A day that is itself closed (e.g. an unscheduled closure) is never listed.
 */
export function earlyClosesOf(year: number): EarlyClose[] {
  let list = earlyCloseCache.get(year);
  if (!list) {
    list = computeEarlyCloses(year);
    earlyCloseCache.set(year, list);
  }
  return list.map((e) => ({ ...e }));
}

const earlyCloseCache = new Map<number, EarlyClose[]>();

function computeEarlyCloses(year: number): EarlyClose[] {
  const list: EarlyClose[] = [];
  const julyThird = isoDate(year, 7, 3);
  const julyThirdWeekday = weekdayOf(julyThird);
  if (
    year >= 1995 &&
    julyThirdWeekday >= 1 &&
    julyThirdWeekday <= 4 &&
    (julyThirdWeekday !== 3 || year >= 2013)
  ) {
    list.push({ date: julyThird, closeEt: EARLY_CLOSE_ET });
  }
  const julyFifth = isoDate(year, 7, 5);
  if (year >= 1996 && year <= 2012 && weekdayOf(julyFifth) === 5)
    list.push({ date: julyFifth, closeEt: "13:00" });
  if (year >= 1992) {
    const dayAfterThanksgiving = addDays(nthWeekdayOfMonth(year, 11, 4, 4), 1);
    list.push({ date: dayAfterThanksgiving, closeEt: year === 1992 ? "14:00" : EARLY_CLOSE_ET });
  }
  const christmasEve = isoDate(year, 12, 24);
  if (weekdayOf(christmasEve) >= 1 && weekdayOf(christmasEve) <= 4) {
    list.push({ date: christmasEve, closeEt: year <= 1992 ? "14:00" : EARLY_CLOSE_ET });
  }
  list.push(...UNSCHEDULED_EARLY_CLOSES.filter((e) => yearOf(e.date) === year));
  return list
    .filter((e) => isTradingDay(e.date))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** The early close time ("HH:MM" ET) of a date, or null when the date is not an early close. */
export function earlyCloseTimeOf(date: IsoDate): string | null {
  earlyClosesOf(yearOf(date));
  return earlyCloseCache.get(yearOf(date))!.find((e) => e.date === date)?.closeEt ?? null;
}

export function isEarlyClose(date: IsoDate): boolean {
  return earlyCloseTimeOf(date) !== null;
}
