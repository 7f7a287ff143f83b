import type { ColumnSpec } from "./bulk-insert.ts";
import { numeric } from "./fit.ts";

/** The fields market_data_ticks and underlying_ticks share: a snapshot of prices, sizes and volume. */
export interface TickFields {
  time: Date;
  /** Trading day the snapshot belongs to, "YYYY-MM-DD" in New York. */
  collectionDate: string;
  collectionType: string;
  bidPrice?: number | null;
  askPrice?: number | null;
  lastPrice?: number | null;
  closePrice?: number | null;
  bidSize?: number | null;
  askSize?: number | null;
  volume?: number | null;
  impliedVolatility?: number | null;
  /** IB market data type: 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
  marketDataType?: number | null;
}

export const PRICE = numeric(12, 4);
export const VOLATILITY = numeric(8, 4);

/**
 * The columns both tick tables open with, `id` being the table's own key column. Each table's COPY
 * spec lists these, then its own columns; test/store/copy-columns.test.ts holds them to the migration.
 */
export function leadingTickColumns<Row extends TickFields>(id: ColumnSpec<Row>): ColumnSpec<Row>[] {
  return [
    { name: "time", type: { kind: "timestamptz" }, get: (r) => r.time },
    { name: "collection_date", type: { kind: "date" }, get: (r) => r.collectionDate },
    id,
    { name: "collection_type", type: { kind: "text", maxLength: 20 }, get: (r) => r.collectionType },
    { name: "bid_price", type: PRICE, get: (r) => r.bidPrice },
    { name: "ask_price", type: PRICE, get: (r) => r.askPrice },
    { name: "last_price", type: PRICE, get: (r) => r.lastPrice },
    { name: "close_price", type: PRICE, get: (r) => r.closePrice },
    { name: "bid_size", type: { kind: "int4" }, get: (r) => r.bidSize },
    { name: "ask_size", type: { kind: "int4" }, get: (r) => r.askSize },
    { name: "volume", type: { kind: "int8" }, get: (r) => r.volume },
  ];
}

export const IMPLIED_VOLATILITY_COLUMN: ColumnSpec<TickFields> = {
  name: "implied_volatility",
  type: VOLATILITY,
  get: (r) => r.impliedVolatility,
};

export const MARKET_DATA_TYPE_COLUMN: ColumnSpec<TickFields> = {
  name: "market_data_type",
  type: { kind: "int2" },
  get: (r) => r.marketDataType,
};
