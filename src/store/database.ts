/**
 * The one database interface chainvault uses. Two engines implement it: embedded PGlite
 * (the default, no server needed) and a PostgreSQL/TimescaleDB server through a `pg` Pool.
 *
 * Both engines return the same JavaScript types: int8 and numeric columns as `number`,
 * `date` columns as "YYYY-MM-DD" strings, timestamptz as `Date`.
 */
import type { CopySource } from "./copy-text.ts";

export type Engine = "pglite" | "postgres";

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection under this name and reuse its plan (a PostgreSQL server; PGlite and
   * connections through `db serve` ignore it): for hot reads whose planning costs as much as their execution.
   * One name, one SQL text.
   */
  name?: string;
}

export interface Queryable {
  /** One statement with `$1…` parameters. */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk-loads rows with COPY. Values are written in `columns` order; null/undefined and
   * non-finite numbers become NULL. Also accepts pre-encoded `EncodedRows`. Returns the number of rows copied.
   */
  copyRows(table: string, columns: readonly string[], rows: CopySource): Promise<number>;
}

/** A connection of its own, outside the pool, for session state such as advisory locks. */
export interface DedicatedSession extends Queryable {
  /** Whether the connection broke: its session state (locks) is gone with it. */
  readonly lost: boolean;
  close(): Promise<void>;
}

export interface Database extends Queryable {
  readonly engine: Engine;
  /** Whether TimescaleDB features (hypertables, compression, continuous aggregates) are on. */
  readonly timescale: boolean;
  /**
   * Runs `work` on one connection in one transaction: committed when it resolves, rolled back when
   * it throws. Inside `work` use only `tx`: PGlite has a single session, so a call on the outer
   * Database waits for the transaction to end — a deadlock if the transaction waits for it.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A session that lives as long as its holder: on a server a new connection, not taken from the
   * pool; on the embedded engine (one session) the database itself.
   */
  dedicatedSession(): Promise<DedicatedSession>;
  /**
   * Streams `COPY (select) TO STDOUT WITH (FORMAT csv, HEADER)` into `out` (left open) — on a PostgreSQL server
   * only, where the server formats the CSV at the speed of `psql \copy`; undefined on the embedded engine and
   * through `db serve`. Runs with DateStyle ISO. Returns the number of rows.
   */
  copyCsvOut?(select: string, out: NodeJS.WritableStream): Promise<number>;
  /** Re-reads whether the timescaledb extension is installed (after migrations created it). */
  refreshCapabilities(): Promise<void>;
  close(): Promise<void>;
}
