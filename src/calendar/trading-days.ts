import { addDays, type IsoDate } from "./dates.ts";
import { isTradingDay } from "./holidays.ts";

// The longest run of closed days since 1990 is 6 (2001-09-11..17 incl. a weekend); 30 is a safe bound.
const MAX_CLOSED_RUN = 30;

/** The first trading day strictly after date. */
export function nextTradingDay(date: IsoDate): IsoDate {
  let day = date;
  for (let i = 0; i < MAX_CLOSED_RUN; i++) {
    day = addDays(day, 1);
    if (isTradingDay(day)) return day;
  }
  throw new Error(`no trading day within ${MAX_CLOSED_RUN} days after ${date}`);
}

/** The last trading day strictly before date. */
export function previousTradingDay(date: IsoDate): IsoDate {
  let day = date;
  for (let i = 0; i < MAX_CLOSED_RUN; i++) {
    day = addDays(day, -1);
    if (isTradingDay(day)) return day;
  }
  throw new Error(`no trading day within ${MAX_CLOSED_RUN} days before ${date}`);
}

/**
 * The trading day whose settled figures a quote taken on `date` carries: OCC open interest (IB ticks 27/28)
 * and the close (tick 9) are the previous session's. Monday's are Friday's; after a holiday, the day before it.
 */
export function priorSessionOf(date: IsoDate): IsoDate {
  return previousTradingDay(date);
}

/** Trading days from start to end, both inclusive. */
export function tradingDaysBetween(start: IsoDate, end: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let day = start; day <= end; day = addDays(day, 1)) if (isTradingDay(day)) days.push(day);
  return days;
}
