import type { Database, Queryable } from "../database.ts";
import { copyIdempotent } from "./bulk-insert.ts";
import type { ColumnSpec } from "./bulk-insert.ts";
import {
  IMPLIED_VOLATILITY_COLUMN,
  leadingTickColumns,
  MARKET_DATA_TYPE_COLUMN,
  VOLATILITY,
} from "./tick-columns.ts";
import type { TickFields } from "./tick-columns.ts";

/** One snapshot of an underlying: a row of underlying_ticks. */
export interface UnderlyingTickRow extends TickFields {
  underlyingId: number;
  historicalVolatility?: number | null;
}

/** underlying_ticks as COPY loads it: names, declared types (values are fitted to them) and getters. */
export const UNDERLYING_TICK_COLUMNS: readonly ColumnSpec<UnderlyingTickRow>[] = [
  ...leadingTickColumns<UnderlyingTickRow>(
    {
      name: "underlying_id",
      type: { kind: "int4" },
      get: (r) => r.underlyingId,
    },
    "numeric",
  ),
  IMPLIED_VOLATILITY_COLUMN,
  { name: "historical_volatility", type: VOLATILITY, get: (r) => r.historicalVolatility },
  MARKET_DATA_TYPE_COLUMN,
];

/** Stores underlying snapshots; idempotent on (underlying_id, collection_type, time). */
export function insertUnderlyingTicks(
  db: Database | Queryable,
  rows: readonly UnderlyingTickRow[],
): Promise<number> {
  return copyIdempotent(db, "underlying_ticks", UNDERLYING_TICK_COLUMNS, rows, [
    "underlying_id",
    "collection_type",
    "time",
  ]);
}

/** Whether the underlying already has a tick in the (date, type) collection (with `since`: one from that time on). */
export async function hasUnderlyingTick(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
  since: Date | null = null,
): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM underlying_ticks
      WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3
        AND ($4::timestamptz IS NULL OR time >= $4)
      LIMIT 1`,
    [underlyingId, collectionDate, collectionType, since],
  );
  return result.rows.length > 0;
}

/** The newest tick time of the underlying's (date, type) collection, or null when it has none. */
export async function latestUnderlyingTickTime(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<Date | null> {
  const result = await db.query<{ latest: Date | null }>(
    `SELECT max(time) AS latest FROM underlying_ticks
      WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  return result.rows[0]?.latest ?? null;
}

/**
 * Removes the underlying's ticks of one (date, type) collection older than `before`, once a tick
 * from `before` on exists (a replacement never leaves the collection without one). Returns the rows removed.
 */
export async function deleteUnderlyingTicksBefore(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
  before: Date,
): Promise<number> {
  const result = await db.query(
    `DELETE FROM underlying_ticks AS t
      WHERE t.underlying_id = $1 AND t.collection_date = $2::date AND t.collection_type = $3 AND t.time < $4
        AND EXISTS (SELECT 1 FROM underlying_ticks AS n
                     WHERE n.underlying_id = t.underlying_id AND n.collection_date = t.collection_date
                       AND n.collection_type = t.collection_type AND n.time >= $4)`,
    [underlyingId, collectionDate, collectionType, before],
  );
  return result.rowCount;
}

/** The prices of a symbol's newest tick in one (date, type) collection, or null when it has none. */
export async function collectionUnderlyingTick(
  db: Queryable,
  symbol: string,
  collectionDate: string,
  collectionType: string,
): Promise<{ bid: number | null; ask: number | null; last: number | null; close: number | null } | null> {
  const result = await db.query<{
    bid: number | null;
    ask: number | null;
    last: number | null;
    close: number | null;
  }>(
    `SELECT t.bid_price AS bid, t.ask_price AS ask, t.last_price AS last, t.close_price AS close
       FROM underlying_ticks AS t JOIN underlying_securities AS u ON u.id = t.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2::date AND t.collection_type = $3
      ORDER BY t.time DESC
      LIMIT 1`,
    [symbol, collectionDate, collectionType],
  );
  return result.rows[0] ?? null;
}
