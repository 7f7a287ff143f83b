/**
 * Calendar dates as "YYYY-MM-DD" strings. A date here is a day on the New York calendar, not an instant,
 * so the arithmetic runs on UTC midnights where no daylight-saving shift can move a day.
 */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Milliseconds in a calendar day of UTC midnights (never shifted by daylight saving). */
export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a "YYYY-MM-DD" date; throws RangeError on anything else. */
export function dayNumber(date: IsoDate): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`"${date}" is not a date: write it as YYYY-MM-DD, e.g. 2026-03-09`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new RangeError(`"${date}" is not a calendar date (no such day in that month)`);
  }
  return ms / DAY_MS;
}

export function fromDayNumber(days: number): IsoDate {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

export function isoDate(year: number, month: number, day: number): IsoDate {
  return fromDayNumber(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier); e.g. days to expiry. */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return dayNumber(to) - dayNumber(from);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** 0 = Sunday … 6 = Saturday, as Date#getDay. */
export function weekdayOf(date: IsoDate): number {
  return new Date(dayNumber(date) * DAY_MS).getUTCDay();
}

export function yearOf(date: IsoDate): number {
  return Number(date.slice(0, 4));
}

export function isWeekend(date: IsoDate): boolean {
  const weekday = weekdayOf(date);
  return weekday === 0 || weekday === 6;
}

/** The n-th (1-based) given weekday of a month; n = -1 means the last one. */
export function nthWeekdayOfMonth(year: number, month: number, weekday: number, n: number): IsoDate {
  if (n > 0) {
    const first = isoDate(year, month, 1);
    const offset = (weekday - weekdayOf(first) + 7) % 7;
    return addDays(first, offset + 7 * (n - 1));
  }
  const last = isoDate(year, month + 1, 0);
  const offset = (weekdayOf(last) - weekday + 7) % 7;
  return addDays(last, -offset);
}

/** Easter Sunday (Gregorian), by the anonymous "Meeus/Jones/Butcher" computus. */
export function easterSunday(year: number): IsoDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}
