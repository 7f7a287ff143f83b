import type { Queryable } from "../database.ts";
import type { CollectionKey } from "./collection-status.ts";

/**
 * collection_parts: the parts a split collection was cut into (src/collect/split.ts) and how each went. The
 * coordinator writes a plan's rows; a part's worker writes its own row, each write conditioned on the plan (a
 * job of a replaced plan changes nothing) and, once started, on its run id (a run that lost the part to another
 * cannot overwrite it).
 */

/** queued: waiting for a worker (again, after a handed-back attempt); partial: some contracts dead-lettered. */
export type PartState = "queued" | "running" | "completed" | "partial" | "failed";

export interface PartRow extends CollectionKey {
  partIndex: number;
  partCount: number;
  planId: string;
  contractIds: number[];
  contractCount: number;
  contractsListed: number | null;
  underlyingPrice: number | null;
  storedCount: number;
  failedCount: number;
  status: PartState;
  attempts: number;
  worker: string | null;
  gateway: string | null;
  runId: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  errorMessage: string | null;
}

const COLUMNS = `collection_date::text AS "collectionDate", symbol, collection_type AS "collectionType",
  part_index AS "partIndex", part_count AS "partCount", plan_id AS "planId", contract_ids AS "contractIds",
  contract_count AS "contractCount", contracts_listed AS "contractsListed", underlying_price AS "underlyingPrice", stored_count AS "storedCount",
  failed_count AS "failedCount", status, attempts, worker, gateway, run_id AS "runId", queued_at AS "queuedAt",
  started_at AS "startedAt", completed_at AS "completedAt", error_message AS "errorMessage"`;

function keyParams(key: CollectionKey): [string, string, string] {
  return [key.collectionDate, key.symbol, key.collectionType];
}

function normalize(row: PartRow): PartRow {
  return { ...row, contractIds: row.contractIds.map(Number) };
}

export interface PlannedPart {
  index: number;
  contractIds: readonly number[];
  underlyingPrice: number | null;
  contractsListed: number | null;
}

/** Replaces the collection's parts with a new plan's, all queued. */
export async function recordPlan(
  db: Queryable,
  key: CollectionKey,
  planId: string,
  parts: readonly PlannedPart[],
): Promise<void> {
  await db.query(
    "DELETE FROM collection_parts WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3",
    keyParams(key),
  );
  for (const part of parts) {
    await db.query(
      `INSERT INTO collection_parts (collection_date, symbol, collection_type, part_index, part_count, plan_id,
         contract_ids, contract_count, underlying_price, contracts_listed)
       VALUES ($1, $2, $3, $4, $5, $6, $7::integer[], $8, $9, $10)`,
      [
        ...keyParams(key),
        part.index,
        parts.length,
        planId,
        [...part.contractIds],
        part.contractIds.length,
        part.underlyingPrice,
        part.contractsListed,
      ],
    );
  }
}

/** The collection's parts in index order (empty when it was never split). */
export async function listParts(db: Queryable, key: CollectionKey): Promise<PartRow[]> {
  const result = await db.query<PartRow>(
    `SELECT ${COLUMNS} FROM collection_parts
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 ORDER BY part_index`,
    keyParams(key),
  );
  return result.rows.map(normalize);
}

/** The parts of every collection of a date (for `status`), in key and index order. */
export async function listPartsOfDate(db: Queryable, date: string): Promise<PartRow[]> {
  const result = await db.query<PartRow>(
    `SELECT ${COLUMNS} FROM collection_parts WHERE collection_date = $1
      ORDER BY symbol, collection_type, part_index`,
    [date],
  );
  return result.rows.map(normalize);
}

/**
 * Marks the part running for `run`, unless its plan was replaced or it already finished: then null, and the job
 * has nothing to do.
 */
export async function startPart(
  db: Queryable,
  key: CollectionKey,
  index: number,
  planId: string,
  run: { runId: string; worker: string; gateway: string },
): Promise<PartRow | null> {
  const result = await db.query<PartRow>(
    `UPDATE collection_parts
        SET status = 'running', attempts = attempts + 1, started_at = now(), completed_at = NULL,
            run_id = $6, worker = $7, gateway = $8
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 AND part_index = $4 AND plan_id = $5
        AND status IN ('queued', 'running')
     RETURNING ${COLUMNS}`,
    [...keyParams(key), index, planId, run.runId, run.worker, run.gateway],
  );
  const row = result.rows[0];
  return row ? normalize(row) : null;
}

/** Records how the part's run ended: finished (completed/partial) or handed back (queued); false if not its run. */
export async function finishPart(
  db: Queryable,
  key: CollectionKey,
  index: number,
  runId: string,
  outcome: {
    status: "completed" | "partial" | "queued";
    stored: number;
    failed: number;
    error: string | null;
  },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE collection_parts
        SET status = $6::text, stored_count = $7, failed_count = $8, error_message = $9,
            completed_at = CASE WHEN $6::text = 'queued' THEN NULL ELSE now() END
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 AND part_index = $4 AND run_id = $5
        AND status = 'running'`,
    [...keyParams(key), index, runId, outcome.status, outcome.stored, outcome.failed, outcome.error],
  );
  return (result.rowCount ?? 0) > 0;
}

/** A part whose job ran out of retries (or was lost for good): failed, unless it finished meanwhile. */
export async function failPart(
  db: Queryable,
  key: CollectionKey,
  index: number,
  planId: string,
  error: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE collection_parts SET status = 'failed', error_message = $6, completed_at = now()
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3 AND part_index = $4 AND plan_id = $5
        AND status IN ('queued', 'running')`,
    [...keyParams(key), index, planId, error],
  );
  return (result.rowCount ?? 0) > 0;
}
