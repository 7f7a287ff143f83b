import { createHash } from "node:crypto";
import { PgBoss, fromPglite } from "pg-boss";
import type { ConstructorOptions, Job, PGliteLike } from "pg-boss";
import type { PartJob } from "../core/collection.ts";
import type { Logger } from "../logger.ts";
import type { DatabaseOutage } from "../store/outage.ts";

/**
 * The durable slot queue: pg-boss on whichever engine chainvault runs on. A server is reached
 * through its connection string (pg-boss keeps a small pool of its own); the embedded engine
 * through pg-boss's PGlite adapter over the very instance chainvault stores into, so one code
 * path serves both.
 */
export type QueueConnection = { url: string } | { pglite: PGliteLike };

/** What one scheduled slot asks the workers to do. Plain JSON: it is stored in the job row. */
export interface SlotJob {
  /** `type:symbol:date`, symbol `*` for slots that are not about one underlying. */
  key: string;
  type: string;
  symbol: string | null;
  /** The trading date (New York) the slot belongs to. */
  date: string;
  /** When the plan wanted it to run (ISO 8601, UTC). */
  at: string;
  /** The last instant it may still run (ISO 8601, UTC); later it is recorded as missed. */
  validUntil: string;
  note?: string | null;
}

export interface SlotQueueOptions {
  connection: QueueConnection;
  logger: Logger;
  /** Where pg-boss's connection failures go instead of the log: one warning per outage, not one per poll. */
  outage?: DatabaseOutage;
  /** Schema pg-boss installs into; separate from chainvault's tables. */
  schema?: string;
  /** Attempts after the first before a job is dead-lettered. */
  retryLimit?: number;
  /** First retry delay; doubles (with jitter) on each further attempt. */
  retryDelaySeconds?: number;
  retryDelayMaxSeconds?: number;
  /**
   * A silent (killed) worker loses its job this long after its last heartbeat; a live one refreshes it
   * every half of it. Default DEFAULT_HEARTBEAT_SECONDS; pg-boss's minimum is 10.
   */
  heartbeatSeconds?: number;
  /** Upper bound on one run, however alive its worker is. */
  expireInSeconds?: number;
  pollingIntervalSeconds?: number;
  /** How often pg-boss looks for claims lost to a dead worker; default half the heartbeat. */
  superviseIntervalSeconds?: number;
}

/** Collections share the one IB connection; everything else is bookkeeping on the database. */
export const COLLECT_QUEUE = "chainvault.collect";
export const MAINTAIN_QUEUE = "chainvault.maintain";
export const DEAD_LETTER_QUEUE = "chainvault.dead";
export const WORK_QUEUES = [COLLECT_QUEUE, MAINTAIN_QUEUE] as const;
export type WorkQueue = (typeof WORK_QUEUES)[number];
export type { PartJob };
/**
 * The parts of split collections (src/collect/split.ts): taken by whichever process has a free gateway. Apart
 * from the work queues, so a daemon without splitting never waits for it, and without a dead-letter queue: a
 * part whose retries ran out is recorded failed in collection_parts, where its collection's outcome is read.
 */
export const PARTS_QUEUE = "chainvault.parts";

export type PartHandler = (
  part: PartJob,
  job: { id: string; retryCount: number; signal: AbortSignal },
) => Promise<void>;

/**
 * The job id is derived from the slot key, so a second `send` of the same slot - from a restart,
 * a clock jump or another daemon - collides on pg-boss's primary key and inserts nothing, for as
 * long as the job row is kept (completed jobs are never deleted, see `deleteAfterSeconds`).
 */
