/**
 * The one database interface chainvault uses. Two engines implement it: embedded PGlite
 * (the default, no server needed) and a PostgreSQL/TimescaleDB server through a `pg` Pool.
 */
export type Engine = "pglite" | "postgres";

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export interface Database extends Queryable {
  readonly engine: Engine;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Bulk-loads rows with COPY. Values are written in `columns` order; null/undefined become NULL.
   * Returns the number of rows copied.
   */
  copyRows(table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>): Promise<number>;
  close(): Promise<void>;
}
