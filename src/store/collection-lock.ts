import os from "node:os";
import { errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/run-id.ts";
import type { Logger } from "../logger.ts";
import { isAlive } from "./data-dir-lock.ts";
import type { Database, DedicatedSession, Queryable } from "./database.ts";
import { underlyingDatabase } from "./outage.ts";
import type { DatabaseOutage } from "./outage.ts";
import {
  beginReplacement,
  getCollectionRun,
  heartbeatCollectionRuns,
  releaseCollectionRun,
  takeCollectionRun,
} from "./repositories/collection-runs.ts";
import type { CollectionRunRow, RunIdentity } from "./repositories/collection-runs.ts";
import type { CollectionKey } from "./repositories/collection-status.ts";

/**
 * One run per collection (date, symbol, type). Two guards, because each covers what the other cannot:
 *
 * - a session-level advisory lock per key, held on a connection of the run's own: the server drops it
 *   the moment the process dies, so a killed run never blocks the next one (on the embedded engine,
 *   whose one session is shared, an in-process set does this job and the data-directory lock keeps
 *   other processes out);
 * - the owner row in collection_runs (pid, host, heartbeat): it names the holder to whoever is
 *   refused, and it still refuses when the lock alone would not, e.g. after the holder's lock
 *   connection broke while the holder lives on. An owner row is stale when its pid is gone from
 *   this host, or its heartbeat is older than `staleAfterMs`; a stale owner is taken over.
 */

export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_STALE_AFTER_MS = 120_000;

/**
 * How old a heartbeat must be before its run counts as gone, for runs that wait out database outages of up
 * to `maxDbOutageMs`: longer than that wait plus two heartbeats. A run riding out an outage cannot beat
 * (its lock session is gone too); once the database is back it beats again within one interval, or it
 * has given up and writes no more quotes. So a live run is never taken over for an outage it survives.
 */
export function staleAfterMsFor(maxDbOutageMs: number): number {
  return Math.max(DEFAULT_STALE_AFTER_MS, maxDbOutageMs + 2 * DEFAULT_HEARTBEAT_MS);
}

/** Keys held by this process's runs, per database: the embedded engine's one session holds every advisory lock. */
const heldInProcess = new WeakMap<Database, Map<string, string>>();

function processHeld(db: Database): Map<string, string> {
  const base = underlyingDatabase(db);
  let held = heldInProcess.get(base);
  if (!held) heldInProcess.set(base, (held = new Map()));
  return held;
}

function lockName(key: CollectionKey): string {
  return `chainvault:collection:${key.collectionDate}:${key.symbol}:${key.collectionType}`;
}

async function tryAdvisoryLock(session: Queryable, name: string): Promise<boolean> {
  const result = await session.query<{ locked: boolean }>(
    "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked",
    [name],
  );
  return result.rows[0]?.locked === true;
}

async function advisoryUnlock(session: Queryable, name: string): Promise<void> {
  await session.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [name]);
}

/** The run that holds a key: what a refused run reports. */
export type CollectionOwner = CollectionRunRow;

export type Claim =
  | {
      held: true;
      lease: CollectionLease;
      /** The stale owner this claim took over, if any. */
      tookOver: CollectionOwner | null;
    }
  | {
      held: false;
      /** The holder, or null when it is between taking the lock and writing its row. */
      owner: CollectionOwner | null;
    };

/** The key was taken over by another run (this run was judged stale): its results must not be recorded. */
export class CollectionTakenOverError extends Error {
  override name = "CollectionTakenOverError";
  constructor(key: CollectionKey) {
    super(
      `${key.symbol} ${key.collectionType} ${key.collectionDate} was taken over by another run while this one ` +
        "held it (its heartbeat went stale); this run's result is not recorded",
    );
  }
}

export interface CollectionLocksOptions {
  logger?: Logger;
  /** A heartbeat that fails because the database is away is noted there (one warning per outage). */
  outage?: DatabaseOutage;
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** The run's correlation id (see core/run-id.ts); a new one when absent. */
  runId?: string;
}

