// bench/crash-rerun: what a crash late in a collection costs. `chainvault collect --symbols SPY,PLTR` (the CLI, as
// a user runs it) against the simulated gateway at IB's limits (its own process) and a fresh database on the
// PostgreSQL server, three times: undisturbed (the baseline), then on another database killed with SIGKILL once
// --at (0.9) of the baseline's rows are stored, then the same command again, which resumes. Prints the ratio
// (killed run + rerun) / baseline; the issue's goal is ≤ 1.2×.
//   npx tsx bench/crash-rerun.ts [--symbols SPY,PLTR] [--at 0.9] [--rate 50] (the gateway's messages per second; default IB's)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createServerDatabase } from "../test/helpers/db.ts";
import { startGatewayProcess } from "./gateway-process.ts";

const { values } = parseArgs({
  options: {
    symbols: { type: "string", default: "SPY,PLTR" },
    at: { type: "string", default: "0.9" },
    rate: { type: "string", default: "" },
  },
});
const killAt = Number(values.at);
const BIN = path.join(import.meta.dirname, "..", "bin", "chainvault.js");
const DATE = "2025-01-15";

async function count(url: string): Promise<{ rows: number; contracts: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rows: number; contracts: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT contract_id)::int AS contracts FROM market_data_ticks`,
    );
    return result.rows[0]!;
  } catch {
    return { rows: 0, contracts: 0 }; // before the run's migration created the table
  } finally {
    await client.end();
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-crash-bench-"));
const gateway = await startGatewayProcess(DATE, values.rate ? { rate: Number(values.rate) } : {});
const config = path.join(work, "chainvault.yaml");
fs.writeFileSync(config, `collect:\n  spool_dir: ${path.join(work, "spool")}\n`);

interface Run {
  seconds: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** One `collect`; with `killAtRows`, SIGKILLed once that many rows are stored. */
async function collect(url: string, killAtRows?: number): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "collect", "--symbols", values.symbols, "--date", DATE, "--json", "--config", config],
    {
      env: { ...process.env, DATABASE_URL: url, IB_PORT: String(gateway.port), IB_CLIENT_ID: "8" },
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  if (killAtRows !== undefined) {
    while (!done && (await count(url)).rows < killAtRows)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGKILL");
  }
  const { code, signal } = await exited;
  return { seconds: (performance.now() - started) / 1000, code, signal, stdout };
}

const databases: Awaited<ReturnType<typeof createServerDatabase>>[] = [];
try {
  const baselineDb = await createServerDatabase();
  databases.push(baselineDb);
  const baseline = await collect(baselineDb.url);
  const expected = (await count(baselineDb.url)).rows;
  console.log(
    `baseline: uninterrupted run ${baseline.seconds.toFixed(1)} s, exit ${baseline.code}, ${expected} rows`,
  );

  const crashDb = await createServerDatabase();
  databases.push(crashDb);
  const killed = await collect(crashDb.url, Math.floor(expected * killAt));
  const atKill = await count(crashDb.url);
  console.log(
    `killed run: SIGKILL after ${killed.seconds.toFixed(1)} s with ${atKill.rows}/${expected} rows ` +
      `(${((100 * atKill.rows) / expected).toFixed(1)} %), ${killed.signal ?? `exit ${killed.code}`}`,
  );
  const rerun = await collect(crashDb.url);
  const after = await count(crashDb.url);
  console.log(
    `rerun: ${rerun.seconds.toFixed(1)} s, exit ${rerun.code}, ${after.rows} rows, ${after.contracts} distinct contracts`,
  );
  const ratio = (killed.seconds + rerun.seconds) / baseline.seconds;
  console.log(
    `crash at ${(100 * killAt).toFixed(0)} % + rerun: ${(killed.seconds + rerun.seconds).toFixed(1)} s vs ` +
      `${baseline.seconds.toFixed(1)} s uninterrupted (the baseline) = ${ratio.toFixed(2)}× (goal ≤ 1.2×); ` +
      `rows ${after.rows}/${expected}, duplicates ${after.rows - after.contracts}`,
  );
  if (after.rows !== expected || after.contracts !== after.rows) process.exitCode = 1;
} finally {
  await gateway.stop();
  for (const database of databases) await database.drop();
  fs.rmSync(work, { recursive: true, force: true });
}
