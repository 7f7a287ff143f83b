import type { Queryable } from "../database.ts";

/**
 * What the dashboard reads besides `status` and the chains: storage per table, the latest failures, slot dead
 * letters and quality issues, and which snapshots are stored. Read only; each table is written by its repository.
 */

export interface TableStorage {
  table: string;
  /** Heap, indexes and TOAST (on TimescaleDB: every chunk of the hypertable). */
  bytes: number;
  /** TimescaleDB only: the compressed chunks' size before and after compression; null elsewhere or when none is compressed. */
  beforeCompressionBytes: number | null;
  afterCompressionBytes: number | null;
}

/** The database's own tables by size, largest first; hypertables counted with their chunks. */
export async function tableStorage(db: Queryable): Promise<TableStorage[]> {
  const timescale = await db.query<{ present: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS present",
  );
  const plain = await db.query<{ table: string; bytes: number }>(
    `SELECT c.relname AS "table", pg_total_relation_size(c.oid)::float8 AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      ORDER BY 2 DESC, 1`,
  );
  const rows = new Map<string, TableStorage>(
    plain.rows.map((row) => [
      row.table,
      {
        table: row.table,
        bytes: Number(row.bytes),
        beforeCompressionBytes: null,
        afterCompressionBytes: null,
      },
    ]),
  );
  if (timescale.rows[0]?.present) {
    const hyper = await db.query<{
      table: string;
      bytes: number | null;
      before: number | null;
      after: number | null;
    }>(
      `SELECT h.hypertable_name AS "table", hypertable_size(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass)::float8 AS bytes,
              s.before_compression_total_bytes::float8 AS before, s.after_compression_total_bytes::float8 AS after
         FROM timescaledb_information.hypertables h
         LEFT JOIN LATERAL hypertable_compression_stats(format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass) s ON true
        WHERE h.hypertable_schema = 'public'`,
    );
    for (const row of hyper.rows) {
      rows.set(row.table, {
        table: row.table,
        bytes: Number(row.bytes ?? 0),
        beforeCompressionBytes: row.before === null ? null : Number(row.before),
        afterCompressionBytes: row.after === null ? null : Number(row.after),
      });
    }
  }
  return [...rows.values()].sort((a, b) => b.bytes - a.bytes || a.table.localeCompare(b.table));
}

export interface RecentFailure {
  date: string;
  symbol: string;
  type: string;
  status: string;
  error: string | null;
  runId: string | null;
  at: Date | null;
}

/** Runs that did not complete (failed, partial, missed), newest first. */
export async function recentFailures(db: Queryable, since: string, limit = 50): Promise<RecentFailure[]> {
  const result = await db.query<RecentFailure>(
    `SELECT collection_date AS date, symbol, collection_type AS type, status, error_message AS error,
            run_id AS "runId", coalesce(completed_at, started_at, collection_time) AS at
       FROM daily_collection_status
      WHERE collection_date >= $1 AND status IN ('failed', 'partial', 'missed')
      ORDER BY collection_date DESC, symbol, collection_type
      LIMIT $2`,
    [since, limit],
  );
  return result.rows;
}

export interface RecentDeadLetter {
  id: number;
  date: string | null;
  symbol: string | null;
  type: string | null;
  contractSymbol: string | null;
  category: string;
  errorCode: number | null;
  error: string;
  attempts: number;
  runId: string | null;
  createdAt: Date;
}

/** Unresolved dead letters (slots and contracts), newest first. */
export async function recentDeadLetters(
  db: Queryable,
  since: string,
  limit = 50,
): Promise<RecentDeadLetter[]> {
  const result = await db.query<RecentDeadLetter>(
    `SELECT id, collection_date AS date, symbol, collection_type AS type, contract_symbol AS "contractSymbol",
            category, error_code AS "errorCode", error_message AS error, attempts, run_id AS "runId",
            created_at AS "createdAt"
       FROM collection_dead_letters
      WHERE resolved_at IS NULL AND (collection_date IS NULL OR collection_date >= $1)
      ORDER BY id DESC
      LIMIT $2`,
    [since, limit],
  );
  return result.rows;
}

export interface RecentQualityIssue {
  date: string;
  symbol: string | null;
  type: string | null;
  rule: string;
  severity: string;
  message: string;
  runId: string | null;
  detectedAt: Date;
}

/** Warnings and errors the quality checks stored, newest first (info is left out: it is not a problem). */
export async function recentQualityIssues(
  db: Queryable,
  since: string,
  limit = 50,
): Promise<RecentQualityIssue[]> {
  const result = await db.query<RecentQualityIssue>(
    `SELECT collection_date AS date, symbol, collection_type AS type, rule, severity, message,
            run_id AS "runId", detected_at AS "detectedAt"
       FROM data_quality_issues
      WHERE collection_date >= $1 AND severity IN ('warning', 'error')
      ORDER BY collection_date DESC, CASE severity WHEN 'error' THEN 0 ELSE 1 END, id DESC
      LIMIT $2`,
    [since, limit],
  );
  return result.rows;
}

export interface StoredSnapshot {
  symbol: string;
  date: string;
  type: string;
  status: string | null;
  /** Quotes the run stored. */
  stored: number;
}

/**
 * The collections that stored quotes, newest first: what the chain view offers. Read from the status rows,
 * not the ticks, so the list costs the same with a year of quotes as with a day.
 */
export async function storedSnapshots(db: Queryable, limit = 2000): Promise<StoredSnapshot[]> {
  const result = await db.query<StoredSnapshot>(
    `SELECT symbol, collection_date AS date, collection_type AS type, status, records_collected AS stored
       FROM daily_collection_status
      WHERE records_collected > 0 AND symbol <> '*' AND status IN ('completed', 'partial', 'failed')
      ORDER BY collection_date DESC, symbol, collection_type
      LIMIT $1`,
    [limit],
  );
  return result.rows.map((row) => ({ ...row, stored: Number(row.stored) }));
}
