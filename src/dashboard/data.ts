import { toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import { isCollectionType } from "../core/collection.ts";
import { slotsBetween } from "../schedule/index.ts";
import type { PlanOptions } from "../schedule/index.ts";
import { rangeEndingAt, statusReport } from "../status/report.ts";
import type { StatusSlot } from "../status/report.ts";
import type { Queryable } from "../store/database.ts";
import { chainQuotes } from "../store/reads/chain-reads.ts";
import type { ChainQuote } from "../store/reads/chain-reads.ts";
import {
  recentDeadLetters,
  recentFailures,
  recentQualityIssues,
  storedSnapshots,
  tableStorage,
} from "../store/reads/dashboard-reads.ts";
import { listExpiryAnalytics } from "../store/repositories/expiry-analytics.ts";

/** The heat map's span: about four months of trading days, enough to see a pattern in the misses. */
export const HEALTH_TRADING_DAYS = 90;
const NEXT_SLOTS = 8;
const DAY_MS = 86_400_000;

const slotJson = (slot: StatusSlot) => ({
  date: slot.date,
  symbol: slot.symbol,
  type: slot.type,
  manual: slot.manual,
  plannedAt: slot.plannedAt?.toISOString() ?? null,
  outcome: slot.outcome,
  runId: slot.runId,
  selected: slot.selected,
  stored: slot.stored,
  coverage: slot.coverage,
  error: slot.error ?? slot.note,
});

/**
 * The health view: the heat map's cells (every slot `status` reports over HEALTH_TRADING_DAYS, with its outcome
 * and coverage), today's plan, the next slots, the latest problems and the storage per table.
 */
export async function healthView(db: Queryable, plan: PlanOptions, now: Date) {
  const today = toEt(now).date;
  const range = rangeEndingAt(today, HEALTH_TRADING_DAYS);
  const report = await statusReport(db, { ...range, plan, now });
  const next = slotsBetween(now, new Date(now.getTime() + 7 * DAY_MS), plan).slice(0, NEXT_SLOTS);
  const [failures, deadLetters, quality, storage] = await Promise.all([
    recentFailures(db, range.from),
    recentDeadLetters(db, range.from),
    recentQualityIssues(db, range.from),
    tableStorage(db),
  ]);
  return {
    now: now.toISOString(),
    today,
    from: range.from,
    to: range.to,
    counts: report.counts,
    cells: report.slots.map(slotJson),
    todayPlan: report.slots.filter((slot) => slot.date === today).map(slotJson),
    next: next.map((slot) => ({
      date: slot.date,
      symbol: slot.symbol ?? "*",
      type: slot.type,
      at: slot.at.toISOString(),
      note: slot.note,
    })),
    failures,
    deadLetters,
    quality,
    storage,
  };
}

/** The snapshots the chain view can show, newest first. */
export async function snapshotList(db: Queryable) {
  const snapshots = await storedSnapshots(db);
  return snapshots.filter((snapshot) => isCollectionType(snapshot.type));
}

type Side = Pick<
  ChainQuote,
  "bid" | "ask" | "bidSize" | "askSize" | "impliedVolatility" | "delta" | "openInterest" | "last"
>;

const side = (quote: ChainQuote | undefined): Side | null =>
  quote === undefined
    ? null
    : {
        bid: quote.bid,
        ask: quote.ask,
        bidSize: quote.bidSize,
        askSize: quote.askSize,
        last: quote.last,
        impliedVolatility: quote.impliedVolatility,
        delta: quote.delta,
        openInterest: quote.openInterest,
      };

/** One snapshot's chain by expiry, calls and puts side by side per strike, with the expiry's analytics. */
export async function chainView(db: Queryable, symbol: string, date: IsoDate, type: string) {
  const [quotes, analytics] = await Promise.all([
    chainQuotes(db, { symbol, date, collectionType: type }),
    listExpiryAnalytics(db, { symbol, collectionDate: date, collectionType: type }),
  ]);
  const byExpiry = new Map<string, Map<number, { call?: ChainQuote; put?: ChainQuote }>>();
  let underlyingPrice: number | null = null;
  for (const quote of quotes) {
    const strikes = byExpiry.get(quote.expiry) ?? new Map();
    byExpiry.set(quote.expiry, strikes);
    const row = strikes.get(quote.strike) ?? {};
    strikes.set(quote.strike, row);
    if (quote.right === "C") row.call = quote;
    else row.put = quote;
    underlyingPrice ??= quote.underlyingPrice;
  }
  const analyticsByExpiry = new Map(analytics.map((row) => [row.expiry, row]));
  return {
    symbol,
    date,
    type,
    underlyingPrice,
    expiries: [...byExpiry].map(([expiry, strikes]) => {
      const fit = analyticsByExpiry.get(expiry);
      const adjacent = fit?.boxRates.find((box) => box.width === "adjacent") ?? fit?.boxRates[0];
      return {
        expiry,
        yearsToExpiry: fit?.yearsToExpiry ?? null,
        forward: fit?.forward ?? null,
        impliedRate: fit?.impliedRate ?? null,
        impliedDividendYield: fit?.impliedDividendYield ?? null,
        boxRate: adjacent?.mid_rate ?? null,
        parityBreaches: fit?.parityBreachCount ?? null,
        rows: [...strikes]
          .sort(([a], [b]) => a - b)
          .map(([strike, pair]) => ({ strike, call: side(pair.call), put: side(pair.put) })),
      };
    }),
  };
}
