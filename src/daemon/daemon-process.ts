import { randomBytes } from "node:crypto";
import os from "node:os";
import { slotsBetween } from "../schedule/index.ts";
import type { PlanOptions } from "../schedule/index.ts";
import type { Database } from "../store/database.ts";
import { patientDatabase } from "../store/outage.ts";
import type { DatabaseOutage } from "../store/outage.ts";
import { DEFAULT_MAX_OUTAGE_MS, watchOutages } from "./engine.ts";
import type { Logger } from "../logger.ts";
import { systemClock } from "../core/clock.ts";
import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { recordInstall } from "../store/repositories/install.ts";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { RunOutcome } from "../store/repositories/daemon-slot-runs.ts";
import { handleSlot, recordSlotDeadLetter, SlotInterrupted } from "./handlers.ts";
import type { Collect, Discover, HandlerDeps } from "./handlers.ts";
import { readScheduleHealth } from "./health.ts";
import type { ScheduleHealth } from "./health.ts";
import { SlotQueue, WORK_QUEUES } from "./queue.ts";
import type { QueueConnection, SlotJob, SlotQueueOptions } from "./queue.ts";
import { Scheduler } from "./scheduler.ts";
import { PartWorker } from "./part-worker.ts";
import type { Config } from "../config/schema.ts";
import type { TickResult } from "./scheduler.ts";
import { toJob } from "./slots.ts";
import type { Plan } from "./slots.ts";
import { slotStatus } from "./ledger.ts";

function passSlotOf(slot: SlotJob): Omit<PassSlot, "outcome"> {
  return { key: slot.key, type: slot.type, symbol: slot.symbol, date: slot.date };
}

/** Whether every promise settles within `ms` (never rejects). */
async function settledWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The plan of src/schedule as the daemon consumes it: slots with `from < at <= to`. */
export function planFromSchedule(options: PlanOptions): Plan {
  return (from, to) => slotsBetween(new Date(from.getTime() + 1), new Date(to.getTime() + 1), options);
}

export interface DaemonOptions {
  db: Database;
  queue: QueueConnection;
  plan: Plan;
  clock: Clock;
  logger: Logger;
  symbols: string[];
  gapCheckDays: number;
  /** The plan's zone, recorded in the status rows the daemon writes. */
  zone?: string;
  collect: Collect;
  discover?: Discover;
  openHistorical?: HandlerDeps["openHistorical"];
  historicalFillLimit?: number;
  /** Names this process in daemon_slot_runs; default host:pid:random. */
  daemonId?: string;
  queueOptions?: Omit<SlotQueueOptions, "connection" | "logger">;
  tickMs?: number;
  firstStartLookbackMs?: number;
  /** Whether to run the scheduler loop (false: the caller calls `scheduler.tick()` itself). */
  loop?: boolean;
  /**
   * The process's record of database outages, shared with its collector (see `watchOutages`), so an
   * outage is one warning and one recovery line for the whole daemon. One is made when absent.
   */
  outage?: DatabaseOutage;
  /** The `quality:` settings for the bookkeeping rules (gap check, expiry); default: the defaults. */
  quality?: HandlerDeps["quality"];
  /** The `backup` slot's work (see HandlerDeps.backup). */
  backup?: HandlerDeps["backup"];
  /** The monthly archive slot's target and retention.keep_days. */
  archive?: HandlerDeps["archive"];
  /**
   * Where slot outcomes are reported (`slot_finished`: completed, partial, failed, dead_lettered, missed…) for
   * alerts and metrics to observe; the collector reports to its own sink (see collectWithGateway).
   */
  events?: EventSink;
  /**
   * Take parts of split collections too (config collect.split), with the configuration's first gateway: a
   * daemon is one of the fleet's workers. Absent: it takes none.
   */
  parts?: { config: Config };
}

/** What one slot came to in a `runDue` pass: the outcome of its last attempt in this process. */
export interface PassSlot {
  key: string;
  type: string;
  symbol: string | null;
  date: string;
  outcome: RunOutcome;
  error?: string;
}

export interface PassResult extends TickResult {
  /** Every slot this process's workers ran during the pass, with its last outcome. */
  ran: PassSlot[];
  /**
   * Slots whose data is lost or at risk: retries exhausted (dead-lettered), or their window closed before they
   * ran (missed, also when the tick found them so). A slot another daemon recovered is not among them.
   */
  failed: PassSlot[];
}

