import { specOf, tradesLastOn } from "../config/symbols.ts";
import { planZone } from "../schedule/zones.ts";
import { setTimeout as sleep } from "node:timers/promises";
import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import { EXPIRING_ONLY_TYPES } from "../core/collection.ts";
import type { CollectionType } from "../core/collection.ts";
import type { EventSink } from "../core/events.ts";
import type { IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { CollectionLease, CollectionLocks, CollectionOwner } from "../store/collection-lock.ts";
import type { DatabaseOutage } from "../store/outage.ts";
import { startCollection, type CollectionKey } from "../store/repositories/collection-status.ts";
import { latestCollectionQuoteTime } from "../store/repositories/quotes.ts";
import { latestUnderlyingTickTime } from "../store/repositories/underlying-ticks.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import { discoverChain, discoverUnderlying } from "./discovery.ts";
import type { ChainDiscovery, UnderlyingInfo } from "./discovery.ts";
import type { Spooling } from "./quote-writer.ts";
import { withinMaxDaysToExpiry } from "./selection.ts";
import type { CollectionProgress } from "./summary.ts";

/** How far behind a stored snapshot the gateway's clock may be and still be waited for (see gatewayTimeAfter). */
const MAX_CLOCK_LAG_MS = 3_000;

/** What a collection works with: the database, one gateway connection, the configuration, where progress goes. */
export interface CollectionDeps {
  db: Database;
  ib: IbClient;
  config: Config;
  logger: Logger;
  onProgress?: (progress: CollectionProgress) => void;
  /** The process's record of database outages (the daemon shares its own); a run makes one otherwise. */
  outage?: DatabaseOutage;
  /** Set by runCollection: where quotes go while the database is away. */
  spooling?: Spooling;
  /** Where the run reports what it did and found (collection_finished, quality_checked; alerts, metrics); default: nowhere. */
  events?: EventSink;
}

/** One symbol's collection: which (date, symbol, type), and whether a completed one is re-run. */
export interface SymbolTarget {
  symbol: string;
  date: IsoDate;
  type: CollectionType;
  force: boolean;
}

/** A symbol whose preparation is under way while the previous symbol takes its snapshots. */
export interface Preparation {
  target: SymbolTarget;
  /** Date.now() when the preparation began: the symbol's duration counts from here. */
  started: number;
  outcome: Promise<PrepareOutcome>;
}

/**
 * "busy": another live run holds the key. "ready" and "failed" (once the key was claimed) carry the
 * lease, which the symbol's collection releases when it has recorded its status.
 */
export type PrepareOutcome =
  | { kind: "busy"; owner: CollectionOwner | null }
  | { kind: "skipped"; recordsCollected: number }
  | { kind: "ready"; underlying: UnderlyingInfo; discovery: ChainDiscovery; lease: CollectionLease }
  | { kind: "failed"; error: unknown; lease?: CollectionLease; statusStarted: boolean };

/** Claims the symbol's key, starts its status row and discovery: everything that needs no market data. */
export function prepareSymbol(
  target: SymbolTarget,
  deps: CollectionDeps,
  locks: CollectionLocks,
): Preparation {
  return { target, started: Date.now(), outcome: discoverSymbol(target, deps, locks) };
}

/** Claim, status row, the replacement a forced run begins, underlying and chain discovery. Never rejects. */
async function discoverSymbol(
  target: SymbolTarget,
  deps: CollectionDeps,
  locks: CollectionLocks,
): Promise<PrepareOutcome> {
  const { db, ib, config, logger } = deps;
  const { symbol, date, type, force } = target;
  let lease: CollectionLease | undefined;
  let statusStarted = false;
  try {
    const claim = await locks.claim(statusKey(target));
    if (!claim.held) return { kind: "busy", owner: claim.owner };
    lease = claim.lease;
    // Checked before the status row changes: a replacement that cannot start leaves everything as it was.
    const replaceBefore =
      force && lease.replacingBefore === null ? await replacementStart(target, deps) : null;
    const status = await startCollection(db, statusKey(target), {
      collectionTime: ib.now(),
      timezone: planZone(config.schedule),
      force,
      runId: lease.runId,
    });
    statusStarted = status.status === "running";
    if (!statusStarted) {
      await lease.unlock();
      return { kind: "skipped", recordsCollected: status.recordsCollected ?? 0 };
    }
    deps.onProgress?.({ symbol, phase: "discovery", done: 0, total: 0 });
    if (replaceBefore !== null) {
      await lease.beginReplacement(replaceBefore);
    } else if (lease.replacingBefore !== null) {
      // Rows this run writes must count as new: after the boundary on this run's estimate of the clock too.
      await gatewayTimeAfter(
        ib,
        lease.replacingBefore.getTime(),
        `continue replacing ${symbol} ${type} ${date} from`,
      );
      logger.info(
        { symbol, date, type, replacingBefore: lease.replacingBefore.toISOString() },
        "continuing an interrupted replacement: the old snapshot stays until the new one is complete",
      );
    }
    const underlying = await discoverUnderlying(db, ib, symbol);
    const maxDays = config.selection.max_days_to_expiry;
    const discovery = await discoverChain(db, ib, underlying, {
      date,
      includeExpiry: (expiry, tradingClass) =>
        EXPIRING_ONLY_TYPES.has(type)
          ? tradesLastOn(symbol, tradingClass, expiry, date)
          : withinMaxDaysToExpiry(date, expiry, maxDays),
      concurrency: config.collect.discovery_concurrency,
      logger,
      spec: specOf(config.symbols, symbol),
    });
    return { kind: "ready", underlying, discovery, lease };
  } catch (error) {
    return { kind: "failed", error, statusStarted, ...(lease ? { lease } : {}) };
  }
}

/**
 * Where a forced run's replacement begins. The run writes its snapshot beside the old one and deletes
 * the old one only when it records its status (collect-symbol.ts), so a kill at any moment leaves the
 * old snapshot whole. Rows are told apart by time: the old ones are older than this moment of the
 * gateway's clock, which must therefore be past every stored row of the collection.
 */
async function replacementStart(target: SymbolTarget, deps: CollectionDeps): Promise<Date> {
  const { db, ib } = deps;
  const { symbol, date, type } = target;
  const known = await findUnderlying(db, symbol);
  if (!known) return ib.now();
  const times = await Promise.all([
    latestCollectionQuoteTime(db, known.id, date, type),
    latestUnderlyingTickTime(db, known.id, date, type),
  ]);
  const newest = Math.max(...times.map((time) => time?.getTime() ?? Number.NEGATIVE_INFINITY));
  return gatewayTimeAfter(ib, newest, `replace ${symbol} ${type} ${date}: its stored snapshot`);
}

/**
 * The gateway's time once it is past `instant` (ms). CURRENT_TIME has whole seconds, so each run's
 * estimate of the gateway's clock may sit up to a second behind the last run's: a run that follows
 * another closely waits that out. A clock further behind (or standing still) is refused: rows written
 * now could not be told from the older ones.
 */
export async function gatewayTimeAfter(ib: IbClient, instant: number, what: string): Promise<Date> {
  let now = ib.now();
  if (now.getTime() > instant) return now;
  if (instant - now.getTime() < MAX_CLOCK_LAG_MS) {
    // A timer may fire a millisecond before the clock has moved on, so wait until it has; a clock standing
    // still is given up on after twice the lag allowed.
    const giveUpAt = performance.now() + 2 * MAX_CLOCK_LAG_MS;
    while (performance.now() < giveUpAt) {
      await sleep(instant - now.getTime() + 1);
      now = ib.now();
      if (now.getTime() > instant) return now;
    }
  }
  throw new Error(
    `cannot ${what} (${new Date(instant).toISOString()}) is not older than the gateway's clock ` +
      `(${now.toISOString()}), so old and new rows could not be told apart; check the gateway's clock, ` +
      "or re-run once it is past the stored snapshot",
  );
}

/** The key of the symbol's status row: its idempotency. */
export function statusKey(target: SymbolTarget): CollectionKey {
  return { collectionDate: target.date, symbol: target.symbol, collectionType: target.type };
}
