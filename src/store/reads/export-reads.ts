import type { Database, Queryable } from "../database.ts";

/**
 * Reads for `chainvault export`: the rows of the chain_quotes / chain_daily views (migration 070) for some
 * symbols and days, streamed through a server-side cursor so memory stays flat at any size.
 */

export type ExportLayout = "quotes" | "daily";
/** How a column is written: Parquet logical type, CSV formatting. */
export type ExportColumnKind = "text" | "date" | "timestamptz" | "double" | "integer" | "bigint";

export interface ExportColumn {
  name: string;
  kind: ExportColumnKind;
}

const QUOTE_VALUES: ExportColumn[] = [
  { name: "bid", kind: "double" },
  { name: "ask", kind: "double" },
  { name: "bid_size", kind: "integer" },
  { name: "ask_size", kind: "integer" },
  { name: "last", kind: "double" },
  { name: "prior_close", kind: "double" },
  { name: "volume", kind: "bigint" },
  { name: "open_interest", kind: "integer" },
  { name: "open_interest_date", kind: "date" },
  { name: "implied_volatility", kind: "double" },
  { name: "delta", kind: "double" },
  { name: "gamma", kind: "double" },
  { name: "theta", kind: "double" },
  { name: "vega", kind: "double" },
  { name: "rho", kind: "double" },
  { name: "greeks_source", kind: "text" },
  { name: "iv_flag", kind: "text" },
  { name: "underlying_price", kind: "double" },
  { name: "underlying_bid", kind: "double" },
  { name: "underlying_ask", kind: "double" },
  { name: "underlying_last", kind: "double" },
  { name: "market_data_type", kind: "integer" },
];

/** chain_quotes' columns in view order. */
const QUOTES_COLUMNS: ExportColumn[] = [
  { name: "underlying_symbol", kind: "text" },
  { name: "occ_symbol", kind: "text" },
  { name: "trading_class", kind: "text" },
  { name: "expiration", kind: "date" },
  { name: "strike", kind: "double" },
  { name: "option_type", kind: "text" },
  { name: "multiplier", kind: "integer" },
  { name: "collection_date", kind: "date" },
  { name: "collection_type", kind: "text" },
  { name: "quote_time", kind: "timestamptz" },
  ...QUOTE_VALUES,
  { name: "contract_id", kind: "integer" },
];

function snapshotColumns(suffix: "1545" | "eod"): ExportColumn[] {
  const columns: ExportColumn[] = [
    { name: `quote_time_${suffix}`, kind: "timestamptz" },
    { name: `bid_size_${suffix}`, kind: "integer" },
    { name: `bid_${suffix}`, kind: "double" },
    { name: `ask_size_${suffix}`, kind: "integer" },
    { name: `ask_${suffix}`, kind: "double" },
    { name: `last_${suffix}`, kind: "double" },
  ];
  columns.push(
    { name: `underlying_bid_${suffix}`, kind: "double" },
    { name: `underlying_ask_${suffix}`, kind: "double" },
    { name: `underlying_last_${suffix}`, kind: "double" },
    { name: `underlying_price_${suffix}`, kind: "double" },
    ...["implied_volatility", "delta", "gamma", "theta", "vega", "rho"].map((name): ExportColumn => ({
      name: `${name}_${suffix}`,
      kind: "double",
    })),
    { name: `greeks_source_${suffix}`, kind: "text" },
  );
  return columns;
}

/** chain_daily's columns in view order. */
const DAILY_COLUMNS: ExportColumn[] = [
  { name: "underlying_symbol", kind: "text" },
  { name: "quote_date", kind: "date" },
  { name: "root", kind: "text" },
  { name: "expiration", kind: "date" },
  { name: "strike", kind: "double" },
  { name: "option_type", kind: "text" },
  { name: "occ_symbol", kind: "text" },
  { name: "multiplier", kind: "integer" },
  ...snapshotColumns("1545"),
  ...snapshotColumns("eod"),
  { name: "close", kind: "double" },
  { name: "open_interest", kind: "integer" },
  { name: "prior_close", kind: "double" },
  { name: "open_interest_reported", kind: "integer" },
  { name: "open_interest_date", kind: "date" },
  { name: "trade_volume", kind: "bigint" },
  { name: "contract_id", kind: "integer" },
];

interface LayoutSource {
  view: string;
  columns: readonly ExportColumn[];
  /** The columns a Hive-partitioned tree names in its directories (symbol=…/date=…). */
  symbolColumn: string;
  dateColumn: string;
  order: string;
}

const LAYOUTS: Record<ExportLayout, LayoutSource> = {
  quotes: {
    view: "chain_quotes",
    columns: QUOTES_COLUMNS,
    symbolColumn: "underlying_symbol",
    dateColumn: "collection_date",
    order: "underlying_symbol, collection_date, expiration, strike, option_type, collection_type, quote_time",
  },
  daily: {
    view: "chain_daily",
    columns: DAILY_COLUMNS,
    symbolColumn: "underlying_symbol",
    dateColumn: "quote_date",
    order: "underlying_symbol, quote_date, expiration, strike, option_type",
  },
};

export function exportColumns(layout: ExportLayout): readonly ExportColumn[] {
  return LAYOUTS[layout].columns;
}

/** The column of each row naming its symbol and its day (the partition keys). */
export function partitionColumns(layout: ExportLayout): { symbol: string; date: string } {
  return { symbol: LAYOUTS[layout].symbolColumn, date: LAYOUTS[layout].dateColumn };
}

