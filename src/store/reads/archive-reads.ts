import type { Database, Queryable } from "../database.ts";
import type { ExportColumn, ExportColumnKind } from "./export-reads.ts";
import { decimalSql, isDerivedColumn, scaledColumnByRaw } from "../repositories/tick-columns.ts";

/**
 * Reads for the Parquet archive (src/archive/): which months of the growing tables hold rows, their columns as
 * the Parquet writer types them, and a month's rows through a server-side cursor.
 */

/** The tables that grow with every snapshot; everything else is small reference data kept in backups. */
export const ARCHIVE_TABLES = ["market_data_ticks", "underlying_ticks"] as const;
export type ArchiveTable = (typeof ARCHIVE_TABLES)[number];

const KIND_OF_TYPE: Record<string, ExportColumnKind> = {
  "timestamp with time zone": "timestamptz",
  date: "date",
  numeric: "double",
  "double precision": "double",
  real: "double",
  smallint: "integer",
  integer: "integer",
  bigint: "bigint",
  "character varying": "text",
  text: "text",
};

/** An archived column: appended as `kind`; `fileType` is the Parquet type when it differs (NUMERIC → DECIMAL). */
export interface ArchiveColumn extends ExportColumn {
  fileType?: string;
}

/**
 * The table's columns in order, typed for Parquet. NUMERIC(p, s) columns are appended as doubles (the values have
 * at most 12 significant digits) and written as DECIMAL(p, s): scaled integers, exact at the column's scale.
 */
export async function archiveColumns(db: Queryable, table: ArchiveTable): Promise<ArchiveColumn[]> {
  const result = await db.query<{
    column_name: string;
    data_type: string;
    numeric_precision: number | null;
    numeric_scale: number | null;
  }>(
    `SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return result.rows
    .filter((row) => !isDerivedColumn(table, row.column_name))
    .map((row) => {
      // A scaled integer column (migration 075) is archived as the decimal it stands for, under its decimal name:
      // archives keep one layout whatever the row store's representation, and those written before 075 restore.
      const scaled = scaledColumnByRaw(row.column_name);
      if (scaled !== undefined) {
        return {
          name: scaled.name,
          kind: "double",
          fileType: `DECIMAL(${scaled.precision}, ${scaled.scale})`,
        };
      }
      const kind = KIND_OF_TYPE[row.data_type];
      if (kind === undefined) {
        throw new Error(
          `${table}.${row.column_name} has type ${row.data_type}, which the archive cannot write`,
        );
      }
      const decimal =
        row.data_type === "numeric" && row.numeric_precision !== null && row.numeric_precision <= 18
          ? `DECIMAL(${row.numeric_precision}, ${row.numeric_scale ?? 0})`
          : undefined;
      return decimal === undefined
        ? { name: row.column_name, kind }
        : { name: row.column_name, kind, fileType: decimal };
    });
}

/** The first and last instant stored in `table` (both null when it is empty). */
export async function timeBounds(
  db: Queryable,
  table: ArchiveTable,
): Promise<{ min: Date | null; max: Date | null }> {
  const result = await db.query<{ min: Date | null; max: Date | null }>(
    `SELECT min(time) AS min, max(time) AS max FROM ${table}`,
  );
  return result.rows[0] ?? { min: null, max: null };
}

export interface RangeSummary {
  rows: number;
  minTime: Date | null;
  maxTime: Date | null;
}

/** Rows and time bounds of `table` in [from, to). */
export async function rangeSummary(
  db: Queryable,
  table: ArchiveTable,
  from: Date,
  to: Date,
): Promise<RangeSummary> {
  const result = await db.query<{ rows: number; min_time: Date | null; max_time: Date | null }>(
    `SELECT count(*)::int8 AS rows, min(time) AS min_time, max(time) AS max_time
       FROM ${table} WHERE time >= $1 AND time < $2`,
    [from, to],
  );
  const row = result.rows[0]!;
  return { rows: Number(row.rows), minTime: row.min_time, maxTime: row.max_time };
}

const FETCH_ROWS = 5_000;

/** Streams the rows of `table` in [from, to) in batches (order: the table's key, so files compress well). */
export async function streamRange(
  db: Database,
  table: ArchiveTable,
  from: Date,
  to: Date,
  onBatch: (rows: Record<string, unknown>[]) => Promise<void> | void,
): Promise<number> {
  const key = table === "market_data_ticks" ? "contract_id" : "underlying_id";
  // Stored columns in table order; a scaled integer (migration 075) is read as its decimal, under its decimal name.
  const stored = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const select = stored.rows
    .filter(({ column_name: raw }) => !isDerivedColumn(table, raw))
    .map(({ column_name: raw }) => {
      const scaled = scaledColumnByRaw(raw);
      return scaled === undefined ? raw : `${decimalSql("", scaled.name)} AS ${scaled.name}`;
    })
    .join(", ");
  return db.transaction(async (tx) => {
    await tx.query(
      `DECLARE chainvault_archive NO SCROLL CURSOR FOR
         SELECT ${select} FROM ${table} WHERE time >= $1 AND time < $2 ORDER BY ${key}, collection_type, time`,
      [from, to],
    );
    let total = 0;
    for (;;) {
      const result = await tx.query(`FETCH FORWARD ${FETCH_ROWS} FROM chainvault_archive`);
      if (result.rows.length === 0) break;
      total += result.rows.length;
      await onBatch(result.rows);
      if (result.rows.length < FETCH_ROWS) break;
    }
    await tx.query("CLOSE chainvault_archive");
    return total;
  });
}

export interface ArchiveMonthRow {
  month: string;
  tableName: string;
  location: string;
  rows: number;
  minTime: Date | null;
  maxTime: Date | null;
  sha256: string;
  contentSum: string;
  schemaVersion: number;
  writtenAt: Date;
  verifiedAt: Date | null;
  droppedAt: Date | null;
  droppedRows: number | null;
}

/** The archive ledger (migration 076), oldest month first. */
export async function archiveMonths(db: Queryable): Promise<ArchiveMonthRow[]> {
  const result = await db.query<Record<string, unknown>>(
    `SELECT to_char(month, 'YYYY-MM') AS month, table_name, location, row_count, min_time, max_time, sha256,
            content_sum, schema_version, written_at, verified_at, dropped_at, dropped_rows
       FROM archive_months ORDER BY month, table_name`,
  );
  return result.rows.map((row) => ({
    month: row.month as string,
    tableName: row.table_name as string,
    location: row.location as string,
    rows: Number(row.row_count),
    minTime: row.min_time as Date | null,
    maxTime: row.max_time as Date | null,
    sha256: row.sha256 as string,
    contentSum: row.content_sum as string,
    schemaVersion: row.schema_version as number,
    writtenAt: row.written_at as Date,
    verifiedAt: row.verified_at as Date | null,
    droppedAt: row.dropped_at as Date | null,
    droppedRows: row.dropped_rows === null ? null : Number(row.dropped_rows),
  }));
}
