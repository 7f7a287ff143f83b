import type { Database, Queryable } from "../database.ts";
import { fitValue } from "./fit.ts";
import type { ColumnType } from "./fit.ts";

export interface ColumnSpec<Row> {
  name: string;
  type: ColumnType;
  get(row: Row): unknown;
}

const UNIQUE_VIOLATION = "23505";
const BATCH_ROWS = 100_000;

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION
  );
}

function inTransaction<T>(db: Database | Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in db ? db.transaction(work) : work(db);
}

/**
 * Bulk-inserts rows with COPY, idempotently on the table's unique key `conflictColumns`.
 *
 * Fast path: COPY straight into the table (new data, the normal case). If any row already exists
 * the COPY fails with a unique violation and is rolled back to a savepoint; the batch is then
 * copied into a temporary staging table and moved with INSERT … SELECT … ON CONFLICT DO NOTHING.
 * Returns the number of rows newly stored. Pass a transaction to make it part of a larger one.
 */
export async function copyIdempotent<Row>(
  db: Database | Queryable,
  table: string,
  columns: readonly ColumnSpec<Row>[],
  rows: readonly Row[],
  conflictColumns: readonly string[],
): Promise<number> {
  const names = columns.map((column) => column.name);
  let stored = 0;
  for (let start = 0; start < rows.length; start += BATCH_ROWS) {
    const values = rows
      .slice(start, start + BATCH_ROWS)
      .map((row) => columns.map((column) => fitValue(column.get(row), column.type)));
    stored += await inTransaction(db, async (tx) => {
      await tx.exec("SAVEPOINT chainvault_copy");
      try {
        const copied = await tx.copyRows(table, names, values);
        await tx.exec("RELEASE SAVEPOINT chainvault_copy");
        return copied;
      } catch (error) {
        await tx.exec("ROLLBACK TO SAVEPOINT chainvault_copy");
        if (!isUniqueViolation(error)) throw error;
      }
      const stage = `chainvault_stage_${table}`;
      await tx.exec(
        `CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DROP;
         TRUNCATE ${stage}`,
      );
      await tx.copyRows(stage, names, values);
      const moved = await tx.query(
        `INSERT INTO ${table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM ${stage}
         ON CONFLICT (${conflictColumns.join(", ")}) DO NOTHING`,
      );
      return moved.rowCount;
    });
  }
  return stored;
}
