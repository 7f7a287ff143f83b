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
  ...leadingTickColumns<UnderlyingTickRow>({
    name: "underlying_id",
    type: { kind: "int4" },
    get: (r) => r.underlyingId,
  }),
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

/** Whether the underlying already has a tick in the (date, type) collection. */
export async function hasUnderlyingTick(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM underlying_ticks WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3 LIMIT 1`,
    [underlyingId, collectionDate, collectionType],
  );
  return result.rows.length > 0;
}

/** Removes the underlying's own ticks of one (date, type) collection. */
export async function deleteCollectionUnderlyingTicks(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<void> {
  await db.query(
    `DELETE FROM underlying_ticks WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
}
