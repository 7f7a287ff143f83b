import { FAILED_OUTCOMES } from "../core/events.ts";
import type { SlotOutcome } from "../core/events.ts";

/**
 * What a slot came to, derived from what the database recorded about it. Pure: the facts are read
 * elsewhere (store/status-facts.ts) and the time is passed in, so every outcome is checked without I/O.
 */

/** The slot's daily_collection_status row. */
export interface StatusRowFacts {
  status: string | null;
  startedAt: Date | null;
  errorMessage: string | null;
  runId: string | null;
}

/** The daemon gave up on the slot after its retries (an unresolved slot dead letter). */
export interface DeadLetterFacts {
  errorMessage: string;
  createdAt: Date;
  runId: string | null;
}

/** The daemon's latest attempt at the slot (daemon_slot_runs). */
export interface AttemptFacts {
  outcome: string | null;
  detail: string | null;
  finishedAt: Date | null;
  runId: string | null;
}

export interface SlotFacts {
  /** When the plan wanted the slot and until when it could run; absent for a manual (unplanned) run. */
  planned?: { at: Date; validUntil: Date };
  row?: StatusRowFacts;
  deadLetter?: DeadLetterFacts;
  lastAttempt?: AttemptFacts;
  /** A live run holds the key right now (collection_runs: not released, heartbeat fresh). */
  held: boolean;
  /** When chainvault first started on this database; null when it never has. */
  installedAt: Date | null;
  now: Date;
}

export interface DerivedOutcome {
  outcome: SlotOutcome;
  /** Why, when something went wrong (or a note the run left); null otherwise. */
  error: string | null;
  runId: string | null;
}

/**
 * The rules, first match wins:
 * 1. the row says completed → completed (a later run recovered whatever happened before);
 * 2. a live run holds the key → running;
 * 3. the daemon dead-lettered the slot and no run started since → dead_lettered;
 * 4. the row says running, or a daemon attempt is open, and the slot is still inside its window → running;
 * 5. the row says partial / failed → partial / failed;
 * 6. the row says missed → missed, or skipped when its window had closed before chainvault's first start;
 * 7. the row says running (or anything else) with nobody running it past its window → failed: the run stopped
 *    without recording an outcome;
 * 8. no row: the daemon's last attempt failed → failed (e.g. the gateway was unreachable before the run began);
 *    window closed before the first start → skipped; still inside its window (or not yet due) → pending; else
 *    missed.
 * Finally, a slot whose window closed before the first start and that failed anyway (a `collect` by hand of a
 * day long gone) is skipped: nothing was expected of it; the note keeps what happened.
 */
export function deriveOutcome(facts: SlotFacts): DerivedOutcome {
  const derived = outcomeOf(facts);
  // A slot whose window closed before the first start, tried anyway and lost: no failure of chainvault's.
  if (FAILED_OUTCOMES.has(derived.outcome) && plannedBeforeInstall(facts))
    return { ...derived, outcome: "skipped" };
  return derived;
}

/**
 * Whether the slot's window had closed before chainvault first started on this database: then nothing could be
 * expected of it. A slot still runnable at the first start (the first collection's own slot, an EOD whose
 * window runs to the next open) was chainvault's to take.
 */
function plannedBeforeInstall({ planned, installedAt, now }: SlotFacts): boolean {
  if (planned === undefined) return false;
  return planned.validUntil <= (installedAt ?? now);
}

function outcomeOf(facts: SlotFacts): DerivedOutcome {
  const { row, planned, deadLetter, lastAttempt, now } = facts;
  const runId = row?.runId ?? lastAttempt?.runId ?? deadLetter?.runId ?? null;
  const result = (outcome: SlotOutcome, error: string | null = null, id = runId): DerivedOutcome => ({
    outcome,
    error,
    runId: id,
  });
  const status = row?.status ?? null;
  if (status === "completed") return result("completed", row?.errorMessage ?? null);
  if (facts.held) return result("running");
  const startedSince =
    deadLetter !== undefined && row?.startedAt != null && row.startedAt > deadLetter.createdAt;
  if (deadLetter && !startedSince)
    return result("dead_lettered", deadLetter.errorMessage, deadLetter.runId ?? runId);
  const inWindow = planned !== undefined && now < planned.validUntil;
  const attemptOpen = lastAttempt !== undefined && lastAttempt.finishedAt === null;
  // An open attempt is a retry under way, even while the row still shows the previous attempt's failure.
  if ((status === "running" || attemptOpen) && inWindow) return result("running");
  if (status === "partial") return result("partial", row?.errorMessage ?? null);
  if (status === "failed") return result("failed", row?.errorMessage ?? null);
  const beforeInstall = plannedBeforeInstall(facts);
  if (status === "missed")
    return beforeInstall ? result("skipped") : result("missed", row?.errorMessage ?? null);
  if (row) {
    return result(
      "failed",
      `recorded ${status ?? "without a status"} but no run holds it: its process stopped without recording ` +
        "an outcome (killed, or the database went away); collect it again",
    );
  }
  if (lastAttempt?.outcome === "failed") return result("failed", lastAttempt.detail);
  if (planned === undefined) return result("pending");
  if (beforeInstall) return result("skipped");
  if (now < planned.validUntil) return result("pending");
  return result(
    "missed",
    `not run by ${planned.validUntil.toISOString()}: no run was recorded (was the daemon running?)`,
  );
}

/** Stored over selected, or null when nothing was selected (or the run never got that far). */
export function coverageOf(stored: number | null, selected: number | null): number | null {
  if (stored === null || selected === null || selected <= 0) return null;
  return round(stored / selected, 4);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
