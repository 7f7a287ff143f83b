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
  /** The Parquet archive's ledger (migration 076): what retention may drop and what it did. */
  archive: ArchiveState;
}

export interface ArchiveState {
  /** Month-tables written to the archive; verified: read back and matched; dropped: raw rows deleted. */
  archived: number;
  verified: number;
  dropped: number;
  droppedRows: number;
  /** Oldest and newest month (YYYY-MM) whose raw rows retention deleted; null when none. */
  droppedFrom: string | null;
  droppedTo: string | null;
}

async function archiveState(db: Queryable): Promise<ArchiveState> {
  const none: ArchiveState = {
    archived: 0,
    verified: 0,
    dropped: 0,
    droppedRows: 0,
    droppedFrom: null,
    droppedTo: null,
  };
  const present = await db.query<{ present: boolean }>(
    "SELECT to_regclass('archive_months') IS NOT NULL AS present",
  );
  if (!present.rows[0]!.present) return none;
  const result = await db.query<{
    archived: number;
    verified: number;
    dropped: number;
    dropped_rows: number | null;
    dropped_from: string | null;
    dropped_to: string | null;
  }>(
    `SELECT count(*)::int8 AS archived, count(verified_at)::int8 AS verified, count(dropped_at)::int8 AS dropped,
            sum(dropped_rows)::int8 AS dropped_rows,
            to_char(min(month) FILTER (WHERE dropped_at IS NOT NULL), 'YYYY-MM') AS dropped_from,
            to_char(max(month) FILTER (WHERE dropped_at IS NOT NULL), 'YYYY-MM') AS dropped_to
       FROM archive_months`,
  );
  const row = result.rows[0]!;
  return {
    archived: row.archived,
    verified: row.verified,
    dropped: row.dropped,
    droppedRows: row.dropped_rows ?? 0,
    droppedFrom: row.dropped_from,
    droppedTo: row.dropped_to,
  };
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
  return {
    engine: db.engine,
    timescaledb,
    migration: await currentMigration(db),
    tables,
    hypertables,
    archive: await archiveState(db),
  };
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