export interface ExportQuery {
  layout: ExportLayout;
  symbols: readonly string[];
  from: string;
  to: string;
  /** Collection types to include (the quotes layout); the daily layout always pairs analytics with eod. */
  types: readonly string[];
}

/** The SELECT behind an export, parameters $1 symbols, $2 from, $3 to, $4 types. */
export function exportSql(query: ExportQuery): string {
  const source = LAYOUTS[query.layout];
  const typeFilter = query.layout === "quotes" ? " AND collection_type = ANY($4::text[])" : "";
  return (
    `SELECT ${source.columns.map((column) => column.name).join(", ")} FROM ${source.view}` +
    ` WHERE ${source.symbolColumn} = ANY($1::text[]) AND ${source.dateColumn} BETWEEN $2::date AND $3::date${typeFilter}` +
    ` ORDER BY ${source.order}`
  );
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const literalArray = (values: readonly string[]) => `ARRAY[${values.map(literal).join(", ")}]::text[]`;

/**
 * How the server writes each kind so that its CSV is, byte for byte, what the cursor path writes (csv-writer.ts):
 * COPY's own text output where it already is (dates under DateStyle ISO, which copyCsvOut sets; integers; text).
 */
function csvExpression(column: ExportColumn): string {
  switch (column.kind) {
    case "double":
      // The values are numeric with at most 12 significant digits and 6 decimals: without trailing zeros their
      // text is JavaScript's String(number) (which writes an exponent only below 1e-6 and at 1e21). A float8
      // cast would write 4.4e-05 where String writes 0.000044, and costs a second conversion.
      return `trim_scale(${column.name}) AS ${column.name}`;
    case "timestamptz":
      return `to_char(${column.name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column.name}`;
    default:
      return column.name;
  }
}

/**
 * The export's SELECT for `COPY (…) TO STDOUT` on a server: COPY takes no parameters, so the values are written
 * as literals (symbols, dates and types are checked before they get here, and quoted all the same). The rows are
 * sorted in a subquery by the view's own columns and formatted above it: sorting the formatted text instead (the
 * select list's names win in ORDER BY) compares dates and times as collated strings, a third of the export's time.
 */
export function exportCsvCopySql(query: ExportQuery): string {
  const source = LAYOUTS[query.layout];
  const typeFilter =
    query.layout === "quotes" ? ` AND collection_type = ANY(${literalArray(query.types)})` : "";
  return (
    `SELECT ${source.columns.map(csvExpression).join(", ")} FROM (` +
    `SELECT ${source.columns.map((column) => column.name).join(", ")} FROM ${source.view}` +
    ` WHERE ${source.symbolColumn} = ANY(${literalArray(query.symbols)})` +
    ` AND ${source.dateColumn} BETWEEN ${literal(query.from)}::date AND ${literal(query.to)}::date${typeFilter}` +
    ` ORDER BY ${source.order}) AS rows`
  );
}

function exportParams(query: ExportQuery): unknown[] {
  const params: unknown[] = [query.symbols, query.from, query.to];
  if (query.layout === "quotes") params.push(query.types);
  return params;
}

/**
 * Whether the range has any row to export. Asks market_data_ticks directly (the views' base table) so that it
 * stays an index probe however large the database is.
 */
export async function exportHasRows(db: Queryable, query: ExportQuery): Promise<boolean> {
  const types = query.layout === "quotes" ? query.types : ["analytics", "eod"];
  const result = await db.query(
    `SELECT 1 FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = ANY($1::text[]) AND q.collection_date BETWEEN $2::date AND $3::date
        AND q.collection_type = ANY($4::text[])
      LIMIT 1`,
    [query.symbols, query.from, query.to, types],
  );
  return result.rows.length > 0;
}

/** The (symbol, day) pairs of the range that have rows, in export order: the Parquet tree's partitions. */
export async function exportPartitions(
  db: Queryable,
  query: ExportQuery,
): Promise<{ symbol: string; date: string }[]> {
  const types = query.layout === "quotes" ? query.types : ["analytics", "eod"];
  const result = await db.query<{ symbol: string; date: string }>(
    `SELECT u.symbol, q.collection_date AS date FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = ANY($1::text[]) AND q.collection_date BETWEEN $2::date AND $3::date
        AND q.collection_type = ANY($4::text[])
      GROUP BY u.symbol, q.collection_date
      ORDER BY u.symbol, q.collection_date`,
    [query.symbols, query.from, query.to, types],
  );
  return result.rows;
}

/** Rows fetched per round trip: large enough to amortise it, small enough to keep memory flat. */
export const EXPORT_FETCH_ROWS = 5_000;

/**
 * Streams the export's rows in order through a server-side cursor (DECLARE … FETCH in one read-only transaction),
 * `batch` at a time; `onBatch` may await (backpressure). Returns the number of rows.
 */
export async function streamExportRows(
  db: Database,
  query: ExportQuery,
  onBatch: (rows: Record<string, unknown>[]) => Promise<void> | void,
  batch = EXPORT_FETCH_ROWS,
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(`DECLARE chainvault_export NO SCROLL CURSOR FOR ${exportSql(query)}`, exportParams(query));
    let total = 0;
    for (;;) {
      const result = await tx.query(`FETCH FORWARD ${batch} FROM chainvault_export`);
      if (result.rows.length === 0) break;
      total += result.rows.length;
      await onBatch(result.rows);
      if (result.rows.length < batch) break;
    }
    await tx.query("CLOSE chainvault_export");
    return total;
  });
}
