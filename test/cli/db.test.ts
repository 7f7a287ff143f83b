import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServerDatabase } from "../helpers/db.ts";
import { runCli } from "../helpers/cli.ts";

const TABLES = [
  "collection_dead_letters",
  "daily_collection_status",
  "data_quality_issues",
  "market_data_ticks",
  "option_chains",
  "option_contract_lifecycle",
  "underlying_securities",
  "underlying_ticks",
];

describe("chainvault db migrate / db info --json", () => {
  let root: string;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-cli-"));
    server = await createServerDatabase();
  });
  afterAll(async () => {
    fs.rmSync(root, { recursive: true, force: true });
    await server?.drop();
  });

  it.each([
    ["pglite", () => ({}) as Record<string, string>],
    ["postgres", () => ({ DATABASE_URL: server.url })],
  ] as const)("reports engine %s in plain mode with every table", async (engine, envOf) => {
    const dataDir = path.join(root, `data-${engine}`);
    const env = envOf();
    const before = await runCli(["db", "info", "--json", "--data-dir", dataDir], env);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ engine, migration: 0, tables: {} });

    const migrated = await runCli(["db", "migrate", "--data-dir", dataDir], env);
    expect(migrated.code, migrated.stderr).toBe(0);

    const info = await runCli(["db", "info", "--json", "--data-dir", dataDir], env);
    expect(info.code, info.stderr).toBe(0);
    const parsed = JSON.parse(info.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual([
      "archive",
      "connection",
      "engine",
      "hypertables",
      "migration",
      "retention",
      "tables",
      "timescaledb",
    ]);
    expect(parsed).toMatchObject({ engine, timescaledb: null, hypertables: [] });
    // Nothing archived, nothing dropped: retention keeps everything until an archive verifies.
    expect(parsed.archive).toMatchObject({ archived: 0, verified: 0, dropped: 0, droppedRows: 0 });
    // Where psql connects: the server itself, or the embedded database once `db serve` (or the daemon) serves it.
    expect(parsed.connection).toMatchObject(
      engine === "pglite"
        ? { url: "postgres://postgres@127.0.0.1:5433/postgres", served_by_pid: null, needs_db_serve: true }
        : {
            url: expect.stringMatching(/^postgres:\/\/.*127\.0\.0\.1:5432\//),
            served_by_pid: null,
            needs_db_serve: false,
          },
    );
    expect(parsed.migration).toBeGreaterThanOrEqual(2);
    const tables = parsed.tables as Record<string, number>;
    for (const table of TABLES) expect(tables[table]).toBe(0);
    // The embedded engine wrote its files where --data-dir said, and only there.
    expect(fs.existsSync(path.join(dataDir, "PG_VERSION"))).toBe(engine === "pglite");
  });

  it("prints a readable summary without --json", async () => {
    const dataDir = path.join(root, "data-pglite");
    const info = await runCli(["db", "info", "--data-dir", dataDir]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain("engine:      pglite");
    expect(info.stdout).toContain("plain PostgreSQL");
    expect(info.stdout).toMatch(/market_data_ticks\s+0 rows/);
  });

  it("fails with exit 1 and a one-line reason when the server is unreachable", async () => {
    const result = await runCli(["db", "info"], {
      DATABASE_URL: "postgres://postgres:hunter2@127.0.0.1:1/none",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot open the database");
    expect(result.stderr).not.toContain("hunter2");
  });
});
