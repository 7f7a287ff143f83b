/**
 * Export benchmark on the server engine: `chainvault export` (runExport) of the quotes layout to CSV, against
 * `psql \copy (SELECT …) TO` of the same rows (the same SELECT on chain_quotes, CSV with a header) in the same
 * run, alternating which goes first. Prints rows/s, the ratio ours / psql (goal ≥ 0.8), the same for Parquet (for
 * information: psql has no Parquet), and the CLI's peak RSS (its own process) exporting a quarter and all of the
 * rows in each format and layout — equal peaks mean memory does not grow with the export's size.
 *
 *   npx tsx bench/export.ts [--days 60] [--symbols SPY,QQQ,IWM] [--expiries 8] [--strikes 60] [--rounds 3]
 *                           [--rows N] [--memory-only] [--layouts quotes,daily] [--formats csv,parquet]
 *
 * --rows N seeds about N quotes (as many days as that takes; overrides --days), e.g. --rows 10000000 --memory-only
 * --layouts quotes for the "10 M rows under 200 MB" check without the throughput rounds.
 *
 * Server URL: CHAINVAULT_TEST_PG_URL (a fresh database is created and dropped). --keep-db NAME uses and keeps the
 * database NAME instead, seeding it only when it has no quotes yet: the 10 M rows are seeded once (several
 * minutes), then each run measures. Give the same --rows/--days/--symbols/--expiries/--strikes as when it was seeded.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { runExport } from "../src/export/run-export.ts";
import type { ExportRequest } from "../src/export/run-export.ts";
import type { Database } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { exportSql } from "../src/store/reads/export-reads.ts";
import { TEST_PG_URL, createServerDatabase, testUrlFor } from "../test/helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../test/helpers/synthetic-chains.ts";

const { values: args } = parseArgs({
  options: {
    days: { type: "string", default: "60" },
    symbols: { type: "string", default: "SPY,QQQ,IWM" },
    expiries: { type: "string", default: "8" },
    strikes: { type: "string", default: "60" },
    rounds: { type: "string", default: "3" },
    rows: { type: "string" },
    "memory-only": { type: "boolean", default: false },
    layouts: { type: "string", default: "quotes,daily" },
    formats: { type: "string", default: "csv,parquet" },
    "keep-db": { type: "string" },
  },
});
const SYMBOLS = args.symbols.split(",");
const ROUNDS = Number(args.rounds);

/** The export's SELECT with its parameters written out, for psql. */
function literalSql(request: ExportRequest): string {
  const array = (values: readonly string[]) => `ARRAY[${values.map((value) => `'${value}'`).join(",")}]`;
  return exportSql(request)
    .replace("$1::text[]", array(request.symbols))
    .replace("$2::date", `'${request.from}'::date`)
    .replace("$3::date", `'${request.to}'::date`)
    .replace("$4::text[]", array(request.types));
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const start = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - start, peakRss: Math.max(peakRss, process.memoryUsage().rss) };
  } finally {
    clearInterval(sampler);
  }
}

/** The database `name` on the test server, created when missing; `drop` leaves it for the next run. */
async function keptDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rows.length === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return { url: testUrlFor(name), drop: async () => {} };
}

