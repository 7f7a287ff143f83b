import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDbServe } from "../../src/cli/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";
import type { ServedDatabase } from "../../src/store/serve/serve-embedded.ts";
import { runCli, runMain } from "../helpers/cli.ts";
import { openDuckDb } from "../helpers/duckdb.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-11-30", 2);

describe("chainvault export while db serve (as the daemon does) holds the embedded data directory", () => {
  let dir: string;
  let dataDir: string;
  let configFile: string;
  let rows: number;

  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-export-served-"));
    dataDir = path.join(dir, "data");
    configFile = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(
      configFile,
      `database: { data_dir: ${JSON.stringify(dataDir)}, serve_port: 0 }\nlog: { level: error }\n`,
    );
    const db = await openDatabase({ dataDir: await copyMigratedDataDir(dataDir) });
    try {
      await migrate(db);
      rows = await seedSyntheticChains(db, { symbols: ["SPY"], days: DAYS, expiries: 1, strikes: 4 });
    } finally {
      await db.close();
    }
  }, 60_000);

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("opens the embedded directory itself when nothing holds it", async () => {
    const file = path.join(dir, "direct.csv");
    const range = ["--symbols", "SPY", "--from", DAYS[0]!, "--to", DAYS[1]!, "--type", "eod"];
    const run = await runMain(["export", ...range, "--out", file, "--config", configFile]);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(fs.readFileSync(file, "utf8").split("\n").filter(Boolean)).toHaveLength(1 + rows / 2);
  });

  it("reads through the served socket: a Parquet tree from another process, CSV to stdout in this one", async () => {
    let stop!: (signal: NodeJS.Signals) => void;
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
    let onServing!: (database: ServedDatabase) => void;
    const serving = new Promise<ServedDatabase>((resolve) => (onServing = resolve));
    const runServe = runDbServe({ config: configFile, port: "0" }, stopRequested, onServing);
    const duck = await openDuckDb();
    try {
      await Promise.race([
        serving,
        runServe.then(() => Promise.reject(new Error("db serve ended before it served"))),
      ]);
      const out = path.join(dir, "parquet");
      const range = ["--symbols", "SPY", "--from", DAYS[0]!, "--to", DAYS[1]!];
      const run = await runCli([
        "export",
        ...range,
        "--format",
        "parquet",
        "--out",
        out,
        "--config",
        configFile,
      ]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        `exported ${rows} rows (quotes, parquet) to ${out} in 2 files (one per symbol and day)\n`,
      );
      const counted = await duck.all(
        `SELECT date, count(*) AS n FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true) GROUP BY date ORDER BY date`,
      );
      expect(counted.map((row) => [String(row.date).length > 0, Number(row.n)])).toEqual([
        [true, rows / 2],
        [true, rows / 2],
      ]);

      const csv = await runMain([
        "export",
        ...range,
        "--layout",
        "daily",
        "--out",
        "-",
        "--config",
        configFile,
      ]);
      expect(csv.code).toBe(0);
      expect(csv.stdout.split("\n").filter(Boolean)).toHaveLength(1 + rows / 2);
      expect(csv.stderr).toBe(`exported ${rows / 2} rows (daily, csv) to standard output\n`);
    } finally {
      duck.close();
      stop("SIGINT");
      await runServe;
    }
  }, 60_000);
});