/** The right to run one collection key, until `unlock`. */
export class CollectionLease {
  #unlocked = false;

  constructor(
    private readonly locks: CollectionLocks,
    readonly key: CollectionKey,
    /** Gateway time before which the key's rows are the old snapshot of a pending replacement. */
    public replacingBefore: Date | null,
  ) {}

  get runId(): string {
    return this.locks.identity.runId;
  }

  /**
   * Whether this run still owns the key by its owner row, asked of `db` (the database without waiting, after
   * an outage): false once another run took it over.
   */
  async stillHeld(db: Queryable = this.locks.db): Promise<boolean> {
    const row = await getCollectionRun(db, this.key);
    return row !== null && row.runId === this.runId && row.releasedAt === null;
  }

  /** Records that rows from `before` on replace the older ones; must precede the first new row. */
  async beginReplacement(before: Date): Promise<void> {
    if (!(await beginReplacement(this.locks.db, this.key, this.runId, before))) {
      throw new CollectionTakenOverError(this.key);
    }
    this.replacingBefore = before;
  }

  /**
   * Marks the key released inside the caller's transaction (the one that records the status), so the
   * status, the old snapshot's deletion and the release commit together. Throws
   * CollectionTakenOverError, rolling that transaction back, when another run took the key over.
   */
  async markReleased(tx: Queryable, replacementDone: boolean): Promise<void> {
    if (!(await releaseCollectionRun(tx, this.key, this.runId, replacementDone))) {
      throw new CollectionTakenOverError(this.key);
    }
  }

  /**
   * Gives the key up (a pending replacement stays for the next run to finish). Releases the owner row
   * too unless markReleased's transaction committed that already (it may have rolled back). Never throws.
   */
  async unlock(): Promise<void> {
    if (this.#unlocked) return;
    this.#unlocked = true;
    await releaseCollectionRun(this.locks.db, this.key, this.runId, false).catch((error: unknown) =>
      this.locks.logger?.warn(
        { symbol: this.key.symbol, err: errorMessage(error) },
        "could not mark the collection released; the next run will find it stale and take it over",
      ),
    );
    await this.locks.forget(this);
  }
}

/** One run's locks: its identity, its dedicated session, its heartbeat. Open one per run; close it at the end. */
export class CollectionLocks {
  readonly identity: RunIdentity;
  readonly #held = new Map<string, CollectionLease>();
  readonly #heartbeatMs: number;
  readonly #staleAfterMs: number;
  #session: DedicatedSession;
  #timer: NodeJS.Timeout | undefined;
  #beating = false;
  #heartbeatFailing = false;
  readonly #outage: DatabaseOutage | undefined;

  private constructor(
    readonly db: Database,
    session: DedicatedSession,
    readonly logger: Logger | undefined,
    options: CollectionLocksOptions,
  ) {
    this.identity = { runId: options.runId ?? newRunId(), pid: process.pid, host: os.hostname() };
    this.#session = session;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#outage = options.outage;
  }

  static async open(db: Database, options: CollectionLocksOptions = {}): Promise<CollectionLocks> {
    const locks = new CollectionLocks(db, await db.dedicatedSession(), options.logger, options);
    locks.#timer = setInterval(() => void locks.heartbeat(), locks.#heartbeatMs);
    locks.#timer.unref();
    return locks;
  }

