import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listArchive, restoreMonth, runArchive, verifyArchive } from "../../src/archive/archive.ts";
import { applyRetention } from "../../src/archive/retention.ts";
import { openArchiveTarget } from "../../src/archive/target.ts";
import type { ArchiveConfig, ArchiveTarget } from "../../src/archive/target.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

// Four trading days across a month end: October and November 2026 are both closed by December.
const DAYS = tradingDaysFrom("2026-10-28", 4);
const DECEMBER = new Date("2026-12-01T00:00:00Z");
const TABLES = { market_data_ticks: "contract_id", underlying_ticks: "underlying_id" } as const;

/** Every row of both tables, in key order: what "identical" means after a round trip. */
async function snapshot(db: Database) {
  const out: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(TABLES)) {
    out[table] = (await db.query(`SELECT * FROM ${table} ORDER BY ${key}, collection_type, time`)).rows;
  }
  return out;
}

async function countIn(db: Database, table: string, from: string, to: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM ${table} WHERE time >= $1::timestamptz AND time < $2::timestamptz`,
    [from, to],
  );
  return result.rows[0]!.n;
}

describe.each(["dir", "s3"] as const)("archive round trip to a %s target", (kind) => {
  let dir: string;
  let db: Database;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let s3: S3rver | null = null;
  let config: ArchiveConfig;
  let target: ArchiveTarget;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-archive-test-"));
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    await seedSyntheticChains(db, { symbols: ["SPY"], days: DAYS, expiries: 2, strikes: 4 });
    if (kind === "s3") {
      s3 = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory: path.join(dir, "s3"),
        configureBuckets: [{ name: "chains" }],
      });
      const address = await s3.run();
      // s3rver's fixed development credentials; the SDK reads them from the environment as in production.
      process.env.AWS_ACCESS_KEY_ID = "S3RVER";
      process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
      config = {
        target: "s3",
        dir: "unused",
        endpoint: `http://127.0.0.1:${address.port}`,
        bucket: "chains",
        prefix: "vault/",
        region: "us-east-1",
      };
    } else {
      config = { target: "dir", dir: path.join(dir, "archive"), prefix: "", region: "us-east-1" };
    }
    target = await openArchiveTarget(config);
  });

  afterAll(async () => {
    target?.close();
    await db?.close();
    await server?.drop();
    await s3?.close();
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("run → verify → retention drops exactly the archived month → restore → every row identical", async () => {
    const before = await snapshot(db);
    const october = await countIn(db, "market_data_ticks", "2026-10-01", "2026-11-01");
    const november = await countIn(db, "market_data_ticks", "2026-11-01", "2026-12-01");
    expect(october).toBeGreaterThan(0);
    expect(november).toBeGreaterThan(0);

    // Only closed months: with --before in November, October alone.
    const first = await runArchive(db, target, new Date("2026-11-15T00:00:00Z"));
    expect(first.written.map((entry) => `${entry.month} ${entry.table}`)).toEqual([
      "2026-10 market_data_ticks",
      "2026-10 underlying_ticks",
    ]);
    const run = await runArchive(db, target, DECEMBER);
    expect(run.written.map((entry) => entry.month)).toEqual(["2026-11", "2026-11"]);
    expect(run.unchanged).toHaveLength(2);
    expect(run.written.find((entry) => entry.table === "market_data_ticks")!.rows).toBe(november);

    // Written but not verified: retention keeps everything.
    const now = new Date("2026-12-10T00:00:00Z");
    const unverified = await applyRetention(db, { keepDays: 1, now });
    expect(unverified.dropped).toEqual([]);
    expect(unverified.kept.map((entry) => entry.reason)).toContain("archive not verified");
    expect(await snapshot(db)).toEqual(before);

    const verified = await verifyArchive(db, target, now);
    expect(verified.failures).toEqual([]);
    expect(verified.checked).toHaveLength(4);
    expect(verified.checked.every((entry) => entry.database === "matches")).toBe(true);

    // keep_days reaching into November: October goes whole, November stays.
    const retained = await applyRetention(db, { keepDays: 30, now });
    expect(retained.dropped.map((entry) => `${entry.month} ${entry.table}`).sort()).toEqual([
      "2026-10 market_data_ticks",
      "2026-10 underlying_ticks",
    ]);
    expect(retained.dropped.find((entry) => entry.table === "market_data_ticks")!.rows).toBe(october);
    expect(await countIn(db, "market_data_ticks", "2026-10-01", "2026-11-01")).toBe(0);
    expect(await countIn(db, "market_data_ticks", "2026-11-01", "2026-12-01")).toBe(november);

    const info = await runMain(["db", "info"], { env: { DATABASE_URL: server.url } });
    const droppedRows = retained.dropped.reduce((sum, entry) => sum + entry.rows, 0);
    expect(info.stdout).toContain(
      `dropped ${droppedRows.toLocaleString("en-US")} raw rows of 2026-10..2026-10 (archived, verified)`,
    );

    const afterDrop = await verifyArchive(db, target, now);
    expect(afterDrop.failures).toEqual([]);
    expect(afterDrop.checked.filter((entry) => entry.database === "dropped")).toHaveLength(2);
    const listed = await listArchive(db, target);
    expect(listed.filter((entry) => entry.droppedAt !== null).map((entry) => entry.month)).toEqual([
      "2026-10",
      "2026-10",
    ]);

    const restored = await restoreMonth(db, target, "2026-10");
    expect(restored.tables.every((entry) => entry.identical && entry.inserted === entry.rows)).toBe(true);
    expect(await snapshot(db)).toEqual(before);
    // Idempotent: again, and over a month that was never dropped, nothing is added.
    const again = await restoreMonth(db, target, "2026-10");
    expect(again.tables.map((entry) => entry.inserted)).toEqual([0, 0]);
    const present = await restoreMonth(db, target, "2026-11");
    expect(present.tables.every((entry) => entry.inserted === 0 && entry.identical)).toBe(true);
    expect(await snapshot(db)).toEqual(before);
  });

  it.runIf(kind === "dir")("lists as JSON, and refuses bad input with exit 2 and one line", async () => {
    const configFile = path.join(dir, "list.yaml");
    fs.writeFileSync(configFile, `archive:\n  target: dir\n  dir: ${config.dir}\n`);
    const as = { env: { DATABASE_URL: server.url } };
    const listed = await runMain(["archive", "list", "--json", "--config", configFile], as);
    expect(listed.code, listed.stderr).toBe(0);
    const entries = JSON.parse(listed.stdout) as {
      month: string;
      table: string;
      verifiedAt: string | null;
    }[];
    expect(entries.map((entry) => `${entry.month} ${entry.table}`)).toEqual([
      "2026-10 market_data_ticks",
      "2026-10 underlying_ticks",
      "2026-11 market_data_ticks",
      "2026-11 underlying_ticks",
    ]);
    expect(entries.every((entry) => entry.verifiedAt !== null)).toBe(true);
    for (const args of [
      ["archive", "restore", "--month", "2026-13"],
      ["archive", "restore", "--month", "2025-01"],
      ["archive", "run", "--before", "2026-02-30"],
    ]) {
      const result = await runMain([...args, "--config", configFile], as);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
    const s3WithoutBucket = path.join(dir, "s3.yaml");
    fs.writeFileSync(s3WithoutBucket, "archive:\n  target: s3\n");
    const refused = await runMain(["archive", "list", "--config", s3WithoutBucket], as);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("archive.bucket");
  });

  it.runIf(kind === "dir")(
    "a corrupted file fails `archive verify` with exit 1 naming the file",
    async () => {
      const file = path.join(config.dir, "2026-11", "market_data_ticks.parquet");
      const bytes = fs.readFileSync(file);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = bytes[middle]! ^ 0xff;
      fs.writeFileSync(file, bytes);
      const configFile = path.join(dir, "chainvault.yaml");
      fs.writeFileSync(configFile, `archive:\n  target: dir\n  dir: ${config.dir}\n`);
      const result = await runMain(["archive", "verify", "--config", configFile], {
        env: { DATABASE_URL: server.url },
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`FAIL ${file}`);
      expect(result.stderr).toContain(file);
      // The failed month is no longer verified: retention keeps it.
      const kept = await applyRetention(db, { keepDays: 1, now: new Date("2027-01-10T00:00:00Z") });
      expect(kept.dropped.map((entry) => `${entry.month} ${entry.table}`)).not.toContain(
        "2026-11 market_data_ticks",
      );
      expect(kept.kept).toContainEqual(
        expect.objectContaining({
          month: "2026-11",
          table: "market_data_ticks",
          reason: "archive not verified",
        }),
      );
    },
  );
});
