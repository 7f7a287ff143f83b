import type { Database } from "../store/database.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../core/clock.ts";
import type { DatabaseOutage } from "../store/outage.ts";
import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { newRunId } from "../core/run-id.ts";
import { readInstall } from "../store/repositories/install.ts";
import { markMissed } from "./ledger.ts";
import { advanceCursor, readCursor } from "../store/repositories/daemon-state.ts";
import type { SlotQueue } from "./queue.ts";
import { queueFor, slotFinished, toJob } from "./slots.ts";
import type { Plan, PlannedSlot } from "./slots.ts";

export interface SchedulerOptions {
  db: Database;
  queue: SlotQueue;
  plan: Plan;
  clock: Clock;
  logger: Logger;
  /** A tick that fails because the database is away is noted here (one warning per outage), not logged. */
  outage?: DatabaseOutage;
  /** Longest sleep between two looks at the plan, so a wake from sleep is noticed soon. */
  tickMs?: number;
  /** The plan's zone, recorded in the rows of missed slots. */
  zone?: string;
  /** On the very first start (no cursor in the database), how far back to look for slots. */
  firstStartLookbackMs?: number;
  /** However long the daemon was away, plan at most this far back (older slots are not revisited). */
  maxCatchUpMs?: number;
  /** Where a slot found missed is reported (`slot_finished`, outcome missed). */
  events?: EventSink;
}

export interface TickResult {
  from: Date;
  to: Date;
  queued: PlannedSlot[];
  missed: PlannedSlot[];
}

const HOUR = 3_600_000;

/**
 * Turns the plan into queued jobs. Each tick plans from the cursor stored in the database to now,
 * so sleep, a clock jump or a restart simply make the next tick cover a longer stretch: every slot
 * in it is queued (its job id makes that idempotent) or, when its window has passed, recorded as
 * missed. Nothing about progress is kept in memory.
 */
export class Scheduler {
  readonly #options: Required<
    Omit<SchedulerOptions, "db" | "queue" | "plan" | "clock" | "logger" | "outage" | "events" | "zone">
  > &
    SchedulerOptions;
  #ticking: Promise<TickResult> | null = null;
  lastTick: TickResult | null = null;
  /**
   * When the loop last finished a look at the plan, whether it succeeded or not (a tick fails while the
   * database is away, yet the loop is alive): what `/healthz` reads.
   */
  lastLoopAt: Date | null = null;

  constructor(options: SchedulerOptions) {
    this.#options = {
      ...options,
      tickMs: options.tickMs ?? 60_000,
      firstStartLookbackMs: options.firstStartLookbackMs ?? 24 * HOUR,
      maxCatchUpMs: options.maxCatchUpMs ?? 30 * 24 * HOUR,
    };
  }

  /** One look at the plan. Concurrent calls share the tick in flight. */
  tick(): Promise<TickResult> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #tick(): Promise<TickResult> {
    const { db, queue, plan, clock, logger } = this.#options;
    const now = clock.now();
    const stored = await readCursor(db);
    let from = stored ?? new Date(now.getTime() - this.#options.firstStartLookbackMs);
    const oldest = new Date(now.getTime() - this.#options.maxCatchUpMs);
    if (from < oldest) {
      logger.warn(
        { plannedThrough: from.toISOString(), resumingFrom: oldest.toISOString() },
        "the daemon was away longer than the catch-up limit; slots before it are not revisited (run `chainvault daemon` gap checks or collect by hand)",
      );
      from = oldest;
    }
    const result: TickResult = { from, to: now, queued: [], missed: [] };
    if (now <= from) {
      // First start with no look-back, or the clock went back: plan from here on / wait until it passes the cursor.
      if (stored === null) await advanceCursor(db, now);
      return (this.lastTick = result);
    }
    const installedAt = await readInstall(db);
    for (const slot of plan(from, now)) {
      const job = toJob(slot);
      if (now > slot.validUntil) {
        // The first start's look-back reaches slots whose window closed before chainvault ran here: nobody
        // missed those.
        if (installedAt !== null && slot.validUntil <= installedAt) continue;
        const reason = `not run by ${slot.validUntil.toISOString()} (daemon not running or asleep when it was due at ${job.at})`;
        const runId = newRunId();
        if (await markMissed(db, slot, slot.at, reason, runId, this.#options.zone)) {
          result.missed.push(slot);
          logger.warn({ runId, slot: job.key, due: job.at, validUntil: job.validUntil }, "slot missed");
          (this.#options.events ?? discardEvents).emit(slotFinished(job, runId, "missed", reason));
        }
        continue;
      }
      if (await queue.enqueue(queueFor(slot.type), job)) {
        result.queued.push(slot);
        logger.info(
          { slot: job.key, due: job.at, validUntil: job.validUntil, note: job.note },
          "slot queued",
        );
      }
    }
    await advanceCursor(db, now);
    if (result.queued.length > 0) queue.wake();
    return (this.lastTick = result);
  }

  /** The first slot due after now (looks up to two weeks ahead). */
  nextDue(): PlannedSlot | null {
    const now = this.#options.clock.now();
    return this.#options.plan(now, new Date(now.getTime() + 14 * 24 * HOUR))[0] ?? null;
  }

  /**
   * Ticks until `signal` aborts: wakes at the next slot or after `tickMs`, whichever is first.
   * A jump of the wall clock (sleep, NTP, a manual change) shows as wall time running far ahead of
   * the monotonic timer; it is logged, and the next tick re-plans from the stored cursor.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.#options;
    let wall = clock.now().getTime();
    let mono = performance.now();
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (error) {
        // The cursor is in the database: the next tick plans whatever this one could not.
        if (!this.#options.outage?.noteFailure(error))
          logger.error({ err: error }, "scheduler tick failed; retrying at the next tick");
      }
      this.lastLoopAt = clock.now();
      const next = this.nextDue();
      const nowMs = clock.now().getTime();
      const wait = Math.min(this.#options.tickMs, next ? Math.max(0, next.at.getTime() - nowMs) : Infinity);
      await clock.sleep(wait, signal);
      const wallNow = clock.now().getTime();
      const monoNow = performance.now();
      const drift = wallNow - wall - (monoNow - mono);
      if (Math.abs(drift) > Math.max(2 * this.#options.tickMs, 120_000)) {
        logger.info(
          { jumpedMs: Math.round(drift) },
          drift > 0
            ? "clock jumped ahead or the machine slept; re-planning from the stored cursor"
            : "clock went back",
        );
      }
      wall = wallNow;
      mono = monoNow;
    }
  }
}
