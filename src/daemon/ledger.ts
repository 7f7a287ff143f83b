import type { Queryable } from "../store/database.ts";

/**
 * What the daemon records in the database: slot outcomes in daily_collection_status (one
 * row per run, keyed by date, symbol, type; symbol `*` for slots that are not about one underlying),
 * the instant it has planned through (daemon_state), and one row per attempt (daemon_slot_runs).
 * Everything that must survive a restart lives here, never in memory.
 */

export const ALL_SYMBOLS = "*";

export interface SlotRef {
  type: string;
  symbol: string | null;
  date: string;
}

/** Statuses after which a slot is never run again. */
export const FINAL_STATUSES = ["completed", "missed"] as const;

export async function slotStatus(db: Queryable, slot: SlotRef): Promise<string | null> {
  const result = await db.query<{ status: string | null }>(
    `SELECT status FROM daily_collection_status
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [slot.date, slot.symbol ?? ALL_SYMBOLS, slot.type],
  );
  return result.rows[0]?.status ?? null;
}

export async function isFinal(db: Queryable, slot: SlotRef): Promise<boolean> {
  const status = await slotStatus(db, slot);
  return status !== null && (FINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Marks a slot that was not collected in its window. A completed or partial collection is left
 * as it is: partial data is still data, and the gap check reports it.
 */
export async function markMissed(
  db: Queryable,
  slot: SlotRef,
  plannedAt: Date,
  reason: string,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO daily_collection_status
       (collection_date, collection_time, symbol, collection_type, status, error_message, timezone)
     VALUES ($1, $2, $3, $4, 'missed', $5, 'America/New_York')
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE
       SET status = 'missed', error_message = EXCLUDED.error_message
       WHERE daily_collection_status.status IS NULL
          OR daily_collection_status.status NOT IN ('completed', 'partial', 'missed')`,
    [slot.date, plannedAt, slot.symbol ?? ALL_SYMBOLS, slot.type, reason],
  );
  return result.rowCount > 0;
}

/**
 * Claims a bookkeeping slot (not a collector run, which keeps its own status row): true when this
 * worker may run it, false when it already completed or was recorded as missed.
 */
export async function claimSlot(db: Queryable, slot: SlotRef, plannedAt: Date): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO daily_collection_status
       (collection_date, collection_time, symbol, collection_type, started_at, status, timezone)
     VALUES ($1, $2, $3, $4, now(), 'running', 'America/New_York')
     ON CONFLICT (collection_date, symbol, collection_type) DO UPDATE
       SET status = 'running', started_at = now(), error_message = NULL
       WHERE daily_collection_status.status IS NULL
          OR daily_collection_status.status NOT IN ('completed', 'missed')
     RETURNING id`,
    [slot.date, plannedAt, slot.symbol ?? ALL_SYMBOLS, slot.type],
  );
  return result.rowCount > 0;
}

export async function finishSlot(
  db: Queryable,
  slot: SlotRef,
  outcome: { status: "completed" | "failed" | "partial"; records?: number; message?: string | null },
): Promise<void> {
  await db.query(
    `UPDATE daily_collection_status
        SET status = $4::varchar, completed_at = CASE WHEN $4::varchar = 'completed' THEN now() ELSE completed_at END,
            records_collected = $5, error_message = $6
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [
      slot.date,
      slot.symbol ?? ALL_SYMBOLS,
      slot.type,
      outcome.status,
      outcome.records ?? null,
      outcome.message ?? null,
    ],
  );
}

/** The instant up to which every slot has been queued or recorded as missed; null before the first start. */
export async function readCursor(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ planned_through: Date }>(
    "SELECT planned_through FROM daemon_state WHERE name = 'scheduler'",
  );
  const value = result.rows[0]?.planned_through;
  return value === undefined ? null : new Date(value);
}

/** Moves the cursor forward only: a daemon with a slower clock never drags it back. */
export async function advanceCursor(db: Queryable, to: Date): Promise<void> {
  await db.query(
    `INSERT INTO daemon_state (name, planned_through, updated_at) VALUES ('scheduler', $1, now())
     ON CONFLICT (name) DO UPDATE
       SET planned_through = GREATEST(daemon_state.planned_through, EXCLUDED.planned_through), updated_at = now()`,
    [to],
  );
}

export interface RunRecord {
  key: string;
  type: string;
  symbol: string | null;
  date: string;
  daemonId: string;
  jobId: string;
  attempt: number;
}

export type RunOutcome = "completed" | "skipped" | "missed" | "failed" | "interrupted";

export async function recordRunStart(db: Queryable, run: RunRecord): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO daemon_slot_runs (slot_key, collection_type, symbol, collection_date, daemon_id, job_id, attempt, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id`,
    [run.key, run.type, run.symbol ?? ALL_SYMBOLS, run.date, run.daemonId, run.jobId, run.attempt],
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
