import { etInstant, sessionOf, toEt, type IsoDate, type SessionKind } from "../../calendar/index.ts";

/**
 * Memoised New York time conversions: the market converts the same few instants thousands of times per chain,
 * and the calendar's conversions go through luxon. Entries are per minute, so the maps stay small.
 */
const MAX_ENTRIES = 50_000;
const toEtCache = new Map<number, { date: IsoDate; time: string }>();
const etInstantCache = new Map<string, number>();
const sessionCache = new Map<string, { openEt: string; closeEt: string } | null>();

function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= MAX_ENTRIES) map.clear();
  map.set(key, value);
  return value;
}

export function etOf(instant: Date): { date: IsoDate; time: string } {
  const minute = Math.floor(instant.getTime() / 60_000);
  return toEtCache.get(minute) ?? remember(toEtCache, minute, toEt(new Date(minute * 60_000)));
}

export function etAt(date: IsoDate, timeEt: string): Date {
  const key = `${date} ${timeEt}`;
  return new Date(
    etInstantCache.get(key) ?? remember(etInstantCache, key, etInstant(date, timeEt).getTime()),
  );
}

export function sessionOn(date: IsoDate, kind: SessionKind): { openEt: string; closeEt: string } | null {
  const key = `${date}|${kind}`;
  const cached = sessionCache.get(key);
  return cached !== undefined ? cached : remember(sessionCache, key, sessionOf(date, kind));
}
