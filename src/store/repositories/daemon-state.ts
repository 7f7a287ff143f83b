import type { Queryable } from "../database.ts";

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