export interface DaemonHealth extends ScheduleHealth {
  daemonId: string;
  running: boolean;
  lastTick: { at: string; queued: number; missed: number } | null;
  inFlight: string[];
}

/**
 * The long-running process: a scheduler that turns the plan into jobs, and workers that run them.
 * Several daemons may share one database; the job ids, pg-boss's per-key singleton policy and the
 * status guard in the handler make each slot run once among all of them.
 */
export class Daemon {
  readonly scheduler: Scheduler;
  readonly queue: SlotQueue;
  readonly daemonId: string;
  readonly #options: DaemonOptions;
  readonly #abort = new AbortController();
  /** Aborted by stop(): the collections in flight take no further contract. kill() leaves it alone. */
  readonly #stopRuns = new AbortController();
  readonly #inFlight = new Set<string>();
  readonly #outage: DatabaseOutage;
  readonly #ownsOutage: boolean;
  #parts: PartWorker | null = null;
  /** The handlers running now, so stop() can wait for them before the caller closes the database. */
  readonly #runs = new Set<Promise<unknown>>();
  #loop: Promise<void> | null = null;
  #running = true;
  /** Outcomes by slot key while a `runDue` pass is on; null otherwise, so the loop keeps nothing. */
  #pass: Map<string, PassSlot> | null = null;

