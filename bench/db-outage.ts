// bench/db-outage: `chainvault collect --symbols SPY,PLTR` (the CLI, as a user runs it) against the simulated
// gateway at IB's limits and a throwaway PostgreSQL cluster (test/helpers/pg-cluster.ts), once without a fault
// and once with the database crashed (pg_ctl stop -m immediate, or fast) for --outage seconds after 500 quotes
// are stored. Prints for each: exit code, wall time, rows, distinct keys, coverage, status rows, dead letters,
// and what is left in the spool. With --max-outage N (collect.max_db_outage_seconds) shorter than the outage, the
// crashed run ends on its own and a second run against the restarted database stores what it spooled.
//   npx tsx bench/db-outage.ts [--outage 60] [--mode immediate|fast] [--no-baseline] [--max-outage 300]
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startThrowawayCluster } from "../test/helpers/pg-cluster.ts";
import { startGatewayProcess } from "./gateway-process.ts";

const { values } = parseArgs({
  options: {
    outage: { type: "string", default: "60" },
    mode: { type: "string", default: "immediate" },
    "no-baseline": { type: "boolean", default: false },
    "max-outage": { type: "string", default: "300" },
  },
});
const outageSeconds = Number(values.outage);
const mode = values.mode === "fast" ? "fast" : "immediate";
const BIN = path.join(import.meta.dirname, "..", "bin", "chainvault.js");
const DATE = "2025-01-15";

interface SymbolLine {
  symbol: string;
  status: string;
  coverage: number;
  quotes_stored: number;
  contracts_selected: number;
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-outage-bench-"));
const cluster = await startThrowawayCluster();
const gateway = await startGatewayProcess(DATE);

async function run(name: string, crash: boolean, database = name): Promise<void> {
  const url = crash || database === name ? await cluster.createDatabase(database) : cluster.url(database);
  const spoolDir = path.join(work, `${database}-spool`);
  const configFile = path.join(work, `${name}.yaml`);
  fs.writeFileSync(
    configFile,
    `collect:\n  spool_dir: ${spoolDir}\n  max_db_outage_seconds: ${Number(values["max-outage"])}\n`,
  );
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [BIN, "collect", "--symbols", "SPY,PLTR", "--date", DATE, "--json", "--config", configFile],
    {
      env: { ...process.env, DATABASE_URL: url, IB_PORT: String(gateway.port), IB_CLIENT_ID: "5" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  if (crash) {
    let stored = 0;
    while (stored < 500) {
      // Before the run's migration the table does not exist yet.
      stored = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM market_data_ticks").then(
        (rows) => rows[0]!.n,
        () => 0,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await cluster.stop(mode);
    const stoppedAt = Date.now();
    console.log(
      `${name}: database stopped (${mode}) at ${(stoppedAt - started) / 1000} s with ${stored} rows`,
    );
    await new Promise((resolve) => setTimeout(resolve, outageSeconds * 1000));
    await cluster.start();
    console.log(`${name}: database back after ${(Date.now() - stoppedAt) / 1000} s`);
  }
  const code = await exited;
  const seconds = (Date.now() - started) / 1000;
  const summary = JSON.parse(stdout) as { symbols: SymbolLine[] };
  const [rows] = await query<{ rows: number; keys: number }>(
    url,
    "SELECT count(*)::int AS rows, count(DISTINCT (contract_id, collection_type, time))::int AS keys FROM market_data_ticks",
  );
  const status = await query<{ symbol: string; status: string; records_collected: number }>(
    url,
    "SELECT symbol, status, records_collected FROM daily_collection_status ORDER BY symbol",
  );
  const [deadLetters] = await query<{ n: number }>(
    url,
    "SELECT count(*)::int AS n FROM collection_dead_letters",
  );
  const selected = summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
  console.log(
    JSON.stringify({
      name,
      exitCode: code,
      seconds,
      selected,
      ...rows,
      discarded: selected - rows!.rows,
      deadLetters: deadLetters!.n,
      symbols: summary.symbols.map((entry) => [
        entry.symbol,
        entry.status,
        entry.coverage,
        entry.quotes_stored,
      ]),
      status: status.map((row) => [row.symbol, row.status, row.records_collected]),
      spoolLeft: fs.existsSync(spoolDir) ? fs.readdirSync(spoolDir) : [],
    }),
  );
  const outageLines = stderr
    .split("\n")
    .filter((line) => /unreachable|reachable again|spool|error|ERROR/.test(line));
  if (outageLines.length > 0) console.log(outageLines.join("\n"));
}

try {
  if (!values["no-baseline"]) await run("baseline", false);
  await run("crash", true);
  if (Number(values["max-outage"]) < outageSeconds) await run("rerun", false, "crash");
} finally {
  await gateway.stop();
  await cluster.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}
