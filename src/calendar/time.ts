import { DateTime } from "luxon";
import { dayNumber, type IsoDate } from "./dates.ts";

export const NEW_YORK = "America/New_York";

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Parses "HH:MM" (24-hour) into minutes after midnight; throws RangeError naming the expected form. */
export function minutesOfDay(time: string): number {
  const match = HH_MM.exec(time);
  if (!match) throw new RangeError(`"${time}" is not a time of day: write it as HH:MM (24-hour), e.g. 16:45`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * The UTC instant of a wall-clock time on a date in a time zone. A time that does not exist (skipped by a
 * spring-forward) moves forward by the gap, as wall clocks do; an ambiguous one takes its first occurrence.
 */
export function zonedInstant(date: IsoDate, time: string, zone: string): Date {
  const minutes = minutesOfDay(time);
  dayNumber(date); // validates the date with a helpful message
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const local = DateTime.fromObject(
    { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 },
    { zone },
  );
  if (!local.isValid)
    throw new RangeError(`cannot place ${date} ${time} in zone "${zone}": ${local.invalidReason}`);
  // luxon resolves a repeated (fall-back) wall time to its later occurrence; a schedule wants the first one.
  const earlierOffset = local.minus({ hours: 3 }).offset;
  if (earlierOffset > local.offset) {
    const earlier = DateTime.fromMillis(local.toMillis() - (earlierOffset - local.offset) * 60_000, { zone });
    if (earlier.hour === local.hour && earlier.minute === local.minute) return earlier.toJSDate();
  }
  return local.toJSDate();
}

/** "HH:MM" in New York on a date → UTC instant (daylight-saving correct). */
export function etInstant(date: IsoDate, timeEt: string): Date {
  return zonedInstant(date, timeEt, NEW_YORK);
}

/** A UTC instant → its date and "HH:MM" in a zone. */
export function inZone(instant: Date, zone: string): { date: IsoDate; time: string } {
  const local = DateTime.fromJSDate(instant, { zone });
  if (!local.isValid)
    throw new RangeError(`unknown time zone "${zone}": use an IANA name such as Asia/Jerusalem`);
  return { date: local.toFormat("yyyy-MM-dd"), time: local.toFormat("HH:mm") };
}

/** UTC instant → New York date and "HH:MM". */
export function toEt(instant: Date): { date: IsoDate; time: string } {
  return inZone(instant, NEW_YORK);
}

/** True when luxon knows the IANA zone name. */
export function isValidZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}
