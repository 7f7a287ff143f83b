import type { Queryable } from "../database.ts";
import type { ArchiveTable } from "../reads/archive-reads.ts";
import { fitValue } from "./fit.ts";
import { underlyingsOfContracts } from "./option-chains.ts";
import { SCALED_QUOTE_COLUMNS, scaledType } from "./tick-columns.ts";

/**
 * Writes the archive ledger (archive_months) and the two range operations the archive needs on the tick tables:
 * retention's DELETE of an archived month and restore's idempotent re-insert. Both go by time range, so they work
 * the same on PGlite, PostgreSQL and TimescaleDB (where a DELETE spanning compressed chunks is supported).
 */

export interface ArchiveRecord {
  month: string; // YYYY-MM
  table: ArchiveTable;
  location: string;
  rows: number;
  minTime: Date | null;
  maxTime: Date | null;
  sha256: string;
  contentSum: string;
  schemaVersion: number;
}

/** Records a written month; a rewrite (rows changed since) clears its verification. */
export async function recordArchive(db: Queryable, record: ArchiveRecord): Promise<void> {
  await db.query(
    `INSERT INTO archive_months
       (month, table_name, location, row_count, min_time, max_time, sha256, content_sum, schema_version)
     VALUES ($1::date, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (month, table_name) DO UPDATE SET
       location = EXCLUDED.location, row_count = EXCLUDED.row_count, min_time = EXCLUDED.min_time,
       max_time = EXCLUDED.max_time, sha256 = EXCLUDED.sha256, content_sum = EXCLUDED.content_sum,
       schema_version = EXCLUDED.schema_version, written_at = now(), verified_at = NULL,
       dropped_at = NULL, dropped_rows = NULL`,
    [
      `${record.month}-01`,
      record.table,
      record.location,
      record.rows,
      record.minTime,
      record.maxTime,
      record.sha256,
      record.contentSum,
      record.schemaVersion,
    ],
  );
}

export async function markVerified(db: Queryable, month: string, table: string, at: Date): Promise<void> {
  await db.query(`UPDATE archive_months SET verified_at = $3 WHERE month = $1::date AND table_name = $2`, [
    `${month}-01`,
    table,
    at,
  ]);
}

/** A failed verification withdraws the month from retention until it verifies again. */
export async function markUnverified(db: Queryable, month: string, table: string): Promise<void> {
  await db.query(`UPDATE archive_months SET verified_at = NULL WHERE month = $1::date AND table_name = $2`, [
    `${month}-01`,
    table,
  ]);
}

export async function markDropped(db: Queryable, month: string, table: string, rows: number, at: Date) {
  await db.query(
    `UPDATE archive_months SET dropped_at = $3, dropped_rows = $4 WHERE month = $1::date AND table_name = $2`,
    [`${month}-01`, table, at, rows],
  );
}

export async function markRestored(db: Queryable, month: string, table: string): Promise<void> {
  await db.query(
    `UPDATE archive_months SET dropped_at = NULL, dropped_rows = NULL WHERE month = $1::date AND table_name = $2`,
    [`${month}-01`, table],
  );
}

/** Deletes `table`'s rows in [from, to); returns how many went. */
export async function deleteRange(db: Queryable, table: ArchiveTable, from: Date, to: Date): Promise<number> {
  const result = await db.query(`DELETE FROM ${table} WHERE time >= $1 AND time < $2`, [from, to]);
  return result.rowCount;
}

/**
 * Inserts rows (JSON objects keyed by column name) unless a row with the same key exists: restoring a month
 * twice, or over rows still present, adds nothing. json_populate_recordset casts each value to the column's
 * type, so DOUBLE prices go back to NUMERIC at the column's scale.
 */
export async function insertMissingRows(
  db: Queryable,
  table: ArchiveTable,
  rows: readonly Record<string, unknown>[],
): Promise<number> {
  if (rows.length === 0) return 0;
  let stored = rows;
  if (table === "market_data_ticks") {
    // Archives leave out the derived underlying_id (tick-columns.ts isDerivedColumn): looked up again here.
    const underlyings = await underlyingsOfContracts(
      db,
      rows.map((row) => Number(row.contract_id)),
    );
    stored = rows.map((row) => ({
      ...scaledRow(row),
      underlying_id: underlyings.get(Number(row.contract_id)) ?? 0,
    }));
  }
  const result = await db.query(
    `INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json) ON CONFLICT DO NOTHING`,
    [JSON.stringify(stored)],
  );
  return result.rowCount;
}

/** An archived market_data_ticks row (decimals under their names) as the table stores it (scaled integers). */
function scaledRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const column of SCALED_QUOTE_COLUMNS) {
    if (!(column.name in row)) continue;
    const value = row[column.name];
    delete out[column.name];
    out[column.raw] = fitValue(value, scaledType(column));
  }
  return out;
}