  /** Takes the key unless a live run holds it; a stale holder is taken over. */
  async claim(key: CollectionKey): Promise<Claim> {
    const name = lockName(key);
    const inProcess = processHeld(this.db);
    if (inProcess.has(name)) return { held: false, owner: await getCollectionRun(this.db, key) };
    // Reserved before the first await: two runs of this process cannot both pass the check above.
    inProcess.set(name, this.identity.runId);
    let locked = false;
    try {
      const session = await this.liveSession();
      locked = await tryAdvisoryLock(session, name);
      if (!locked) return this.refuse(name, await getCollectionRun(this.db, key), false);
      const current = await getCollectionRun(this.db, key);
      const holder = current !== null && current.releasedAt === null ? current : null;
      if (holder !== null && !this.isStale(holder)) return this.refuse(name, holder, true);
      const taken = await takeCollectionRun(this.db, key, this.identity, current?.runId ?? null);
      if (taken === null) return this.refuse(name, await getCollectionRun(this.db, key), true);
      const lease = new CollectionLease(this, key, taken.replacingBefore);
      this.#held.set(name, lease);
      if (holder !== null) {
        this.logger?.warn(
          { symbol: key.symbol, date: key.collectionDate, type: key.collectionType, ...ownerFields(holder) },
          "took over a collection whose run is gone (process not running or heartbeat expired)",
        );
      }
      return { held: true, lease, tookOver: holder };
    } catch (error) {
      inProcess.delete(name);
      if (locked) await advisoryUnlock(this.#session, name).catch(() => undefined);
      throw error;
    }
  }

  /** Releases every key still held and ends the session. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const lease of [...this.#held.values()]) await lease.unlock();
    await this.#session.close();
  }

  /** @internal Called by CollectionLease.unlock. */
  async forget(lease: CollectionLease): Promise<void> {
    const name = lockName(lease.key);
    if (this.#held.get(name) !== lease) return;
    this.#held.delete(name);
    processHeld(this.db).delete(name);
    if (this.#session.lost) return;
    await advisoryUnlock(this.#session, name).catch((error: unknown) =>
      this.logger?.debug({ err: errorMessage(error) }, "advisory unlock failed; the session ends anyway"),
    );
  }

  private async refuse(name: string, owner: CollectionOwner | null, locked: boolean): Promise<Claim> {
    processHeld(this.db).delete(name);
    if (locked) await advisoryUnlock(this.#session, name).catch(() => undefined);
    return { held: false, owner: owner !== null && owner.releasedAt === null ? owner : null };
  }

  /** Not held by a run of this process (checked before), so an owner with our pid is a previous process's (PID 1 in a container). */
  private isStale(owner: CollectionOwner): boolean {
    if (owner.host === this.identity.host && (owner.pid === process.pid || !isAlive(owner.pid))) return true;
    return owner.heartbeatAgeMs > this.#staleAfterMs;
  }

  /** The dedicated session, reopened (with the held keys' locks taken again) if its connection broke. */
  private async liveSession(): Promise<DedicatedSession> {
    if (!this.#session.lost) return this.#session;
    await this.#session.close();
    this.#session = await this.db.dedicatedSession();
    for (const [name, lease] of this.#held) {
      if (!(await tryAdvisoryLock(this.#session, name))) {
        this.logger?.error(
          { symbol: lease.key.symbol, date: lease.key.collectionDate, type: lease.key.collectionType },
          "lost the collection's lock with the database connection and another run holds it now",
        );
      }
    }
    return this.#session;
  }

  private async heartbeat(): Promise<void> {
    if (this.#beating || this.#held.size === 0) return;
    this.#beating = true;
    try {
      const session = await this.liveSession();
      const holding = await heartbeatCollectionRuns(session, this.identity.runId);
      if (this.#heartbeatFailing) this.logger?.info("collection heartbeat recorded again");
      this.#heartbeatFailing = false;
      if (holding < this.#held.size) {
        this.logger?.warn(
          { held: this.#held.size, recorded: holding },
          "another run took over a collection this run holds; its result will not be recorded",
        );
      }
    } catch (error) {
      if (this.#outage?.noteFailure(error)) return;
      if (!this.#heartbeatFailing) {
        this.logger?.warn(
          { err: errorMessage(error) },
          "could not record the collection heartbeat; retrying while the run goes on",
        );
      }
      this.#heartbeatFailing = true;
    } finally {
      this.#beating = false;
    }
  }
}

/** Log fields naming an owner. */
export function ownerFields(owner: CollectionOwner): Record<string, unknown> {
  return {
    ownerPid: owner.pid,
    ownerHost: owner.host,
    ownerStartedAt: owner.startedAt.toISOString(),
    heartbeatAgeS: Math.round(owner.heartbeatAgeMs / 1000),
  };
}
