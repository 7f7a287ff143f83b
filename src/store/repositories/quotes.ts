import type { Database, Queryable } from "../database.ts";
import { copyIdempotent } from "./bulk-insert.ts";
import type { ColumnSpec } from "./bulk-insert.ts";
import { numeric } from "./fit.ts";

/** One option quote snapshot: a row of market_data_ticks. Missing values are null (never 0 or -1). */
export interface QuoteRow {
  time: Date;
  /** Trading day the snapshot belongs to, "YYYY-MM-DD" in New York. */
  collectionDate: string;
  contractId: number;
  collectionType: string;
  bidPrice?: number | null;
  askPrice?: number | null;
  lastPrice?: number | null;
  closePrice?: number | null;
  bidSize?: number | null;
  askSize?: number | null;
  volume?: number | null;
  openInterest?: number | null;
  delta?: number | null;
  gamma?: number | null;
  theta?: number | null;
  vega?: number | null;
  rho?: number | null;
  impliedVolatility?: number | null;
  underlyingPrice?: number | null;
  /** IB market data type: 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
  marketDataType?: number | null;
  greeksSource?: "ib" | "model" | null;
}

const PRICE = numeric(12, 4);

const QUOTE_COLUMNS: ColumnSpec<QuoteRow>[] = [
  { name: "time", type: { kind: "timestamptz" }, get: (r) => r.time },
  { name: "collection_date", type: { kind: "date" }, get: (r) => r.collectionDate },
  { name: "contract_id", type: { kind: "int4" }, get: (r) => r.contractId },
  { name: "collection_type", type: { kind: "text", maxLength: 20 }, get: (r) => r.collectionType },
  { name: "bid_price", type: PRICE, get: (r) => r.bidPrice },
  { name: "ask_price", type: PRICE, get: (r) => r.askPrice },
  { name: "last_price", type: PRICE, get: (r) => r.lastPrice },
  { name: "close_price", type: PRICE, get: (r) => r.closePrice },
  { name: "bid_size", type: { kind: "int4" }, get: (r) => r.bidSize },
  { name: "ask_size", type: { kind: "int4" }, get: (r) => r.askSize },
  { name: "volume", type: { kind: "int8" }, get: (r) => r.volume },
  { name: "open_interest", type: { kind: "int4" }, get: (r) => r.openInterest },
  { name: "delta", type: numeric(7, 4), get: (r) => r.delta },
  { name: "gamma", type: numeric(10, 6), get: (r) => r.gamma },
  { name: "theta", type: numeric(10, 4), get: (r) => r.theta },
  { name: "vega", type: numeric(10, 4), get: (r) => r.vega },
  { name: "rho", type: numeric(10, 4), get: (r) => r.rho },
  { name: "implied_volatility", type: numeric(8, 4), get: (r) => r.impliedVolatility },
  { name: "underlying_price", type: PRICE, get: (r) => r.underlyingPrice },
  { name: "market_data_type", type: { kind: "int2" }, get: (r) => r.marketDataType },
  { name: "greeks_source", type: { kind: "text", maxLength: 5 }, get: (r) => r.greeksSource },
];

/**
 * Stores quote snapshots with COPY. Idempotent on (contract_id, collection_type, time): storing the
 * same rows again stores nothing. Returns the number of rows newly stored.
 */
export function insertQuotes(db: Database | Queryable, rows: readonly QuoteRow[]): Promise<number> {
  return copyIdempotent(db, "market_data_ticks", QUOTE_COLUMNS, rows, [
    "contract_id",
    "collection_type",
    "time",
  ]);
}

/** Column names in COPY order, for tools (bench/) that load the same rows by other means. */
export const QUOTE_COLUMN_NAMES: readonly string[] = QUOTE_COLUMNS.map((column) => column.name);
