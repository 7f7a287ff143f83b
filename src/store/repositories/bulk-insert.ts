import type { Database, Queryable } from "../database.ts";
import { EncodedRows } from "../copy-text.ts";
import { copyEncoder } from "./fit.ts";
import type { ColumnType } from "./fit.ts";

export interface ColumnSpec<Row> {
  name: string;
  type: ColumnType;
  get(row: Row): unknown;
}

const UNIQUE_VIOLATION = "23505";
const BATCH_ROWS = 100_000;

const LINES_PER_CHUNK = 2_000;

/**
 * COPY text for rows[from, to), each value fitted to its column (malformed → NULL), produced
 * chunk by chunk as the COPY consumes it. Lines are joined from arrays: measured ~5x faster than
 * growing strings with += (rope flattening).
 */
function encodeRows<Row>(
  columns: readonly ColumnSpec<Row>[],
  rows: readonly Row[],
  from: number,
  to: number,
): EncodedRows {
  const getters = columns.map((column) => column.get);
  const width = columns.length;
  function* chunks(): Generator<string> {
    const encoders = columns.map((column) => copyEncoder(column.type));
    const fields = new Array<string>(width);
    let lines: string[] = [];
    for (let i = from; i < to; i++) {
      const row = rows[i]!;
      for (let c = 0; c < width; c++) fields[c] = encoders[c]!(getters[c]!(row));
      lines.push(fields.join("\t"));
      if (lines.length === LINES_PER_CHUNK) {
        yield lines.join("\n") + "\n";
        lines = [];
      }
    }
    if (lines.length > 0) yield lines.join("\n") + "\n";
  }
  return new EncodedRows(chunks(), to - from);
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION
  );
}

/** Deadlock and serialization failures: two writers racing on the same keys. Safe to retry. */
const RETRYABLE = new Set(["40P01", "40001"]);
const ATTEMPTS = 6;

/**
 * Runs `work` in its own transaction (retried when it loses a race with another writer), or inside
 * the caller's transaction when given one (then the caller owns retries).
 */
async function inTransaction<T>(db: Database | Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  if (!("transaction" in db)) return work(db);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= ATTEMPTS || typeof code !== "string" || !RETRYABLE.has(code)) throw error;
      // A jittered pause lets the winner commit, so the retry finds its rows instead of racing again.
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50 * attempt));
    }
  }
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
    const values = encodeRows(columns, rows, start, Math.min(rows.length, start + BATCH_ROWS));
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
         ORDER BY ${conflictColumns.join(", ")}
         ON CONFLICT (${conflictColumns.join(", ")}) DO NOTHING`,
      );
      return moved.rowCount;
    });
  }
  return stored;
}
