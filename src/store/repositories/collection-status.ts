import type { Queryable } from "../database.ts";

/** A run's idempotency key: one row per (collection_date, symbol, collection_type). */
export interface CollectionKey {
  /** "YYYY-MM-DD" trading day in New York. */
  collectionDate: string;
  symbol: string;
  collectionType: string;
}

export type CollectionState = "running" | "completed" | "partial" | "failed";

export interface CollectionStatusRow extends CollectionKey {
  id: number;
  collectionTime: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  status: CollectionState | null;
  recordsCollected: number | null;
  errorMessage: string | null;
  timezone: string | null;
}

const RETURNING = `RETURNING id, collection_date AS "collectionDate", collection_time AS "collectionTime", symbol,
  collection_type AS "collectionType", started_at AS "startedAt", completed_at AS "completedAt", status,
  records_collected AS "recordsCollected", error_message AS "errorMessage", timezone`;

/**
 * Marks a run as running and returns its row. A run already completed is left untouched and
 * returned as it is (status "completed"): the caller skips it unless `force` is set.
 */
export async function startCollection(
  db: Queryable,
  key: CollectionKey,
  options: { collectionTime?: Date; timezone?: string; force?: boolean } = {},
): Promise<CollectionStatusRow> {
  const params = [
    key.collectionDate,
    key.symbol,
    key.collectionType,
    options.collectionTime ?? new Date(),
    options.timezone ?? null,
    options.force ?? false,
  ];
  const started = await db.query<CollectionStatusRow>(
    `INSERT INTO daily_collection_status
       (collection_date, symbol, collection_type, collection_time, timezone, started_at, status)
     VALUES ($1, $2, $3, $4, COALESCE($5, 'Asia/Jerusalem'), now(), 'running')
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE SET
       collection_time = EXCLUDED.collection_time,
       timezone = COALESCE($5, daily_collection_status.timezone),
       started_at = now(), completed_at = NULL, status = 'running', records_collected = NULL, error_message = NULL
     WHERE daily_collection_status.status IS DISTINCT FROM 'completed' OR $6::boolean
     ${RETURNING}`,
    params,
  );
  if (started.rows[0]) return started.rows[0];
  const existing = await getCollection(db, key);
  if (!existing) throw new Error(`collection status row for ${key.symbol} ${key.collectionDate} vanished`);
  return existing;
}

/** Marks a run completed (or "partial" when some contracts could not be collected). */
export async function completeCollection(
  db: Queryable,
  key: CollectionKey,
  result: { recordsCollected: number; status?: "completed" | "partial"; errorMessage?: string | null },
): Promise<CollectionStatusRow> {
  return updateCollection(
    db,
    key,
    result.status ?? "completed",
    result.recordsCollected,
    result.errorMessage ?? null,
  );
}

export async function failCollection(
  db: Queryable,
  key: CollectionKey,
  errorMessage: string,
  recordsCollected?: number,
): Promise<CollectionStatusRow> {
  return updateCollection(db, key, "failed", recordsCollected ?? null, errorMessage);
}

async function updateCollection(
  db: Queryable,
  key: CollectionKey,
  status: CollectionState,
  recordsCollected: number | null,
  errorMessage: string | null,
): Promise<CollectionStatusRow> {
  const result = await db.query<CollectionStatusRow>(
    `UPDATE daily_collection_status
        SET status = $4, completed_at = now(), records_collected = $5, error_message = $6
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3
     ${RETURNING}`,
    [key.collectionDate, key.symbol, key.collectionType, status, recordsCollected, errorMessage],
  );
  const row = result.rows[0];
  if (!row) {
    throw new Error(
      `no collection ${key.symbol} ${key.collectionType} on ${key.collectionDate} to mark ${status}: call startCollection first`,
    );
  }
  return row;
}

export async function getCollection(db: Queryable, key: CollectionKey): Promise<CollectionStatusRow | null> {
  const result = await db.query<CollectionStatusRow>(
    `SELECT id, collection_date AS "collectionDate", collection_time AS "collectionTime", symbol,
            collection_type AS "collectionType", started_at AS "startedAt", completed_at AS "completedAt", status,
            records_collected AS "recordsCollected", error_message AS "errorMessage", timezone
       FROM daily_collection_status
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [key.collectionDate, key.symbol, key.collectionType],
  );
  return result.rows[0] ?? null;
}

/** All runs between two dates (inclusive), oldest first: what `status` and gap detection read. */
export async function listCollections(
  db: Queryable,
  from: string,
  to: string,
): Promise<CollectionStatusRow[]> {
  const result = await db.query<CollectionStatusRow>(
    `SELECT id, collection_date AS "collectionDate", collection_time AS "collectionTime", symbol,
            collection_type AS "collectionType", started_at AS "startedAt", completed_at AS "completedAt", status,
            records_collected AS "recordsCollected", error_message AS "errorMessage", timezone
       FROM daily_collection_status
      WHERE collection_date BETWEEN $1 AND $2
      ORDER BY collection_date, symbol, collection_type`,
    [from, to],
  );
  return result.rows;
}
