import type { ColumnSpec } from "./bulk-insert.ts";
import { numeric, scaledIntType } from "./fit.ts";
import type { ColumnType } from "./fit.ts";

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
 * market_data_ticks' prices and greeks are stored as integers of their declared numeric scale (migration 075):
 * `bid_price_e4` holds the bid in 1/10,000 of a dollar, `gamma_e6` gamma in millionths. Each keeps the domain of
 * its former numeric(precision, scale), so every value it held converts exactly; the suffix names the unit, so
 * a raw read cannot mistake it for dollars. TimescaleDB compresses integers with delta-of-delta and simple-8b,
 * numeric only as opaque values (bench/storage). This table is the one definition of the scaling: the COPY spec,
 * every read's decimal expression (`decimalSql`), the archive and the restore of older backups use it; the views
 * of migration 075 spell the same expressions in SQL, and test/store/scaled-ticks-migration.test.ts holds them to it.
 */
export interface ScaledColumn {
  /** The decimal name users see in the views, the archive and the reads (the pre-075 column name). */
  name: string;
  /** The stored integer column. */
  raw: string;
  precision: number;
  scale: number;
}

const scaledColumn = (name: string, precision: number, scale: number): ScaledColumn => ({
  name,
  raw: `${name}_e${scale}`,
  precision,
  scale,
});

/** market_data_ticks' scaled columns, in table order. */
export const SCALED_QUOTE_COLUMNS: readonly ScaledColumn[] = [
  scaledColumn("bid_price", 12, 4),
  scaledColumn("ask_price", 12, 4),
  scaledColumn("last_price", 12, 4),
  scaledColumn("close_price", 12, 4),
  scaledColumn("delta", 7, 4),
  scaledColumn("gamma", 10, 6),
  scaledColumn("theta", 10, 4),
  scaledColumn("vega", 10, 4),
  scaledColumn("rho", 10, 4),
  scaledColumn("implied_volatility", 8, 4),
  scaledColumn("underlying_price", 12, 4),
];

const SCALED_BY_NAME = new Map(SCALED_QUOTE_COLUMNS.map((column) => [column.name, column]));
const SCALED_BY_RAW = new Map(SCALED_QUOTE_COLUMNS.map((column) => [column.raw, column]));

/** Whether `name` is the decimal name of a scaled column (e.g. "bid_price", not "bid_price_e4" or "volume"). */
export const isScaledName = (name: string): boolean => SCALED_BY_NAME.has(name);

/** The scaled column stored for the decimal `name` (e.g. "bid_price"). */
export function scaledColumnOf(name: string): ScaledColumn {
  const column = SCALED_BY_NAME.get(name);
  if (column === undefined) throw new Error(`market_data_ticks has no scaled column for ${name}`);
  return column;
}

/** The scaled column stored as `raw` (e.g. "bid_price_e4"), or undefined for an unscaled column. */
export const scaledColumnByRaw = (raw: string): ScaledColumn | undefined => SCALED_BY_RAW.get(raw);

/**
 * market_data_ticks.underlying_id repeats its contract's option_chains.underlying_id (migration 078) so the chain of
 * one symbol at one snapshot is one index range. Dumps and archives leave it out — they keep one layout before and
 * after 078 — and restores look it up again (0 for a contract option_chains does not hold, as 078 did).
 */
export const isDerivedColumn = (table: string, column: string): boolean =>
  table === "market_data_ticks" && column === "underlying_id";

/** The COPY type of a scaled column: the decimal is fitted to numeric(p, s) and sent as its integer. */
export const scaledType = (column: ScaledColumn): ColumnType => ({
  kind: "scaled",
  precision: column.precision,
  scale: column.scale,
});

/** The SQL type of the stored integer. */
export const scaledSqlType = (column: ScaledColumn): "integer" | "bigint" =>
  scaledIntType(column.precision) === "int4" ? "integer" : "bigint";

/** SQL for the stored integer `raw` of `alias` as its decimal, typed numeric(p, s) exactly as before 075. */
export function decimalSql(alias: string, name: string): string {
  const column = scaledColumnOf(name);
  const source = alias === "" ? column.raw : `${alias}.${column.raw}`;
  return `(${source}::numeric / 1${"0".repeat(column.scale)})::numeric(${column.precision}, ${column.scale})`;
}

/** Every scaled column of `alias` as its decimal under its decimal name (`… AS bid_price, …`), in table order. */
export const decimalColumnsSql = (alias: string): string =>
  SCALED_QUOTE_COLUMNS.map((column) => `${decimalSql(alias, column.name)} AS ${column.name}`).join(", ");

/**
 * The decimal a stored integer of `column` stands for, in JavaScript. Dividing an integer by a power of ten is one
 * correctly rounded operation, so the result is the very double parseFloat gives for the decimal's text.
 */
export function decimalOf(column: ScaledColumn, stored: number | null): number | null {
  return stored === null ? null : stored / 10 ** column.scale;
}

/** SQL turning the decimal expression `decimal` into the stored integer of `name` (for restores of older data). */
export function scaledSql(decimal: string, name: string): string {
  const column = scaledColumnOf(name);
  return `round((${decimal}) * 1${"0".repeat(column.scale)})::${scaledSqlType(column)}`;
}

/** The COPY spec of the scaled column stored for the decimal `name`. */
export function scaledSpec<Row>(name: string, get: (row: Row) => unknown): ColumnSpec<Row> {
  const column = scaledColumnOf(name);
  return { name: column.raw, type: scaledType(column), get };
}

/**
 * The columns both tick tables open with, `id` being the table's own key column. Each table's COPY
 * spec lists these, then its own columns; test/store/copy-columns.test.ts holds them to the migration.
 */
export function leadingTickColumns<Row extends TickFields>(
  id: ColumnSpec<Row>,
  prices: "numeric" | "scaled",
): ColumnSpec<Row>[] {
  const price = (name: string, get: (row: Row) => unknown): ColumnSpec<Row> =>
    prices === "numeric" ? { name, type: PRICE, get } : scaledSpec(name, get);
  return [
    { name: "time", type: { kind: "timestamptz" }, get: (r) => r.time },
    { name: "collection_date", type: { kind: "date" }, get: (r) => r.collectionDate },
    id,
    { name: "collection_type", type: { kind: "text", maxLength: 20 }, get: (r) => r.collectionType },
    price("bid_price", (r) => r.bidPrice),
    price("ask_price", (r) => r.askPrice),
    price("last_price", (r) => r.lastPrice),
    price("close_price", (r) => r.closePrice),
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

export const SCALED_IMPLIED_VOLATILITY_COLUMN: ColumnSpec<TickFields> = scaledSpec(
  "implied_volatility",
  (r: TickFields) => r.impliedVolatility,
);

export const MARKET_DATA_TYPE_COLUMN: ColumnSpec<TickFields> = {
  name: "market_data_type",
  type: { kind: "int2" },
  get: (r) => r.marketDataType,
};
