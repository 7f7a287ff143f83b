import fs from "node:fs";
import type { Database, Queryable } from "./database.ts";
import type { Logger } from "../logger.ts";
import { errorMessage } from "../core/errors.ts";

/**
 * Applies src/store/migrations/NNN_name.sql in order, each in its own transaction, and records it
 * in chainvault_migrations. A transaction-scoped advisory lock serialises concurrent migrators on
 * a server (the embedded engine is single-process by its data-directory lock), so running twice or
 * from two processes at once applies each migration exactly once.
 *
 * A file whose first line is `-- chainvault: requires timescaledb` runs only where the extension is
 * installed; elsewhere it is recorded as skipped and applied by a later run once the extension exists.
 */

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;
const REQUIRES_TIMESCALE = /^--\s*chainvault:\s*requires timescaledb/;
/** Arbitrary constant shared by every chainvault migrator ("cvmigrat" in ASCII, truncated to int8). */
const ADVISORY_LOCK_KEY = 7_166_289_551_207_473;

export interface Migration {
  id: number;
  name: string;
  sql: string;
  requiresTimescale: boolean;
}

export function loadMigrations(): Migration[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .map((file) => FILE_NAME.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => {
      const sql = fs.readFileSync(new URL(match[0], MIGRATIONS_DIR), "utf8");
      return { id: Number(match[1]), name: match[2]!, sql, requiresTimescale: REQUIRES_TIMESCALE.test(sql) };
    })
    .sort((a, b) => a.id - b.id);
}

async function lock(tx: Queryable): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [ADVISORY_LOCK_KEY]);
}

/** Creates the migrations table and, where the server offers it, the timescaledb extension. */
async function bootstrap(db: Database, logger?: Logger): Promise<void> {
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.exec(`CREATE TABLE IF NOT EXISTS chainvault_migrations (
      id         INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      skipped    BOOLEAN NOT NULL DEFAULT FALSE,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const available = await tx.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
    if (available.rows.length === 0) return;
    await tx.exec("SAVEPOINT timescaledb");
    try {
      await tx.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
      await tx.exec("RELEASE SAVEPOINT timescaledb");
    } catch (error) {
      // Installed but not loadable (shared_preload_libraries) or not permitted: plain mode.
      await tx.exec("ROLLBACK TO SAVEPOINT timescaledb");
      logger?.warn(
        { err: errorMessage(error) },
        "timescaledb is available but cannot be created; plain mode",
      );
    }
  });
  await db.refreshCapabilities();
}

export async function migrate(
  db: Database,
  options: { logger?: Logger } = {},
): Promise<{ applied: number[]; skipped: number[]; current: number }> {
  await bootstrap(db, options.logger);
  const applied: number[] = [];
  const skipped: number[] = [];
  for (const migration of loadMigrations()) {
    const ran = await db.transaction(async (tx) => {
      await lock(tx);
      const done = await tx.query<{ skipped: boolean }>(
        "SELECT skipped FROM chainvault_migrations WHERE id = $1",
        [migration.id],
      );
      const previous = done.rows[0];
      if (previous && !(previous.skipped && db.timescale)) return "done";
      const skip = migration.requiresTimescale && !db.timescale;
      if (!skip) await tx.exec(migration.sql);
      await tx.query(
        `INSERT INTO chainvault_migrations (id, name, skipped) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET skipped = EXCLUDED.skipped, applied_at = now()`,
        [migration.id, migration.name, skip],
      );
      options.logger?.info(
        { migration: migration.id, name: migration.name, skipped: skip },
        "migration applied",
      );
      return skip ? "skipped" : "applied";
    });
    if (ran === "applied") applied.push(migration.id);
    if (ran === "skipped") skipped.push(migration.id);
  }
  return { applied, skipped, current: await currentMigration(db) };
}

/** The highest migration recorded (0 on a fresh database). */
export async function currentMigration(db: Queryable): Promise<number> {
  const table = await db.query("SELECT to_regclass('chainvault_migrations') IS NOT NULL AS present");
  if (!(table.rows[0] as { present: boolean }).present) return 0;
  const result = await db.query<{ current: number | null }>(
    "SELECT max(id) AS current FROM chainvault_migrations",
  );
  return result.rows[0]?.current ?? 0;
}
