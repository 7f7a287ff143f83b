import {
  addDays,
  isTradingDay,
  monthlyExpiry,
  weeklyExpiryOf,
  type IsoDate,
  DAY_MS,
} from "../../calendar/index.ts";
import type { UnderlyingSpec } from "./underlying-specs.ts";
import type { DailyWalk } from "./walk.ts";

/** Standard monthlies are listed this long before expiry; quarter months a year; January LEAPS from September, ~2⅓ years. */
const MONTHLY_LEAD_DAYS = 92;
const QUARTERLY_LEAD_DAYS = 366;
const LEAPS_YEARS_AHEAD = 3;
const LONGEST_LISTING_MONTHS = 30;
const FINE_GRID_DAYS = 120;

export type ExpiryKind = "daily" | "weekly" | "monthly" | "quarterly" | "leaps";

function parts(date: IsoDate): [number, number, number] {
  return date.split("-").map(Number) as [number, number, number];
}

/** The kinds an expiry date belongs to for this underlying, with the calendar day it was listed. */
const listingCache = new Map<string, { listed: IsoDate; kind: ExpiryKind } | undefined>();

export function listingOf(
  spec: UnderlyingSpec,
  expiry: IsoDate,
): { listed: IsoDate; kind: ExpiryKind } | undefined {
  const key = `${spec.symbol}|${expiry}`;
  if (listingCache.has(key)) return listingCache.get(key);
  if (listingCache.size > 20_000) listingCache.clear();
  const listing = computeListing(spec, expiry);
  listingCache.set(key, listing);
  return listing;
}

function computeListing(
  spec: UnderlyingSpec,
  expiry: IsoDate,
): { listed: IsoDate; kind: ExpiryKind } | undefined {
  const options = spec.options;
  if (!options || !isTradingDay(expiry)) return undefined;
  const [year, month] = parts(expiry);
  const candidates: { listed: IsoDate; kind: ExpiryKind }[] = [];
  if (options.dailyLeadDays > 0)
    candidates.push({ listed: addDays(expiry, -options.dailyLeadDays), kind: "daily" });
  if (weeklyExpiryOf(expiry) === expiry)
    candidates.push({ listed: addDays(expiry, -options.weeklyLeadDays), kind: "weekly" });
  if (monthlyExpiry(year, month) === expiry) {
    candidates.push({ listed: addDays(expiry, -MONTHLY_LEAD_DAYS), kind: "monthly" });
    if (month % 3 === 0)
      candidates.push({ listed: addDays(expiry, -QUARTERLY_LEAD_DAYS), kind: "quarterly" });
    if (month === 1) candidates.push({ listed: `${year - LEAPS_YEARS_AHEAD}-09-01`, kind: "leaps" });
  }
  let best: { listed: IsoDate; kind: ExpiryKind } | undefined;
  for (const candidate of candidates) if (!best || candidate.listed < best.listed) best = candidate;
  return best;
}

/** Expiries listed on date (not yet expired), ascending. */
export function expiriesOn(spec: UnderlyingSpec, date: IsoDate): IsoDate[] {
  const options = spec.options;
  if (!options) return [];
  const found = new Set<IsoDate>();
  const horizon = Math.max(options.dailyLeadDays, options.weeklyLeadDays);
  for (let offset = 0; offset <= horizon; offset++) {
    const day = addDays(date, offset);
    if (isTradingDay(day)) found.add(day);
  }
  const [year, month] = parts(date);
  for (let ahead = 0; ahead <= LONGEST_LISTING_MONTHS + 12; ahead++) {
    const index = month - 1 + ahead;
    found.add(monthlyExpiry(year + Math.floor(index / 12), (index % 12) + 1));
  }
  const listed: IsoDate[] = [];
  for (const expiry of found) {
    if (expiry < date) continue;
    const listing = listingOf(spec, expiry);
    if (listing && listing.listed <= date) listed.push(expiry);
  }
  return listed.sort();
}

function gridBetween(low: number, high: number, increment: number): number[] {
  const strikes: number[] = [];
  for (let k = Math.ceil(low / increment); k * increment <= high; k++) if (k > 0) strikes.push(k * increment);
  return strikes;
}

/**
 * Strikes of an expiry as listed on date: a fine grid near the money and a coarse one further out, around every
 * close since listing, so new strikes appear as the underlying moves and listed strikes never disappear.
 */
export function strikesOn(spec: UnderlyingSpec, walk: DailyWalk, expiry: IsoDate, date: IsoDate): number[] {
  const options = spec.options;
  const listing = listingOf(spec, expiry);
  if (!options || !listing) return [];
  const lastClose = addDays(date < expiry ? date : expiry, -1);
  const firstClose = addDays(listing.listed, -1);
  const yearsBetween = (from: IsoDate, to: IsoDate) =>
    Math.max((Date.parse(to) - Date.parse(from)) / (365 * DAY_MS), 1 / 365);
  const rangeSince = (from: IsoDate) => walk.rangeOf(from, lastClose < from ? from : lastClose);
  const listingPrice = walk.closeOn(firstClose);
  const fine = options.fineIncrement(listingPrice);
  const coarse = options.coarseIncrement(fine);
  // The coarse grid spans a wide band around every close since listing.
  const all = rangeSince(firstClose);
  const farBand = Math.min(
    0.4,
    Math.max(0.08, 1.2 * spec.shortVol * Math.sqrt(yearsBetween(listing.listed, expiry))),
  );
  const strikes = new Set<number>(gridBetween(all.low * (1 - farBand), all.high * (1 + farBand), coarse));
  // The fine grid near the money starts four months before expiry: long-dated series get their finer strikes late.
  const fineFrom =
    addDays(expiry, -FINE_GRID_DAYS) > listing.listed ? addDays(expiry, -FINE_GRID_DAYS) : listing.listed;
  if (date >= fineFrom) {
    const recent = rangeSince(addDays(fineFrom, -1));
    const nearBand = Math.min(
      0.07,
      Math.max(0.025, 0.35 * spec.shortVol * Math.sqrt(yearsBetween(fineFrom, expiry))),
    );
    for (const strike of gridBetween(recent.low * (1 - nearBand), recent.high * (1 + nearBand), fine))
      strikes.add(strike);
  }
  return [...strikes].map((strike) => Math.round(strike * 2) / 2).sort((a, b) => a - b);
}
