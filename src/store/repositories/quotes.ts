import type { GreeksSource, IvFlag } from "../../pricing/option-model.ts";
import type { Database, Queryable } from "../database.ts";
import { copyIdempotent } from "./bulk-insert.ts";
import { underlyingsOfContracts } from "./option-chains.ts";
import type { ColumnSpec } from "./bulk-insert.ts";
import {
  leadingTickColumns,
  MARKET_DATA_TYPE_COLUMN,
  SCALED_IMPLIED_VOLATILITY_COLUMN,
  scaledSpec,
} from "./tick-columns.ts";
import type { TickFields } from "./tick-columns.ts";

/** One option quote snapshot: a row of market_data_ticks. Missing values are null (never 0 or -1). */
export interface QuoteRow extends TickFields {
  contractId: number;
  openInterest?: number | null;
  /** Trading day the open interest belongs to (the session before collectionDate; migration 066). */
  openInterestDate?: string | null;
  delta?: number | null;
  gamma?: number | null;
  theta?: number | null;
  vega?: number | null;
  rho?: number | null;
  underlyingPrice?: number | null;
  greeksSource?: GreeksSource | null;
  /** Why no IV was solved from the mid (migration 063). */
  ivFlag?: IvFlag | null;
}

/** A quote as market_data_ticks stores it: with its contract's underlying (migration 078), looked up by insertQuotes. */
export interface StoredQuoteRow extends QuoteRow {
  underlyingId: number;
}

/**
 * market_data_ticks as COPY loads it: names, declared types (values are fitted to them) and getters. Prices and
 * greeks go in as the scaled integers of tick-columns.ts (decimals in QuoteRow, `bid_price_e4` in the table).
 * All but underlying_id, which insertQuotes looks up.
 */
const QUOTE_ROW_COLUMNS: readonly ColumnSpec<QuoteRow>[] = [
  ...leadingTickColumns<QuoteRow>(
    { name: "contract_id", type: { kind: "int4" }, get: (r) => r.contractId },
    "scaled",
  ),
  { name: "open_interest", type: { kind: "int4" }, get: (r) => r.openInterest },
  scaledSpec("delta", (r: QuoteRow) => r.delta),
  scaledSpec("gamma", (r: QuoteRow) => r.gamma),
  scaledSpec("theta", (r: QuoteRow) => r.theta),
  scaledSpec("vega", (r: QuoteRow) => r.vega),
  scaledSpec("rho", (r: QuoteRow) => r.rho),
  SCALED_IMPLIED_VOLATILITY_COLUMN,
  scaledSpec("underlying_price", (r: QuoteRow) => r.underlyingPrice),
  MARKET_DATA_TYPE_COLUMN,
  { name: "greeks_source", type: { kind: "text", maxLength: 5 }, get: (r) => r.greeksSource },
  { name: "iv_flag", type: { kind: "text", maxLength: 16 }, get: (r) => r.ivFlag },
  { name: "open_interest_date", type: { kind: "date" }, get: (r) => r.openInterestDate },
];

const UNDERLYING_ID = { name: "underlying_id", type: { kind: "int4" } } as const;

/** Every column of market_data_ticks, the contract's underlying (078) last. */
export const QUOTE_COLUMNS: readonly ColumnSpec<StoredQuoteRow>[] = [
  ...QUOTE_ROW_COLUMNS,
  { ...UNDERLYING_ID, get: (r) => r.underlyingId },
];

/** Column names in COPY order, for tools (bench/) that load the same rows by other means. */
export const QUOTE_COLUMN_NAMES: readonly string[] = QUOTE_COLUMNS.map((column) => column.name);

/**
 * Stores quote snapshots with COPY. Idempotent on (contract_id, collection_type, time): storing the
 * same rows again stores nothing. Returns the number of rows newly stored. Each quote is stored with its contract's
 * underlying; one of a contract option_chains does not hold is kept under underlying 0, outside every chain (as
 * migration 078 kept such rows).
 */
export async function insertQuotes(db: Database | Queryable, rows: readonly QuoteRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const underlyings = await underlyingsOfContracts(
    db,
    rows.map((row) => row.contractId),
  );
  // Read through the map rather than copied into every row: a year of quotes is millions of rows.
  const columns: ColumnSpec<QuoteRow>[] = [
    ...QUOTE_ROW_COLUMNS,
    { ...UNDERLYING_ID, get: (r) => underlyings.get(r.contractId) ?? 0 },
  ];
  return copyIdempotent(db, "market_data_ticks", columns, rows, ["contract_id", "collection_type", "time"]);
}

/**
 * Contract ids of the underlying that already have a quote in the (date, type) collection: a resumed run
 * skips them. With `since` (a replacement under way) only quotes from that gateway time on count: the
 * older ones are the snapshot being replaced.
 */
export async function contractsWithQuotes(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
  since: Date | null = null,
): Promise<Set<number>> {
  const result = await db.query<{ contract_id: number }>(
    `SELECT DISTINCT q.contract_id FROM market_data_ticks AS q
      WHERE q.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3
        AND ($4::timestamptz IS NULL OR q.time >= $4)`,
    [underlyingId, collectionDate, collectionType, since],
  );
  return new Set(result.rows.map((row) => Number(row.contract_id)));
}

/** The newest quote time of the underlying's (date, type) collection, or null when it has none. */
export async function latestCollectionQuoteTime(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<Date | null> {
  const result = await db.query<{ latest: Date | null }>(
    `SELECT max(q.time) AS latest FROM market_data_ticks AS q
      WHERE q.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  return result.rows[0]?.latest ?? null;
}

/**
 * Removes the old snapshot of a replaced (date, type) collection: its quotes older than `before`.
 * With `onlySuperseded` only those of contracts that have a quote from `before` on, so a contract
 * the new snapshot missed keeps its old quote. Returns the number of rows removed.
 */
export async function deleteQuotesBefore(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
  before: Date,
  onlySuperseded: boolean,
): Promise<number> {
  const result = await db.query(
    `DELETE FROM market_data_ticks AS q
      WHERE q.underlying_id = $1 AND q.collection_date = $2::date
        AND q.collection_type = $3 AND q.time < $4
        AND (NOT $5::boolean OR EXISTS (
          SELECT 1 FROM market_data_ticks AS n
           WHERE n.contract_id = q.contract_id AND n.collection_date = q.collection_date
             AND n.collection_type = q.collection_type AND n.time >= $4))`,
    [underlyingId, collectionDate, collectionType, before, onlySuperseded],
  );
  return result.rowCount;
}
