import { randomUUID } from "node:crypto";

/**
 * A run's correlation id: one per collection run and per daemon slot attempt (a slot attempt hands its
 * id to the collection it runs). It is the `runId` field of every log line of the run, and the `run_id`
 * of its collection_runs, daily_collection_status, daemon_slot_runs and dead-letter rows and its events.
 */
export function newRunId(): string {
  return randomUUID();
}
