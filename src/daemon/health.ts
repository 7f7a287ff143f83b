import type { Queryable } from "../store/database.ts";
import { lastRun } from "../store/repositories/daemon-slot-runs.ts";
import type { LastRun } from "../store/repositories/daemon-slot-runs.ts";
import { readCursor } from "../store/repositories/daemon-state.ts";
import { slotKey } from "../core/collection.ts";
import type { Plan } from "./slots.ts";
import { DAY_MS } from "../calendar/index.ts";

export interface ScheduleHealth {
  /** The most recent slot attempt by any daemon on this database. */
  lastRun: LastRun | null;
  /** The next slot the plan has after `now`. */
  nextDue: { key: string; at: string } | null;
  /** Every slot up to here has been queued or recorded as missed; null before the first start. */
  plannedThrough: string | null;
}

/**
 * The daemon's health read from the database alone, so a status command or an HTTP endpoint in
 * another process can report it without talking to the daemon.
 */
export async function readScheduleHealth(db: Queryable, plan: Plan, now: Date): Promise<ScheduleHealth> {
  const next = plan(now, new Date(now.getTime() + 14 * DAY_MS))[0];
  const cursor = await readCursor(db);
  return {
    lastRun: await lastRun(db),
    nextDue: next ? { key: slotKey(next), at: next.at.toISOString() } : null,
    plannedThrough: cursor?.toISOString() ?? null,
  };
}
