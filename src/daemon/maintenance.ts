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
 * when a quote of theirs from that day is stored.
 */
export async function processExpiry(db: Queryable, date: string): Promise<ExpiryCheck> {
  const expired = await expireContractsOn(db, date, EXPIRY_DAY_SNAPSHOT_TYPES);
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