export function jobIdFor(key: string): string {
  const hex = createHash("sha256").update(`chainvault-slot:${key}`).digest("hex");
  // Shaped as a version-5-style UUID so pg-boss's uuid column accepts it.
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * How long a killed daemon's job stays claimed. pg-boss fails an active job once its heartbeat is
 * `heartbeatSeconds` old, checked every `superviseIntervalSeconds`; the heartbeat is refreshed every
 * half of it. With 30 s and a check every 15 s, the job of a worker killed at t is handed back between
 * t+15 s and t+45 s, then waits its retry delay (retry_delay_seconds, doubling with jitter) before a
 * live daemon runs it: about a minute plus the backoff, against 60-120 s plus backoff at 60 s / 30 s.
 * Shorter would cost little (one heartbeat write per job every 15 s) but take jobs from daemons whose event loop
 * merely stalled; the run lock keeps even that from duplicating rows.
 */
export const DEFAULT_HEARTBEAT_SECONDS = 30;

/** The heartbeat check runs twice per heartbeat: a lost claim is noticed at most 1.5 heartbeats late. */
export function superviseSecondsFor(heartbeatSeconds: number): number {
  return Math.max(1, Math.floor(heartbeatSeconds / 2));
}

export type SlotHandler = (
  slot: SlotJob,
  job: { id: string; retryCount: number; signal: AbortSignal },
) => Promise<void>;

function heartbeatOf(seconds: number | undefined): number {
  return Math.max(10, seconds ?? DEFAULT_HEARTBEAT_SECONDS);
}

export class SlotQueue {
  readonly #boss: PgBoss;
  readonly #logger: Logger;
  readonly #options: SlotQueueOptions;
  #stopped = false;
  readonly #workers: string[] = [];

  private constructor(boss: PgBoss, options: SlotQueueOptions) {
    this.#boss = boss;
    this.#logger = options.logger;
    this.#options = options;
  }

  /** Starts pg-boss (installing or migrating its schema) and creates the queues. */
  static async open(options: SlotQueueOptions): Promise<SlotQueue> {
    const supervise =
      options.superviseIntervalSeconds ?? superviseSecondsFor(heartbeatOf(options.heartbeatSeconds));
    const common: ConstructorOptions = {
      schema: options.schema ?? "pgboss",
      // Expiry of lost claims runs in the monitor pass, which needs both timers.
      superviseIntervalSeconds: supervise,
      monitorIntervalSeconds: supervise,
      // The daemon plans its own slots in exchange time; pg-boss's cron is not used.
      schedule: false,
      openTelemetry: { enabled: false },
    };
    const boss =
      "url" in options.connection
        ? new PgBoss({ ...common, connectionString: options.connection.url, max: 3 })
        : new PgBoss({ ...common, db: fromPglite(options.connection.pglite), backend: "pglite" });
    boss.on("error", (error: unknown) => {
      if (options.outage?.noteFailure(error)) return;
      options.logger.error({ err: error }, "job queue error");
    });
    await boss.start();
    const queue = new SlotQueue(boss, options);
    await queue.#createQueues();
    return queue;
  }

  async #createQueues(): Promise<void> {
    const existing = new Set((await this.#boss.getQueues()).map((queue) => queue.name));
    // The dead-letter queue must exist before a queue can name it.
    if (!existing.has(DEAD_LETTER_QUEUE)) {
      await this.#boss.createQueue(DEAD_LETTER_QUEUE, {
        deleteAfterSeconds: 0,
        retentionSeconds: 365 * 86400,
      });
    }
    const options = {
      retryLimit: this.#options.retryLimit ?? 4,
      retryDelay: this.#options.retryDelaySeconds ?? 60,
      retryBackoff: true,
      retryDelayMax: this.#options.retryDelayMaxSeconds ?? 1800,
      heartbeatSeconds: heartbeatOf(this.#options.heartbeatSeconds),
      expireInSeconds: this.#options.expireInSeconds ?? 4 * 3600,
      // Never delete finished jobs: their ids are what make a re-send a no-op.
      deleteAfterSeconds: 0,
      retentionSeconds: 14 * 86400,
      deadLetter: DEAD_LETTER_QUEUE,
    };
    // One active job per slot key: a recovery job queued by the gap check waits while the
    // original runs (and then finds the slot done), on one daemon or several.
    const policy = "singleton" as const;
    for (const name of WORK_QUEUES) {
      if (existing.has(name)) await this.#boss.updateQueue(name, options);
      else await this.#boss.createQueue(name, { ...options, policy });
    }
    const { deadLetter: _none, ...partOptions } = options;
    if (existing.has(PARTS_QUEUE)) await this.#boss.updateQueue(PARTS_QUEUE, partOptions);
    else await this.#boss.createQueue(PARTS_QUEUE, { ...partOptions, policy });
  }

  /** The retries a part gets after its first attempt (the queue's retry limit). */
  get retryLimit(): number {
    return this.#options.retryLimit ?? 4;
  }

  /** Queues a part once per plan: its id derives from the part key and the plan, so a re-send is a no-op. */
  async enqueuePart(part: PartJob): Promise<boolean> {
    const id = await this.#boss.send(
      PARTS_QUEUE,
      { ...part },
      { id: jobIdFor(`part:${part.key}@${part.planId}`), singletonKey: part.key },
    );
    return id !== null;
  }

  /** The state of a part's job (created, retry, active, completed, failed, …), or null when none was queued. */
  async partJobState(part: PartJob): Promise<string | null> {
    const [job] = await this.#boss.findJobs(PARTS_QUEUE, { id: jobIdFor(`part:${part.key}@${part.planId}`) });
    return job?.state ?? null;
  }

  /** Takes parts, one at a time, until offWorkParts: returns the registration to give back. */
  async workParts(handler: PartHandler): Promise<string> {
    const workerId = await this.#boss.work<PartJob>(
      PARTS_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 0.5 },
      async (jobs: Job<PartJob>[]) => {
        for (const job of jobs)
          await handler(job.data, { id: job.id, retryCount: job.retryCount ?? 0, signal: job.signal });
      },
    );
    this.#workers.push(workerId);
    return workerId;
  }

  /** Stops taking parts (a part in flight finishes first). */
  async offWorkParts(workerId: string): Promise<void> {
    const at = this.#workers.indexOf(workerId);
    if (at >= 0) this.#workers.splice(at, 1);
    if (!this.#stopped) await this.#boss.offWork(PARTS_QUEUE, { id: workerId, wait: true });
  }

  /** Queues a slot once; false when a job for this key already exists (queued, running or done). */
  async enqueue(queue: WorkQueue, slot: SlotJob): Promise<boolean> {
    const id = await this.#boss.send(queue, { ...slot }, { id: jobIdFor(slot.key), singletonKey: slot.key });
    if (id === null) this.#logger.debug({ slot: slot.key }, "slot already queued or done");
    return id !== null;
  }

  /**
   * Queues one more attempt at a slot whose first job is finished but which is still not
   * collected (the gap check's recovery). `attempt` names it, so each recovery is itself queued once.
   */
  async enqueueRecovery(queue: WorkQueue, slot: SlotJob, attempt: string): Promise<boolean> {
    const id = await this.#boss.send(
      queue,
      { ...slot },
      { id: jobIdFor(`${slot.key}#${attempt}`), singletonKey: slot.key },
    );
    return id !== null;
  }

  /** The state of a slot's original job: created, retry, active, completed, cancelled, failed, or null. */
  async jobState(queue: WorkQueue, key: string): Promise<string | null> {
    const [job] = await this.#boss.findJobs(queue, { id: jobIdFor(key) });
    return job?.state ?? null;
  }

  /** Registers this process as a worker: one job at a time per queue. */
  async work(queue: WorkQueue, handler: SlotHandler): Promise<void> {
    const workerId = await this.#boss.work<SlotJob>(
      queue,
      { batchSize: 1, pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2 },
      async (jobs: Job<SlotJob>[]) => {
        for (const job of jobs) {
          // pg-boss aborts job.signal when the claim is gone (heartbeat lost, expired, shut down).
          await handler(job.data, { id: job.id, retryCount: job.retryCount ?? 0, signal: job.signal });
        }
      },
    );
    this.#workers.push(workerId);
  }

  /** Registers a worker on the dead-letter queue: it sees each slot whose retries ran out, once. */
  async workDeadLetters(handler: (slot: SlotJob) => Promise<void>): Promise<void> {
    const workerId = await this.#boss.work<SlotJob>(
      DEAD_LETTER_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2 },
      async (jobs: Job<SlotJob>[]) => {
        for (const job of jobs) await handler(job.data);
      },
    );
    this.#workers.push(workerId);
  }

  /** Makes this process's workers look for jobs now instead of at their next poll. */
  wake(): void {
    if (this.#stopped) return;
    for (const id of this.#workers) this.#boss.notifyWorker(id);
  }

  /** Jobs not yet finished (queued, waiting to retry, or running) across the work queues. */
  async unfinished(): Promise<number> {
    let total = 0;
    for (const name of WORK_QUEUES) {
      const jobs = await this.#boss.findJobs(name, { queued: true });
      total += jobs.length;
      const all = await this.#boss.findJobs(name);
      total += all.filter((job) => job.state === "active").length;
    }
    return total;
  }

  /**
   * Whether pg-boss answers over its own connection (a server: its pool, not chainvault's), with the work
   * queues' job counts as its last monitor pass saw them. Throws when it does not answer or was stopped.
   */
  async health(): Promise<{ queued: number; active: number }> {
    if (this.#stopped) throw new Error("the job queue was stopped");
    const queues = await this.#boss.getQueues([...WORK_QUEUES]);
    let queued = 0;
    let active = 0;
    for (const queue of queues) {
      queued += queue.queuedCount;
      active += queue.activeCount;
    }
    return { queued, active };
  }

  /** Jobs that exhausted their retries, newest last. */
  async deadLetters(): Promise<SlotJob[]> {
    const jobs = await this.#boss.findJobs<SlotJob>(DEAD_LETTER_QUEUE);
    return jobs.map((job) => job.data);
  }

  /**
   * Graceful: stop fetching, wait up to `timeoutMs` for the run in flight, then hand anything still
   * running back to the queue (it is retried, and the collector resumes where it stopped).
   * Abrupt: used by tests to model a killed process; nothing is waited for or handed back.
   */
  async stop(options: { graceful: boolean; timeoutMs?: number }): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#boss.stop({ graceful: options.graceful, timeout: options.timeoutMs ?? 30_000, close: true });
  }
}
