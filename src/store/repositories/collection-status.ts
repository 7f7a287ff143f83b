import type { Queryable } from "../database.ts";

/** A run's idempotency key: one row per (collection_date, symbol, collection_type). */
export interface CollectionKey {
  /** "YYYY-MM-DD" trading day in New York. */
  collectionDate: string;
  symbol: string;
  collectionType: string;
}

/** "missed": a daemon slot not collected within its window. */
export type CollectionState = "running" | "completed" | "partial" | "failed" | "missed";

export interface CollectionStatusRow extends CollectionKey {
  id: number;
  collectionTime: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  status: CollectionState | null;
  recordsCollected: number | null;
  errorMessage: string | null;
  timezone: string | null;
  /** The run that last started (or recorded missed) this key; null for rows from before migration 060. */
  runId: string | null;
  /** Contracts discovery listed in the run's window, and those the selection kept; null until known. */
  contractsListed: number | null;
  contractsSelected: number | null;
}

const COLUMNS = `id, collection_date AS "collectionDate", collection_time AS "collectionTime", symbol,
  collection_type AS "collectionType", started_at AS "startedAt", completed_at AS "completedAt", status,
  records_collected AS "recordsCollected", error_message AS "errorMessage", timezone, run_id AS "runId",
  contracts_listed AS "contractsListed", contracts_selected AS "contractsSelected"`;
const RETURNING = `RETURNING ${COLUMNS}`;

/** What a run counted: the figures `status` shows next to the quotes stored. */
export interface ContractCounts {
  contractsListed?: number | null;
  contractsSelected?: number | null;
}

/**
 * When a run ended, by the clock its start was read from (the gateway's for a collection, the daemon's for
 * its bookkeeping): collection_time, started_at and completed_at of one row come from one clock. Default: the
 * database's clock (now()), for callers without one.
 */
export interface EndedAt {
  completedAt?: Date;
}

/**
 * Marks a run as running and returns its row. A run already completed is left untouched and
 * returned as it is (status "completed"): the caller skips it unless `force` is set.
 * `collectionTime` (default: now) is also started_at: the run's start by its clock. `timezone` is the
 * plan's zone (schedule.timezone, else the machine's); NULL when the caller has none.
 */
export async function startCollection(
  db: Queryable,
  key: CollectionKey,
  options: { collectionTime?: Date; timezone?: string; force?: boolean; runId?: string } = {},
): Promise<CollectionStatusRow> {
  const params = [
    key.collectionDate,
    key.symbol,
    key.collectionType,
    options.collectionTime ?? new Date(),
    options.timezone ?? null,
    options.force ?? false,
    options.runId ?? null,
  ];
  const started = await db.query<CollectionStatusRow>(
    `INSERT INTO daily_collection_status
       (collection_date, symbol, collection_type, collection_time, timezone, started_at, status, run_id)
     VALUES ($1, $2, $3, $4, $5, $4, 'running', $7::uuid)
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE SET
       collection_time = EXCLUDED.collection_time,
       timezone = COALESCE($5, daily_collection_status.timezone),
       started_at = EXCLUDED.started_at, completed_at = NULL, status = 'running', records_collected = NULL, error_message = NULL,
       run_id = $7::uuid, contracts_listed = NULL, contracts_selected = NULL
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
  result: {
    recordsCollected: number;
    status?: "completed" | "partial";
    errorMessage?: string | null;
  } & ContractCounts &
    EndedAt,
): Promise<CollectionStatusRow> {
  return updateCollection(
    db,
    key,
    result.status ?? "completed",
    result.recordsCollected,
    result.errorMessage ?? null,
    result,
  );
}

export async function failCollection(
  db: Queryable,
  key: CollectionKey,
  errorMessage: string,
  recordsCollected?: number,
  counts: ContractCounts & EndedAt = {},
): Promise<CollectionStatusRow> {
  return updateCollection(db, key, "failed", recordsCollected ?? null, errorMessage, counts);
}

async function updateCollection(
  db: Queryable,
  key: CollectionKey,
  status: CollectionState,
  recordsCollected: number | null,
  errorMessage: string | null,
  counts: ContractCounts & EndedAt,
): Promise<CollectionStatusRow> {
  const result = await db.query<CollectionStatusRow>(
    `UPDATE daily_collection_status
        SET status = $4, completed_at = COALESCE($9::timestamptz, now()), records_collected = $5, error_message = $6,
            contracts_listed = $7, contracts_selected = $8
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3
     ${RETURNING}`,
    [
      key.collectionDate,
      key.symbol,
      key.collectionType,
      status,
      recordsCollected,
      errorMessage,
      counts.contractsListed ?? null,
      counts.contractsSelected ?? null,
      counts.completedAt ?? null,
    ],
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
    `SELECT ${COLUMNS}
       FROM daily_collection_status
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [key.collectionDate, key.symbol, key.collectionType],
  );
  return result.rows[0] ?? null;
}

/**
 * When each (symbol, collection type) last completed, over all dates: the daemon's metrics start from it,
 * so a restart does not make every "last success" look absent.
 */
export async function lastCompletedCollections(
  db: Queryable,
): Promise<{ symbol: string; collectionType: string; completedAt: Date }[]> {
  const result = await db.query<{ symbol: string; collectionType: string; completedAt: Date }>(
    `SELECT symbol, collection_type AS "collectionType", max(completed_at) AS "completedAt"
       FROM daily_collection_status
      WHERE status = 'completed' AND completed_at IS NOT NULL AND collection_type IS NOT NULL
      GROUP BY symbol, collection_type
      ORDER BY symbol, collection_type`,
  );
  return result.rows;
}

