import type { Database, Engine, Queryable, QueryResult } from "./database.ts";
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

function session(pg: PgliteQueryable): Queryable {
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
      await pg.query(`COPY ${copyTarget(table, columns)} FROM '/dev/blob'`, [], {
        ...QUERY_OPTIONS,
        blob: new Blob(encoded.chunks as string[]),
      });
      return encoded.count;
    },
  };
}

export interface PgliteDatabaseOptions {
  engine?: Engine;
  /** Called after the instance closed, e.g. to release the data-directory lock. */
  onClose?: () => Promise<void> | void;
}

/** Wraps an open PGlite instance as a chainvault Database. */
export async function wrapPglite(pg: PgliteLike, options: PgliteDatabaseOptions = {}): Promise<Database> {
  const outer = session(pg);
  let timescale = false;
  let closed = false;
  const db: Database = {
    engine: options.engine ?? "pglite",
    get timescale() {
      return timescale;
    },
    query: outer.query,
    exec: outer.exec,
    copyRows: outer.copyRows,
    transaction: (work) => pg.transaction((tx) => work(session(tx))),
    async refreshCapabilities() {
      const result = await outer.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
      timescale = result.rows.length > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        await options.onClose?.();
      }
    },
  };
  await db.refreshCapabilities();
  return db;
}
