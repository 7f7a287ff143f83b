import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import { EXPIRING_ONLY_TYPES } from "../core/collection.ts";
import type { CollectionType } from "../core/collection.ts";
import type { IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import { startCollection, type CollectionKey } from "../store/repositories/collection-status.ts";
import { deleteCollectionQuotes } from "../store/repositories/quotes.ts";
import { deleteCollectionUnderlyingTicks } from "../store/repositories/underlying-ticks.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import { discoverChain, discoverUnderlying } from "./discovery.ts";
import type { ChainDiscovery, UnderlyingInfo } from "./discovery.ts";
import { withinMaxDaysToExpiry } from "./selection.ts";
import type { CollectionProgress } from "./summary.ts";

/** What a collection works with: the database, one gateway connection, the configuration, where progress goes. */
export interface CollectionDeps {
  db: Database;
  ib: IbClient;
  config: Config;
  logger: Logger;
  onProgress?: (progress: CollectionProgress) => void;
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

export type PrepareOutcome =
  | { kind: "skipped"; recordsCollected: number }
  | { kind: "ready"; underlying: UnderlyingInfo; discovery: ChainDiscovery }
  | { kind: "failed"; error: unknown };

/** Starts a symbol's status row and discovery: everything that needs no market data. */
export function prepareSymbol(target: SymbolTarget, deps: CollectionDeps): Preparation {
  return { target, started: Date.now(), outcome: discoverSymbol(target, deps) };
}

/** Status row, --force clean-up, underlying and chain discovery. Never rejects. */
async function discoverSymbol(target: SymbolTarget, deps: CollectionDeps): Promise<PrepareOutcome> {
  const { db, ib, config, logger } = deps;
  const { symbol, date, type, force } = target;
  try {
    const status = await startCollection(db, statusKey(target), { collectionTime: ib.now(), force });
    if (status.status === "completed" && !force) {
      return { kind: "skipped", recordsCollected: status.recordsCollected ?? 0 };
    }
    deps.onProgress?.({ symbol, phase: "discovery", done: 0, total: 0 });
    if (force) {
      const known = await findUnderlying(db, symbol);
      if (known) {
        await deleteCollectionQuotes(db, known.id, date, type);
        await deleteCollectionUnderlyingTicks(db, known.id, date, type);
      }
    }
    const underlying = await discoverUnderlying(db, ib, symbol);
    const maxDays = config.selection.max_days_to_expiry;
    const discovery = await discoverChain(db, ib, underlying, {
      date,
      includeExpiry: (expiry) =>
        EXPIRING_ONLY_TYPES.has(type) ? expiry === date : withinMaxDaysToExpiry(date, expiry, maxDays),
      concurrency: config.collect.discovery_concurrency,
      logger,
    });
    return { kind: "ready", underlying, discovery };
  } catch (error) {
    return { kind: "failed", error };
  }
}

/** The key of the symbol's status row: its idempotency. */
export function statusKey(target: SymbolTarget): CollectionKey {
  return { collectionDate: target.date, symbol: target.symbol, collectionType: target.type };
}
