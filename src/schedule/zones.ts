import { DateTime } from "luxon";
import { NEW_YORK, inZone, isValidZone, DAY_MS } from "../calendar/index.ts";

/** The machine's IANA zone, as the OS reports it (UTC when it reports none). */
export function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * The zone of the plan's local-time slots: schedule.timezone, else the machine's. Status rows record it
 * (daily_collection_status.timezone) so a reader knows which local day the plan meant.
 */
export function planZone(schedule: { timezone?: string | undefined | null }): string {
  return checkZone(schedule.timezone ?? machineZone());
}

/** Validates an IANA zone name given by a user; throws RangeError naming the problem. */
export function checkZone(zone: string): string {
  if (!isValidZone(zone))
    throw new RangeError(`unknown time zone "${zone}": use an IANA name such as Asia/Jerusalem`);
  return zone;
}

function offsetAt(zone: string, ms: number): number {
  return DateTime.fromMillis(ms, { zone }).offset;
}

/** The instant of the zone's nearest clock change before (direction -1) or after (+1) ms, within 400 days. */
function clockChange(zone: string, ms: number, direction: 1 | -1): number | null {
  const current = offsetAt(zone, ms);
  for (let day = 1; day <= 400; day++) {
    const probe = ms + direction * day * DAY_MS;
    if (offsetAt(zone, probe) !== current) {
      // Narrow the day down to the minute: the change lies between the last probe with the current offset and this.
      let inside = ms + direction * (day - 1) * DAY_MS;
      let outside = probe;
      while (Math.abs(outside - inside) > 60_000) {
        const middle = Math.round((inside + outside) / 2);
        if (offsetAt(zone, middle) === current) inside = middle;
        else outside = middle;
      }
      return direction === 1 ? outside : inside;
    }
  }
  return null;
}

function hours(minutes: number): string {
  return `${Math.abs(minutes) / 60} h`;
}

/**
 * Explains, for an instant, that New York and the zone are not their usual distance apart because one of them
 * has changed its clocks and the other not yet (US and Israeli daylight saving start and end on different dates:
 * 2026-03-08..03-27 and 2026-10-25..11-01 New York and Jerusalem are 6 h apart instead of 7). null when the
 * distance is the usual one, or when the zone has no single usual distance (e.g. southern hemisphere).
 */
export function zoneGapNote(instant: Date, zone: string): string | null {
  const ms = instant.getTime();
  const gap = (at: number) => offsetAt(zone, at) - offsetAt(NEW_YORK, at);
  const year = instant.getUTCFullYear();
  const winter = gap(Date.UTC(year, 0, 15, 12));
  const summer = gap(Date.UTC(year, 6, 15, 12));
  const now = gap(ms);
  if (winter !== summer || now === winter) return null;
  const nyChanged = clockChange(NEW_YORK, ms, -1) ?? -Infinity;
  const zoneChanged = clockChange(zone, ms, -1) ?? -Infinity;
  const [mover, moved, other] =
    nyChanged > zoneChanged ? ["New York", nyChanged, zone] : [zone, zoneChanged, "New York"];
  const otherZone = other === "New York" ? NEW_YORK : zone;
  const follows = clockChange(otherZone, ms, 1);
  const moverZone = mover === "New York" ? NEW_YORK : zone;
  const movedOn = inZone(new Date(moved), moverZone).date;
  const followsOn = follows === null ? "later" : `on ${inZone(new Date(follows), otherZone).date}`;
  return (
    `New York and ${zone} are ${hours(now)} apart instead of ${hours(winter)}: ` +
    `${mover} changed its clocks on ${movedOn}, ${other} follows ${followsOn}`
  );
}
