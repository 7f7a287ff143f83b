import type { ArchiveConfig } from "../archive/target.ts";
import { previousTradingDay } from "../calendar/index.ts";
import type { Logger } from "../logger.ts";
import type { Database, Queryable } from "../store/database.ts";
import { EXPIRY_DAY_SNAPSHOT_TYPES } from "../core/collection.ts";
import { expireContractsOn } from "../store/repositories/lifecycle.ts";
import { hasSymbolQuotes } from "../store/repositories/quote-history.ts";
import { insertQuotes } from "../store/repositories/quotes.ts";

/**
 * The bookkeeping slots' rules over the store: which snapshots count as a contract's expiry-day data,
 * and how a daily bar stands in for a missed end-of-day quote.
 */

export interface ExpiryCheck {
  expired: number;
  /** Contracts that expired on the date and have a quote stored on their last day. */
  collected: number;
  /** Contract ids with no quote on their last day. */
  uncollected: number[];
}

/**
 * Marks contracts that expired on `date` as expired in the lifecycle, with expiry_collected set
 * when a quote of theirs from their last trading day is stored (the day before, for AM-settled ones).
 */
export async function processExpiry(db: Queryable, date: string): Promise<ExpiryCheck> {
  const expired = await expireContractsOn(db, date, previousTradingDay(date), EXPIRY_DAY_SNAPSHOT_TYPES);
  const uncollected = expired
    .filter((contract) => !contract.collected)
    .map((contract) => contract.contractId);
  return { expired: expired.length, collected: expired.length - uncollected.length, uncollected };
}

/** Collection type of rows filled from daily bars after a missed snapshot. */
export const HISTORICAL_FILL_TYPE = "hist_daily";

export function hasHistoricalFill(db: Queryable, symbol: string, date: string): Promise<boolean> {
  return hasSymbolQuotes(db, symbol, date, HISTORICAL_FILL_TYPE);
}

/** Stores one daily bar as a quote row of type hist_daily at the close; a second store of it is a no-op. */
export async function storeDailyBar(
  db: Database | Queryable,
  row: { contractId: number; date: string; time: Date; close: number; volume: number | null },
): Promise<void> {
  await insertQuotes(db, [
    {
      time: row.time,
      collectionDate: row.date,
      contractId: row.contractId,
      collectionType: HISTORICAL_FILL_TYPE,
      lastPrice: row.close,
      closePrice: row.close,
      volume: row.volume,
    },
  ]);
}

export interface ArchiveSettings {
  archive: ArchiveConfig;
  keepDays: number;
}

/**
 * The monthly `archive` slot: archive the closed months, verify every archived file against its manifest and
 * the database, then apply retention, which deletes only months whose archive just verified. A verification
 * failure is thrown after retention ran (it kept the failed months), so the slot fails and alerts.
 */
export async function archiveAndRetain(
  db: Database,
  settings: ArchiveSettings,
  options: { now: Date; logger: Logger },
): Promise<{ summary: string; records: number }> {
  // Loaded when the monthly slot runs, not at daemon start: DuckDB and the S3 SDK are large.
  const { runArchive, verifyArchive } = await import("../archive/archive.ts");
  const { applyRetention } = await import("../archive/retention.ts");
  const { openArchiveTarget } = await import("../archive/target.ts");
  const target = await openArchiveTarget(settings.archive);
  try {
    const monthStart = new Date(`${options.now.toISOString().slice(0, 7)}-01T00:00:00Z`);
    const written = await runArchive(db, target, monthStart);
    const verified = await verifyArchive(db, target, options.now);
    const retention = await applyRetention(db, {
      keepDays: settings.keepDays,
      now: options.now,
      logger: options.logger,
    });
    const rows = written.written.reduce((sum, entry) => sum + entry.rows, 0);
    const dropped = retention.dropped.reduce((sum, entry) => sum + entry.rows, 0);
    const summary =
      `archived ${written.written.length} files (${rows} rows), verified ${verified.checked.length}, ` +
      `retention dropped ${dropped} rows in ${retention.dropped.length} month-tables, kept ${retention.kept.length}`;
    if (verified.failures.length > 0) {
      throw new Error(
        `${summary}; verification failed for ${verified.failures
          .map((failure) => `${failure.location} (${failure.problem})`)
          .join(", ")}`,
      );
    }
    return { summary, records: rows };
  } finally {
    target.close();
  }
}
