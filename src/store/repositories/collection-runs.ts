import type { Queryable } from "../database.ts";
import type { CollectionKey } from "./collection-status.ts";

/**
 * collection_runs: which run holds a collection (date, symbol, type) and the replacement a forced
 * run has under way. The lock that keeps two runs apart is in ../collection-lock.ts; this module
 * only reads and writes the rows, each write conditioned on the run id so a run that lost the key
 * cannot overwrite its new owner.
 */

/** A process that runs collections: written into the rows it holds, shown to whoever is refused. */
export interface RunIdentity {
  runId: string;
  pid: number;
  host: string;
}

export interface CollectionRunRow extends RunIdentity {
  startedAt: Date;
  heartbeatAt: Date;
  /** Milliseconds since the last heartbeat, by the database's clock (the one that wrote it). */
  heartbeatAgeMs: number;
  /** Null while the run holds the key. */
  releasedAt: Date | null;
  /** Gateway time before which the collection's rows are the old snapshot of a pending replacement. */
  replacingBefore: Date | null;
}

const COLUMNS = `run_id AS "runId", owner_pid AS pid, owner_host AS host, started_at AS "startedAt",
  heartbeat_at AS "heartbeatAt", (extract(epoch FROM now() - heartbeat_at) * 1000)::float8 AS "heartbeatAgeMs",
  released_at AS "releasedAt", replacing_before AS "replacingBefore"`;

function keyParams(key: CollectionKey): [string, string, string] {
  return [key.collectionDate, key.symbol, key.collectionType];
}

export async function getCollectionRun(db: Queryable, key: CollectionKey): Promise<CollectionRunRow | null> {
  const result = await db.query<CollectionRunRow>(
    `SELECT ${COLUMNS} FROM collection_runs
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    keyParams(key),
  );
  return result.rows[0] ?? null;
}

/**
 * Makes `run` the holder of the key, keeping a pending replacement. Compare-and-set: succeeds only
 * when the row's current run is still `previousRunId` (null: no row yet), so two runs that both
 * judged the previous owner stale cannot both take over. Returns the new row, or null when another
 * run got there first.
 */
export async function takeCollectionRun(
  db: Queryable,
  key: CollectionKey,
  run: RunIdentity,
  previousRunId: string | null,
): Promise<CollectionRunRow | null> {
  const result = await db.query<CollectionRunRow>(
    `INSERT INTO collection_runs
       (collection_date, symbol, collection_type, run_id, owner_pid, owner_host, started_at, heartbeat_at)
     VALUES ($1, $2, $3, $4::uuid, $5, $6, now(), now())
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE SET
       run_id = EXCLUDED.run_id, owner_pid = EXCLUDED.owner_pid, owner_host = EXCLUDED.owner_host,
       started_at = now(), heartbeat_at = now(), released_at = NULL
     WHERE collection_runs.run_id = $7::uuid
     RETURNING ${COLUMNS}`,
    [...keyParams(key), run.runId, run.pid, run.host, previousRunId],
  );
  return result.rows[0] ?? null;
}

/** Records that the run's rows from gateway time `before` on are a new snapshot replacing the older ones. */
export async function beginReplacement(
  db: Queryable,
  key: CollectionKey,
  runId: string,
  before: Date,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE collection_runs SET replacing_before = $5
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 AND run_id = $4::uuid
        AND released_at IS NULL`,
    [...keyParams(key), runId, before],
  );
  return result.rowCount > 0;
}

/** Refreshes the heartbeat of every key the run holds; returns how many it still holds. */
export async function heartbeatCollectionRuns(db: Queryable, runId: string): Promise<number> {
  const result = await db.query(
    `UPDATE collection_runs SET heartbeat_at = now() WHERE run_id = $1::uuid AND released_at IS NULL`,
    [runId],
  );
  return result.rowCount;
}

/**
 * Releases the key if the run still holds it; with `replacementDone` the pending replacement is
 * cleared too (its old rows were deleted in the same transaction). Returns false when the run no
 * longer held the key: another run took it over.
 */
export async function releaseCollectionRun(
  db: Queryable,
  key: CollectionKey,
  runId: string,
  replacementDone: boolean,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE collection_runs
        SET released_at = now(), replacing_before = CASE WHEN $5 THEN NULL ELSE replacing_before END
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 AND run_id = $4::uuid
        AND released_at IS NULL`,
    [...keyParams(key), runId, replacementDone],
  );
  return result.rowCount > 0;
}
