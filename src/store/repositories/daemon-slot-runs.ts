import type { Queryable } from "../database.ts";

/** One attempt to run a slot: a row of daemon_slot_runs. */
export interface RunRecord {
  key: string;
  type: string;
  /** The underlying, or `*` for a slot that is not about one. */
  symbol: string;
  date: string;
  daemonId: string;
  jobId: string;
  attempt: number;
  /** The attempt's correlation id: in its log lines, the status row and the collection it runs. */
  runId: string;
}

export type RunOutcome = "completed" | "skipped" | "missed" | "failed" | "interrupted";

/** Records that an attempt started; returns its id for recordRunEnd. */
export async function recordRunStart(db: Queryable, run: RunRecord): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO daemon_slot_runs (slot_key, collection_type, symbol, collection_date, daemon_id, job_id, attempt, started_at, run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8::uuid) RETURNING id`,
    [run.key, run.type, run.symbol, run.date, run.daemonId, run.jobId, run.attempt, run.runId],
  );
  return Number(result.rows[0]!.id);
}

export async function recordRunEnd(
  db: Queryable,
  id: number,
  outcome: RunOutcome,
  detail?: string,
): Promise<void> {
  await db.query("UPDATE daemon_slot_runs SET finished_at = now(), outcome = $2, detail = $3 WHERE id = $1", [
    id,
    outcome,
    detail ?? null,
  ]);
}

export interface LastRun {
  key: string;
  outcome: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** The most recent attempt by any daemon on this database. */
export async function lastRun(db: Queryable): Promise<LastRun | null> {
  const result = await db.query<{
    slot_key: string;
    outcome: string | null;
    started_at: Date;
    finished_at: Date | null;
  }>(
    "SELECT slot_key, outcome, started_at, finished_at FROM daemon_slot_runs ORDER BY started_at DESC, id DESC LIMIT 1",
  );
  const row = result.rows[0];
  return row
    ? {
        key: row.slot_key,
        outcome: row.outcome,
        startedAt: new Date(row.started_at),
        finishedAt: row.finished_at && new Date(row.finished_at),
      }
    : null;
}

/** How many attempts of a slot failed, and the detail and run id of the latest one. */
export async function slotFailures(
  db: Queryable,
  slotKey: string,
): Promise<{ attempts: number; lastDetail: string | null; lastRunId: string | null }> {
  const result = await db.query<{ detail: string | null; attempts: number; run_id: string | null }>(
    `SELECT (array_agg(detail ORDER BY id DESC))[1] AS detail, (array_agg(run_id ORDER BY id DESC))[1] AS run_id,
            count(*)::int AS attempts
       FROM daemon_slot_runs WHERE slot_key = $1 AND outcome = 'failed'`,
    [slotKey],
  );
  const row = result.rows[0];
  return { attempts: row?.attempts ?? 0, lastDetail: row?.detail ?? null, lastRunId: row?.run_id ?? null };
}