  private constructor(options: DaemonOptions, queue: SlotQueue, daemonId: string, outage: DatabaseOutage) {
    this.#options = options;
    this.queue = queue;
    this.daemonId = daemonId;
    this.#outage = outage;
    this.#ownsOutage = options.outage === undefined;
    this.scheduler = new Scheduler({
      db: options.db,
      queue,
      plan: options.plan,
      clock: options.clock,
      logger: options.logger,
      outage,
      ...(options.zone === undefined ? {} : { zone: options.zone }),
      tickMs: options.tickMs,
      firstStartLookbackMs: options.firstStartLookbackMs,
      events: options.events ?? discardEvents,
    });
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemonId = options.daemonId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    const outage = options.outage ?? watchOutages(options.db, options.logger, DEFAULT_MAX_OUTAGE_MS);
    // The first daemon on a database marks chainvault's start there, by its clock: nothing planned earlier was due.
    await recordInstall(options.db, options.clock.now(), "daemon");
    const events = options.events ?? discardEvents;
    const queue = await SlotQueue.open({
      ...options.queueOptions,
      connection: options.queue,
      logger: options.logger,
      outage,
    });
    const daemon = new Daemon(options, queue, daemonId, outage);
    // The handlers' bookkeeping waits an outage out instead of failing the slot at its first query.
    const db = patientDatabase(options.db, outage);
    for (const name of WORK_QUEUES) {
      await queue.work(name, async (slot, job) => {
        daemon.#inFlight.add(slot.key);
        const run = handleSlot(slot, job, {
          db,
          queue,
          plan: options.plan,
          clock: options.clock,
          logger: options.logger,
          daemonId,
          symbols: options.symbols,
          gapCheckDays: options.gapCheckDays,
          ...(options.zone === undefined ? {} : { zone: options.zone }),
          collect: options.collect,
          discover: options.discover,
          openHistorical: options.openHistorical,
          historicalFillLimit: options.historicalFillLimit,
          quality: options.quality,
          backup: options.backup,
          archive: options.archive,
          signal: AbortSignal.any([daemon.#stopRuns.signal, job.signal]),
          events,
        });
        daemon.#runs.add(run);
        try {
          const outcome = await run;
          daemon.#pass?.set(slot.key, { ...passSlotOf(slot), outcome });
        } catch (error) {
          daemon.#pass?.set(slot.key, {
            ...passSlotOf(slot),
            outcome: error instanceof SlotInterrupted ? "interrupted" : "failed",
            error: errorMessage(error),
          });
          throw error;
        } finally {
          daemon.#runs.delete(run);
          daemon.#inFlight.delete(slot.key);
        }
      });
    }
    await queue.workDeadLetters((slot) => recordSlotDeadLetter(slot, { db, logger: options.logger, events }));
    if (options.parts) {
      daemon.#parts = new PartWorker({
        db: options.db,
        config: options.parts.config,
        logger: options.logger,
        events,
        queue,
      });
      daemon.#parts.start();
    }
    if (options.loop !== false) daemon.#loop = daemon.scheduler.run(daemon.#abort.signal);
    options.logger.info({ daemonId }, "daemon started");
    return daemon;
  }

  /** Health for a status command or an HTTP endpoint: last slot run, next slot due. */
  async health(): Promise<DaemonHealth> {
    const tick = this.scheduler.lastTick;
    return {
      ...(await readScheduleHealth(this.#options.db, this.#options.plan, this.#options.clock.now())),
      daemonId: this.daemonId,
      running: this.#running,
      lastTick: tick
        ? { at: tick.to.toISOString(), queued: tick.queued.length, missed: tick.missed.length }
        : null,
      inFlight: [...this.#inFlight],
    };
  }

  /**
   * One pass instead of the loop (`chainvault daemon --once`, for cron): plans what is due now and
   * returns once the queue has nothing left to run (retries included), or early when `signal` aborts,
   * with what each slot came to. The caller still stops the daemon, which is what hands a run cut
   * short back to the queue.
   */
  async runDue(signal: AbortSignal, pollMs = 1000): Promise<PassResult> {
    const pass = new Map<string, PassSlot>();
    this.#pass = pass;
    try {
      // A database outage is waited out (up to its limit, then DatabaseOutageError), not a failed pass.
      const tick = await this.#outage.retry(() => this.scheduler.tick(), signal);
      this.#options.logger.info(
        { queued: tick.queued.length, missed: tick.missed.length },
        "planned what is due now",
      );
      // The queue drains in real time whatever clock plans the slots, so the wait uses the system clock.
      while (!signal.aborted && (await this.#outage.retry(() => this.queue.unfinished(), signal)) > 0)
        await systemClock.sleep(pollMs, signal);
      const ran = [...pass.values()];
      const failed: PassSlot[] = tick.missed.map((slot) => ({
        ...passSlotOf(toJob(slot)),
        outcome: "missed",
        error: `its window closed at ${slot.validUntil.toISOString()} before it ran`,
      }));
      for (const entry of ran) {
        if (entry.outcome === "missed") failed.push(entry);
        // Once the queue is drained a failed last attempt had no retry left; cut short by a stop, it may still.
        else if (entry.outcome === "failed" && !signal.aborted && !(await this.#recoveredElsewhere(entry)))
          failed.push(entry);
      }
      return { ...tick, ran, failed };
    } finally {
      this.#pass = null;
    }
  }

  /** Whether the slot's data is in after all: a second daemon on the database ran its retry. */
  async #recoveredElsewhere(slot: PassSlot): Promise<boolean> {
    const status = await slotStatus(this.#options.db, slot);
    return status === "completed" || status === "partial";
  }

  get inFlight(): readonly string[] {
    return [...this.#inFlight];
  }

  /**
   * SIGTERM/SIGINT: stop planning and fetching, and stop the collection in flight from taking further
   * contracts; it writes what arrived, records its status as interrupted and hands its job back to the
   * queue (retried after its backoff, resuming from what it stored). Resolves true once every handler
   * has returned, false when one is still running after `graceMs` (pg-boss has then failed its job
   * back to the queue). Until it resolves true, the caller must not close the database.
   */
  async stop(graceMs = 60_000, reason = "a stop request"): Promise<boolean> {
    if (!this.#running) return this.#runs.size === 0;
    this.#running = false;
    const deadline = Date.now() + graceMs;
    this.#abort.abort();
    this.#stopRuns.abort(reason);
    await this.#loop;
    // A part in flight goes back to the queue: another worker resumes it.
    await this.#parts?.stop(reason);
    const inFlight = [...this.#inFlight];
    if (inFlight.length > 0)
      this.#options.logger.info({ inFlight, graceMs }, "stopping the run in flight: no further contracts");
    await this.queue.stop({ graceful: true, timeoutMs: graceMs });
    const finished = await settledWithin([...this.#runs], deadline - Date.now());
    if (this.#ownsOutage) await this.#outage.close();
    if (finished) this.#options.logger.info({ daemonId: this.daemonId }, "daemon stopped");
    else
      this.#options.logger.error(
        { daemonId: this.daemonId, inFlight: [...this.#inFlight], graceMs },
        "the run in flight did not stop within the grace period; its job was handed back to the queue",
      );
    return finished;
  }

  /** Tests only: stop as a killed process would, without waiting for anything in flight. */
  async kill(): Promise<void> {
    this.#running = false;
    this.#abort.abort();
    void this.#parts?.stop("killed");
    await this.queue.stop({ graceful: false });
    if (this.#ownsOutage) await this.#outage.close();
  }
}
