import type { Database, Queryable } from "../database.ts";
import { copyIdempotent } from "./bulk-insert.ts";
import type { ColumnSpec } from "./bulk-insert.ts";
import { numeric } from "./fit.ts";
import {
  IMPLIED_VOLATILITY_COLUMN,
  leadingTickColumns,
  MARKET_DATA_TYPE_COLUMN,
  PRICE,
} from "./tick-columns.ts";
import type { TickFields } from "./tick-columns.ts";

/** One option quote snapshot: a row of market_data_ticks. Missing values are null (never 0 or -1). */
export interface QuoteRow extends TickFields {
  contractId: number;
  openInterest?: number | null;
  delta?: number | null;
  gamma?: number | null;
  theta?: number | null;
  vega?: number | null;
  rho?: number | null;
  underlyingPrice?: number | null;
  greeksSource?: "ib" | "model" | null;
}

/** market_data_ticks as COPY loads it: names, declared types (values are fitted to them) and getters. */
export const QUOTE_COLUMNS: readonly ColumnSpec<QuoteRow>[] = [
  ...leadingTickColumns<QuoteRow>({ name: "contract_id", type: { kind: "int4" }, get: (r) => r.contractId }),
  { name: "open_interest", type: { kind: "int4" }, get: (r) => r.openInterest },
  { name: "delta", type: numeric(7, 4), get: (r) => r.delta },
  { name: "gamma", type: numeric(10, 6), get: (r) => r.gamma },
  { name: "theta", type: numeric(10, 4), get: (r) => r.theta },
  { name: "vega", type: numeric(10, 4), get: (r) => r.vega },
  { name: "rho", type: numeric(10, 4), get: (r) => r.rho },
  IMPLIED_VOLATILITY_COLUMN,
  { name: "underlying_price", type: PRICE, get: (r) => r.underlyingPrice },
  MARKET_DATA_TYPE_COLUMN,
  { name: "greeks_source", type: { kind: "text", maxLength: 5 }, get: (r) => r.greeksSource },
];

/** Column names in COPY order, for tools (bench/) that load the same rows by other means. */
export const QUOTE_COLUMN_NAMES: readonly string[] = QUOTE_COLUMNS.map((column) => column.name);

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

/** Contract ids of the underlying that already have a quote in the (date, type) collection: a resumed run skips them. */
export async function contractsWithQuotes(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<Set<number>> {
  const result = await db.query<{ contract_id: number }>(
    `SELECT DISTINCT q.contract_id FROM market_data_ticks AS q
       JOIN option_chains AS c ON c.id = q.contract_id
      WHERE c.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  return new Set(result.rows.map((row) => Number(row.contract_id)));
}

/** Removes the option quotes of one (date, type) collection of an underlying (a forced re-run replaces them). */
export async function deleteCollectionQuotes(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<void> {
  await db.query(
    `DELETE FROM market_data_ticks AS q USING option_chains AS c
      WHERE c.id = q.contract_id AND c.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
}
