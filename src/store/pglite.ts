import type { Database, DedicatedSession, Engine, Queryable, QueryResult } from "./database.ts";
import { copyTarget, encodeCopySource } from "./copy-text.ts";
import { RESULT_PARSERS } from "./type-parsers.ts";

/**
 * What the adapter needs from a PGlite instance. Structural, so the same adapter wraps the official
 * `@electric-sql/pglite` and, in tests only, the TimescaleDB build of it.
 */
interface PgliteResults {
  rows: unknown[];
  affectedRows?: number;
  rowCount?: number;
}
interface PgliteQueryOptions {
  parsers?: Record<number, (text: string, typeId: number) => unknown>;
  blob?: Blob;
}
export interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: PgliteQueryOptions): Promise<PgliteResults>;
  exec(sql: string, options?: PgliteQueryOptions): Promise<unknown>;
}
export interface PgliteLike extends PgliteQueryable {
  transaction<T>(work: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const QUERY_OPTIONS: PgliteQueryOptions = { parsers: RESULT_PARSERS };

function rowCountOf(result: PgliteResults): number {
  return result.rowCount ?? (result.affectedRows || result.rows.length);
}

/** Bytes of COPY text loaded since the last WAL check; shared by the instance and its transactions. */
interface WalState {
  copiedBytes: number;
}

function session(pg: PgliteQueryable, wal: WalState): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await pg.query(sql, [...params], QUERY_OPTIONS);
      return { rows: result.rows as Row[], rowCount: rowCountOf(result) };
    },
    async exec(sql: string): Promise<void> {
      await pg.exec(sql, QUERY_OPTIONS);
    },
    async copyRows(table, columns, rows): Promise<number> {
      // PGlite reads COPY input from a Blob handed over as the virtual file /dev/blob.
      const encoded = encodeCopySource(rows);
      if (encoded.count === 0) return 0;
      const parts = [...encoded];
      for (const part of parts) wal.copiedBytes += part.length;
      await pg.query(`COPY ${copyTarget(table, columns)} FROM '/dev/blob'`, [], {
        ...QUERY_OPTIONS,
        blob: new Blob(parts),
      });
      return encoded.count;
    },
  };
}

export interface PgliteDatabaseOptions {
  engine?: Engine;
  /** CHECKPOINT once this much WAL has accumulated since the last one (default 64 MB); see walStartParams. */
  checkpointAfterWalBytes?: number;
  /** How often an idle instance checks its WAL (default 30 s; 0 disables the timer). */
  walCheckIntervalMs?: number;
  /** Called after the instance closed, e.g. to release the data-directory lock. */
  onClose?: () => Promise<void> | void;
}

/** Wraps an open PGlite instance as a chainvault Database. */
export async function wrapPglite(pg: PgliteLike, options: PgliteDatabaseOptions = {}): Promise<Database> {
  const wal: WalState = { copiedBytes: 0 };
  const threshold = options.checkpointAfterWalBytes ?? 64 * 2 ** 20;
  const outer = session(pg, wal);
  // PGlite runs PostgreSQL in single-user mode: no checkpointer ever trims the WAL, so it grows by
  // everything written, including the full-page images that data checksums (on by default) log
  // when the first read after a bulk load sets hint bits. So: after transactions and COPYs (at
  // most once a second unless megabytes were copied) and on an idle timer, CHECKPOINT once more
  // than `threshold` bytes of WAL lie beyond the last checkpoint.
  let lastCheck = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  const checkpointIfDue = async (force = false) => {
    const now = Date.now();
    if (closed || (!force && now - lastCheck < 1_000 && wal.copiedBytes < 16 * 2 ** 20)) return;
    lastCheck = now;
    wal.copiedBytes = 0;
    const result = await pg.query(
      "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 AS behind FROM pg_control_checkpoint()",
    );
    const behind = (result.rows[0] as { behind: number } | undefined)?.behind ?? 0;
    if (behind > threshold) await pg.exec("CHECKPOINT");
  };
  const intervalMs = options.walCheckIntervalMs ?? 30_000;
  const timer =
    intervalMs > 0
      ? setInterval(() => void checkpointIfDue(true).catch(() => undefined), intervalMs)
      : undefined;
  timer?.unref();
  let timescale = false;
  const db: Database = {
    engine: options.engine ?? "pglite",
    get timescale() {
      return timescale;
    },
    query: outer.query,
    exec: outer.exec,
    async copyRows(table, columns, rows) {
      const copied = await outer.copyRows(table, columns, rows);
      await checkpointIfDue();
      return copied;
    },
    async transaction(work) {
      const result = await pg.transaction((tx) => work(session(tx, wal)));
      await checkpointIfDue();
      return result;
    },
    // One session serves everything: what it holds lasts as long as the instance.
    dedicatedSession(): Promise<DedicatedSession> {
      return Promise.resolve({
        ...outer,
        get lost() {
          return closed;
        },
        close: () => Promise.resolve(),
      });
    },
    async refreshCapabilities() {
      const result = await outer.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
      timescale = result.rows.length > 0;
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        try {
          await checkpointIfDue(true).catch(() => undefined);
          closed = true;
          await pg.close();
        } finally {
          await options.onClose?.();
        }
      })();
      return closing;
    },
  };
  await db.refreshCapabilities();
  return db;
}

/**
 * Start parameters that keep an embedded data directory small. Measured: 500k quotes left 144 MB
 * of WAL that CHECKPOINT did not remove (segments are recycled up to min/max_wal_size, default
 * 80 MB/1 GB, and single-user mode never checkpoints by itself). With recycling off and small
 * limits, the CHECKPOINTs wrapPglite runs once 64 MB of WAL accumulate keep pg_wal at a few 16 MB segments.
 */
export function walStartParams(defaults: readonly string[]): string[] {
  return [...defaults, "-c", "min_wal_size=32MB", "-c", "max_wal_size=64MB", "-c", "wal_recycle=off"];
}