/** Resident memory of a process and all its descendants (Linux /proc), in KiB; 0 once it has exited. */
function treeRssKb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const own = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const children = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(" ")
      .filter((child) => child.trim() !== "")
      .map(Number);
    return own + children.reduce((sum, child) => sum + treeRssKb(child), 0);
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString("en-US")} rows/s`;

async function main(): Promise<void> {
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((load) => load.toFixed(1))
      .join(" ")} (${os.cpus().length} cores)`,
  );
  const kept = args["keep-db"];
  if (kept !== undefined && !/^[a-z_][a-z0-9_]*$/.test(kept))
    throw new Error(`--keep-db ${kept}: not a plain name`);
  const server = kept === undefined ? await createServerDatabase() : await keptDatabase(kept);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bench-export-"));
  let db: Database | null = null;
  try {
    db = await openDatabase({ url: server.url, dataDir: "unused", poolSize: 2 });
    await migrate(db);
    const stored = await db.query<{ seeded: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM market_data_ticks) AS seeded",
    );
    // Quotes per symbol and day: both rights of every strike of every expiry, in two snapshots.
    const perDay = SYMBOLS.length * Number(args.expiries) * Number(args.strikes) * 2 * 2;
    const dayCount = args.rows === undefined ? Number(args.days) : Math.ceil(Number(args.rows) / perDay);
    const days = tradingDaysFrom("2025-12-01", dayCount);
    const seedStart = performance.now();
    const written = stored.rows[0]!.seeded
      ? Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM market_data_ticks")).rows[0]!.n)
      : await seedSyntheticChains(db, {
          symbols: SYMBOLS,
          days,
          expiries: Number(args.expiries),
          strikes: Number(args.strikes),
        });
    if (!stored.rows[0]!.seeded) await db.exec("VACUUM ANALYZE");
    console.log(
      `data: ${days.length} trading days × ${SYMBOLS.join(",")}: ${written} quotes, ${stored.rows[0]!.seeded ? `kept in ${kept}` : `seeded in ${((performance.now() - seedStart) / 1000).toFixed(0)} s`}`,
    );
    const request: ExportRequest = {
      layout: "quotes",
      format: "csv",
      symbols: SYMBOLS,
      from: days[0]!,
      to: days.at(-1)!,
      types: ["analytics", "eod"],
      out: path.join(dir, "ours.csv"),
    };
    const database = db;
    const ours = () => timed(() => runExport(database, request));
    const psql = () =>
      timed(async () => {
        const result = spawnSync(
          "psql",
          [
            server.url,
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            `\\copy (${literalSql(request)}) TO '${path.join(dir, "psql.csv")}' WITH (FORMAT csv, HEADER)`,
          ],
          { encoding: "utf8" },
        );
        if (result.status !== 0) throw new Error(`psql \\copy failed: ${result.stderr}`);
      });

    const ratios: number[] = [];
    const psqlTimes: number[] = [];
    for (let round = 1; round <= (args["memory-only"] ? 0 : ROUNDS); round += 1) {
      const first = round % 2 === 1 ? "ours" : "psql";
      const a = first === "ours" ? await ours() : await psql();
      const b = first === "ours" ? await psql() : await ours();
      const [oursRun, psqlRun] = first === "ours" ? [a, b] : [b, a];
      const rows = (oursRun.result as { rows: number }).rows;
      const psqlLines = fs.readFileSync(path.join(dir, "psql.csv"), "utf8").split("\n").length - 2;
      if (psqlLines !== rows) throw new Error(`psql wrote ${psqlLines} rows, export ${rows}`);
      ratios.push(psqlRun.ms / oursRun.ms);
      psqlTimes.push(psqlRun.ms);
      console.log(
        `round ${round}: export csv ${rate(rows, oursRun.ms)} (${(oursRun.ms / 1000).toFixed(2)} s), ` +
          `psql \\copy ${rate(rows, psqlRun.ms)} (${(psqlRun.ms / 1000).toFixed(2)} s), ratio ${(psqlRun.ms / oursRun.ms).toFixed(2)}`,
      );
    }
    if (!args["memory-only"]) {
      ratios.sort((x, y) => x - y);
      const median = ratios[Math.floor(ratios.length / 2)]!;
      console.log(`CSV export / psql \\copy throughput: median ${median.toFixed(2)} (goal ≥ 0.8)`);
      const parquet = await timed(() =>
        runExport(database, { ...request, format: "parquet", out: path.join(dir, "parquet") }),
      );
      console.log(
        `parquet: ${rate(parquet.result.rows, parquet.ms)} (${(parquet.ms / 1000).toFixed(2)} s, ${parquet.result.partitions} files), ` +
          `throughput ratio to psql \\copy's CSV (median time): ${(psqlTimes.sort((x, y) => x - y)[Math.floor(psqlTimes.length / 2)]! / parquet.ms).toFixed(2)}`,
      );
    }

    // Flat memory: the CLI's peak RSS exporting a quarter of the days and all of them; equal peaks mean memory
    // does not grow with the export. The CLI runs export in a node process of its own (bin/chainvault.js), so the
    // figure is the sum over the process and its descendants, sampled from /proc, not one process's maximum.
    const cli = async (extra: string[], to: string, env: Record<string, string>) => {
      const out = path.join(dir, `cli-${extra.join("-")}-${to}`);
      const start = performance.now();
      const child = spawn(
        process.execPath,
        [
          "bin/chainvault.js",
          "export",
          "--symbols",
          SYMBOLS.join(","),
          "--from",
          days[0]!,
          "--to",
          to,
          "--out",
          out,
          ...extra,
        ],
        { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      let peakKb = 0;
      const sampler = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(child.pid!))), 25);
      const [code] = (await once(child, "close")) as [number | null];
      clearInterval(sampler);
      if (code !== 0) throw new Error(`export failed: ${stderr}`);
      // The files are not needed: at 10 M rows they would fill the temporary directory.
      fs.rmSync(out, { recursive: true, force: true });
      return { kb: peakKb, summary: stdout.trim(), seconds: (performance.now() - start) / 1000 };
    };
    const quarterTo = days[Math.floor(days.length / 4)]!;
    for (const format of args.formats.split(",")) {
      for (const layout of args.layouts.split(",")) {
        const small = await cli(["--format", format, "--layout", layout], quarterTo, {
          DATABASE_URL: server.url,
        });
        const large = await cli(["--format", format, "--layout", layout], days.at(-1)!, {
          DATABASE_URL: server.url,
        });
        console.log(
          `server ${format} ${layout}: peak RSS ${mb(small.kb * 1024)} (${small.summary.split(" ")[1]} rows, ${small.seconds.toFixed(1)} s), ` +
            `${mb(large.kb * 1024)} (${large.summary.split(" ")[1]} rows, ${large.seconds.toFixed(1)} s); ` +
            `load average ${os.loadavg()[0]!.toFixed(1)}`,
        );
      }
    }
  } finally {
    await db?.close();
    await server.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