/** All runs between two dates (inclusive), oldest first: what `status` and gap detection read. */
export async function listCollections(
  db: Queryable,
  from: string,
  to: string,
): Promise<CollectionStatusRow[]> {
  const result = await db.query<CollectionStatusRow>(
    `SELECT ${COLUMNS}
       FROM daily_collection_status
      WHERE collection_date BETWEEN $1 AND $2
      ORDER BY collection_date, symbol, collection_type`,
    [from, to],
  );
  return result.rows;
}

/**
 * Records a run that was not collected in its window as missed; returns whether the row changed. A
 * completed or partial run is left as it is: partial data is still data, and the gap check reports it.
 */
export async function markCollectionMissed(
  db: Queryable,
  key: CollectionKey,
  plannedAt: Date,
  reason: string,
  runId?: string,
  timezone?: string,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO daily_collection_status
       (collection_date, collection_time, symbol, collection_type, status, error_message, timezone, run_id)
     VALUES ($1, $2, $3, $4, 'missed', $5, $7, $6::uuid)
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE
       SET status = 'missed', error_message = EXCLUDED.error_message, run_id = EXCLUDED.run_id
       WHERE daily_collection_status.status IS NULL
          OR daily_collection_status.status NOT IN ('completed', 'partial', 'missed')`,
    [key.collectionDate, plannedAt, key.symbol, key.collectionType, reason, runId ?? null, timezone ?? null],
  );
  return result.rowCount > 0;
}

/**
 * Marks a run as running unless it already completed or was recorded as missed; returns whether
 * the caller now holds it. For the daemon's bookkeeping slots, whose rows nothing else starts.
 * `startedAt` is the daemon's clock (default: the database's), `timezone` the plan's zone.
 */
export async function claimCollection(
  db: Queryable,
  key: CollectionKey,
  plannedAt: Date,
  runId?: string,
  options: { startedAt?: Date; timezone?: string } = {},
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO daily_collection_status
       (collection_date, collection_time, symbol, collection_type, started_at, status, timezone, run_id)
     VALUES ($1, $2, $3, $4, COALESCE($6::timestamptz, now()), 'running', $7, $5::uuid)
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE
       SET status = 'running', started_at = EXCLUDED.started_at, error_message = NULL, run_id = EXCLUDED.run_id,
           timezone = COALESCE(EXCLUDED.timezone, daily_collection_status.timezone)
       WHERE daily_collection_status.status IS NULL
          OR daily_collection_status.status NOT IN ('completed', 'missed')
     RETURNING id`,
    [
      key.collectionDate,
      plannedAt,
      key.symbol,
      key.collectionType,
      runId ?? null,
      options.startedAt ?? null,
      options.timezone ?? null,
    ],
  );
  return result.rowCount > 0;
}

/** Records the outcome of a claimed run; completed_at is set only when it completed. */
export async function finishClaimedCollection(
  db: Queryable,
  key: CollectionKey,
  outcome: {
    status: "completed" | "failed" | "partial";
    records?: number;
    message?: string | null;
  } & EndedAt,
): Promise<void> {
  await db.query(
    `UPDATE daily_collection_status
        SET status = $4::varchar,
            completed_at = CASE WHEN $4::varchar = 'completed' THEN COALESCE($7::timestamptz, now()) ELSE completed_at END,
            records_collected = $5, error_message = $6
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [
      key.collectionDate,
      key.symbol,
      key.collectionType,
      outcome.status,
      outcome.records ?? null,
      outcome.message ?? null,
      outcome.completedAt ?? null,
    ],
  );
}

/** Runs between two dates (inclusive) per type and status, leaving out the rows of `exceptSymbol`. */
export async function countCollectionsByStatus(
  db: Queryable,
  from: string,
  to: string,
  exceptSymbol: string,
): Promise<{ type: string; status: string; count: number }[]> {
  const result = await db.query<{ collection_type: string; status: string | null; n: number }>(
    `SELECT collection_type, status, count(*)::int AS n FROM daily_collection_status
      WHERE collection_date BETWEEN $1 AND $2 AND symbol <> $3
      GROUP BY collection_type, status ORDER BY collection_type, status`,
    [from, to, exceptSymbol],
  );
  return result.rows.map((row) => ({
    type: row.collection_type,
    status: row.status ?? "unknown",
    count: Number(row.n),
  }));
}

/**
 * Keys whose status row says running and that a collector claimed (a collection_runs row exists): the
 * candidates for a run that ended without recording its outcome. The daemon's bookkeeping rows, which
 * have no owner row, are not among them.
 */
export async function listRunningCollectorKeys(db: Queryable): Promise<CollectionKey[]> {
  const result = await db.query<{ collection_date: string; symbol: string; collection_type: string }>(
    `SELECT s.collection_date::text AS collection_date, s.symbol, s.collection_type
       FROM daily_collection_status s
      WHERE s.status = 'running'
        AND EXISTS (SELECT 1 FROM collection_runs r
                     WHERE r.collection_date = s.collection_date AND r.symbol = s.symbol
                       AND r.collection_type = s.collection_type)
      ORDER BY s.collection_date, s.symbol, s.collection_type`,
  );
  return result.rows.map((row) => ({
    collectionDate: row.collection_date,
    symbol: row.symbol,
    collectionType: row.collection_type,
  }));
}

/**
 * Locks the key's row until the caller's transaction ends and returns its status (null: no row). Whoever
 * settles a split collection's outcome holds it, so two workers finishing its last parts at once take turns and
 * the second sees the first's part.
 */
export async function lockCollection(tx: Queryable, key: CollectionKey): Promise<CollectionState | null> {
  const result = await tx.query<{ status: CollectionState | null }>(
    `SELECT status FROM daily_collection_status
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 FOR UPDATE`,
    [key.collectionDate, key.symbol, key.collectionType],
  );
  return result.rows[0]?.status ?? null;
}
