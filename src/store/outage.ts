import { systemClock } from "../core/clock.ts";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import type { Database, Queryable } from "./database.ts";
import { isDatabaseUnavailable } from "./unavailable.ts";

/** A wait for the database that lasted longer than the configured limit. */
export class DatabaseOutageError extends Error {
  override name = "DatabaseOutageError";
  constructor(
    readonly since: Date,
    readonly limitMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `the database has been unreachable since ${since.toISOString()}, longer than ` +
        `collect.max_db_outage_seconds (${Math.round(limitMs / 1000)} s): ${errorMessage(lastError)}. ` +
        "Check that the database server is running and reachable",
    );
  }
}

export interface DatabaseOutageOptions {
  logger: Logger;
  /** How long, from the outage's first failure, an operation keeps waiting for the database. */
  maxOutageMs: number;
  clock?: Clock;
  /**
   * Asked in the background, with backoff, from the first failure until it answers; without it the
   * outage ends when the next operation succeeds. The daemon probes, so its recovery line appears
   * even when nothing else is waiting.
   */
  probe?: () => Promise<unknown>;
  /** First pause between attempts; it doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * What a process knows about its database being away. Whoever hits a connection error notes it
 * here, so a whole process logs one warning when an outage begins and one line when it ends,
 * however many operations failed in between; `retry` waits an outage out, up to `maxOutageMs`.
 */
export class DatabaseOutage {
  readonly maxOutageMs: number;
  readonly #options: DatabaseOutageOptions;
  readonly #clock: Clock;
  readonly #closed = new AbortController();
  #since: Date | null = null;
  #failures = 0;
  #probing: Promise<void> | null = null;

  constructor(options: DatabaseOutageOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.maxOutageMs = options.maxOutageMs;
  }

  /** When the current outage began; null while the database answers. */
  get since(): Date | null {
    return this.#since;
  }

  get active(): boolean {
    return this.#since !== null;
  }

  /** Operations that failed because the database was away, in the current or else the last outage. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Notes a failed operation. True when the error means the database is away (the first such
   * failure of an outage is logged once); false for any other error, which the caller handles.
   */
  noteFailure(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.#since === null) {
      this.#since = this.#clock.now();
      this.#failures = 0;
      this.#options.logger.warn(
        { err: errorMessage(error), giveUpAfterSeconds: Math.round(this.maxOutageMs / 1000) },
        `database unreachable since ${this.#since.toISOString()}, retrying`,
      );
      this.#startProbe();
    }
    this.#failures++;
    return true;
  }

  /**
   * Notes that an operation started at `startedAt` succeeded: the outage, if any began before
   * that, is over. An operation already in flight when the outage began proves nothing.
   */
  noteSuccess(startedAt: Date = this.#clock.now()): void {
    const since = this.#since;
    if (since === null || startedAt < since) return;
    this.#since = null;
    const seconds = Math.round((this.#clock.now().getTime() - since.getTime()) / 100) / 10;
    this.#options.logger.info(
      { since: since.toISOString(), downSeconds: seconds, failedOperations: this.#failures },
      `database reachable again after ${seconds} s`,
    );
  }

  /**
   * Runs `operation`, and while it fails because the database is away, runs it again with backoff.
   * Gives up with DatabaseOutageError once the outage is older than `maxOutageMs` (an outage that
   * already is fails after one attempt). Any other error is thrown as it is.
   */
  async retry<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let delay = this.#options.initialDelayMs ?? 250;
    for (;;) {
      const startedAt = this.#clock.now();
      try {
        const result = await operation();
        this.noteSuccess(startedAt);
        return result;
      } catch (error) {
        if (!this.noteFailure(error)) throw error;
        const since = this.#since ?? startedAt;
        const left = this.maxOutageMs - (this.#clock.now().getTime() - since.getTime());
        if (left <= 0 || signal?.aborted || this.#closed.signal.aborted)
          throw new DatabaseOutageError(since, this.maxOutageMs, error);
        await this.#clock.sleep(Math.min(delay, left), signal);
        delay = Math.min(delay * 2, this.#options.maxDelayMs ?? 2_000);
      }
    }
  }

  #startProbe(): void {
    const probe = this.#options.probe;
    if (!probe || this.#probing || this.#closed.signal.aborted) return;
    this.#probing = (async () => {
      let delay = this.#options.initialDelayMs ?? 250;
      while (this.#since !== null && !this.#closed.signal.aborted) {
        await this.#clock.sleep(delay, this.#closed.signal);
        if (this.#closed.signal.aborted) return;
        const startedAt = this.#clock.now();
        try {
          await probe();
          this.noteSuccess(startedAt);
        } catch (error) {
          // A server that answers with an error is reachable.
          if (!isDatabaseUnavailable(error)) this.noteSuccess(startedAt);
        }
        delay = Math.min(delay * 2, this.#options.maxDelayMs ?? 2_000);
      }
    })().finally(() => {
      this.#probing = null;
    });
  }

  /** Stops the background probe and makes waiting operations give up at their next attempt. */
  async close(): Promise<void> {
    this.#closed.abort();
    await this.#probing;
  }
}

/** The cheapest question that shows the database answers. */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query("SELECT 1");
}

/**
 * The database with every operation waiting out outages through `outage.retry`. A transaction is
 * retried as a whole (the failed attempt was rolled back). A statement whose connection broke after
 * the server committed it but before the answer arrived runs twice, so callers keep their writes
 * idempotent, as chainvault's upserts and COPY-with-conflict-check are.
 */
export function patientDatabase(db: Database, outage: DatabaseOutage): Database {
  const patient: Database = {
    engine: db.engine,
    get timescale() {
      return db.timescale;
    },
    query: (sql, params, options) => outage.retry(() => db.query(sql, params, options)),
    exec: (sql) => outage.retry(() => db.exec(sql)),
    // EncodedRows replay what they produced, so a retried COPY sends the same rows again.
    copyRows: (table, columns, rows) => outage.retry(() => db.copyRows(table, columns, rows)),
    transaction: (work) => outage.retry(() => db.transaction(work)),
    // Only opening it waits: a session's state (advisory locks) does not survive its connection, so its
    // holder must notice the loss (`lost`) rather than have its statements silently run on a new one.
    dedicatedSession: () => outage.retry(() => db.dedicatedSession()),
    refreshCapabilities: () => outage.retry(() => db.refreshCapabilities()),
    close: () => db.close(),
  };
  wrapped.set(patient, underlyingDatabase(db));
  return patient;
}

const wrapped = new WeakMap<Database, Database>();

/**
 * The database a patientDatabase wraps (the database itself otherwise): what keeps per-database state
 * in this process, such as the keys its runs hold on the embedded engine's one session, must key it
 * by the same object however many wrappers there are.
 */
export function underlyingDatabase(db: Database): Database {
  return wrapped.get(db) ?? db;
}
