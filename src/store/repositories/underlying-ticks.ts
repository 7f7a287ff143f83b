import type { Database, Queryable } from "../database.ts";
import { copyIdempotent } from "./bulk-insert.ts";
import type { ColumnSpec } from "./bulk-insert.ts";
import { numeric } from "./fit.ts";

/** One snapshot of an underlying: a row of underlying_ticks. */
export interface UnderlyingTickRow {
  time: Date;
  collectionDate: string;
  underlyingId: number;
  collectionType: string;
  bidPrice?: number | null;
  askPrice?: number | null;
  lastPrice?: number | null;
  closePrice?: number | null;
  bidSize?: number | null;
  askSize?: number | null;
  volume?: number | null;
  impliedVolatility?: number | null;
  historicalVolatility?: number | null;
  marketDataType?: number | null;
}

const PRICE = numeric(12, 4);

const COLUMNS: ColumnSpec<UnderlyingTickRow>[] = [
  { name: "time", type: { kind: "timestamptz" }, get: (r) => r.time },
  { name: "collection_date", type: { kind: "date" }, get: (r) => r.collectionDate },
  { name: "underlying_id", type: { kind: "int4" }, get: (r) => r.underlyingId },
  { name: "collection_type", type: { kind: "text", maxLength: 20 }, get: (r) => r.collectionType },
  { name: "bid_price", type: PRICE, get: (r) => r.bidPrice },
  { name: "ask_price", type: PRICE, get: (r) => r.askPrice },
  { name: "last_price", type: PRICE, get: (r) => r.lastPrice },
  { name: "close_price", type: PRICE, get: (r) => r.closePrice },
  { name: "bid_size", type: { kind: "int4" }, get: (r) => r.bidSize },
  { name: "ask_size", type: { kind: "int4" }, get: (r) => r.askSize },
  { name: "volume", type: { kind: "int8" }, get: (r) => r.volume },
  { name: "implied_volatility", type: numeric(8, 4), get: (r) => r.impliedVolatility },
  { name: "historical_volatility", type: numeric(8, 4), get: (r) => r.historicalVolatility },
  { name: "market_data_type", type: { kind: "int2" }, get: (r) => r.marketDataType },
];

/** Stores underlying snapshots; idempotent on (underlying_id, collection_type, time). */
export function insertUnderlyingTicks(
  db: Database | Queryable,
  rows: readonly UnderlyingTickRow[],
): Promise<number> {
  return copyIdempotent(db, "underlying_ticks", COLUMNS, rows, ["underlying_id", "collection_type", "time"]);
}
