import type { Database, Queryable } from "./database.ts";
import { isDatabaseUnavailable } from "./unavailable.ts";
import { currentMigration } from "./migrate.ts";
import type { Engine } from "./database.ts";

export interface DatabaseInfo {
  engine: Engine;
  /** The timescaledb extension version, or null in plain mode. */
  timescaledb: string | null;
  /** The highest migration applied (0 before `db migrate`). */
  migration: number;
  /** chainvault's tables and their row counts. */
  tables: Record<string, number>;
  hypertables: string[];
}

/** What `db info` prints: engine, mode, schema version and table sizes. */
export async function databaseInfo(db: Database): Promise<DatabaseInfo> {
  const extension = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  const names = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'chainvault_migrations'
      ORDER BY table_name`,
  );
  const tables: Record<string, number> = {};
  for (const { table_name: name } of names.rows) {
    const result = await db.query<{ n: number }>(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`);
    tables[name] = result.rows[0]!.n;
  }
  let hypertables: string[] = [];
  const timescaledb = extension.rows[0]?.extversion ?? null;
  if (timescaledb !== null) {
    const result = await db.query<{ hypertable_name: string }>(
      `SELECT hypertable_name FROM timescaledb_information.hypertables
        WHERE hypertable_schema = current_schema() ORDER BY hypertable_name`,
    );
    hypertables = result.rows.map((row) => row.hypertable_name);
  }
  return { engine: db.engine, timescaledb, migration: await currentMigration(db), tables, hypertables };
}

/**
 * Names the database chainvault writes to: the cluster's system identifier (set by initdb) and the
 * database's name. A file written for one database (the quote spool) is never loaded into another.
 */
export async function databaseIdentity(db: Queryable): Promise<string> {
  try {
    const result = await db.query<{ cluster: string; name: string }>(
      "SELECT system_identifier::text AS cluster, current_database() AS name FROM pg_control_system()",
    );
    const row = result.rows[0]!;
    return `${row.cluster}/${row.name}`;
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw error;
    // A managed server may not grant pg_control_system(): its address and database name will do.
    const result = await db.query<{ name: string }>(
      `SELECT coalesce(host(inet_server_addr()), 'local') || ':' || coalesce(inet_server_port(), 0)
              || '/' || current_database() AS name`,
    );
    return result.rows[0]!.name;
  }
}
