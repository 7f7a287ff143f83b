// bench/scale: one EOD collection of SPY + PLTR + TSLA (selection: all) split into parts (`chainvault collect
// --split`) and taken by `chainvault worker` processes, each with a gateway of its own, on one PostgreSQL.
// Three simulated gateways run in processes of their own at IB's limits (50 msg/s, 100 lines each), each its own
// login in a `gateways:` config. Run A: 1 worker (g1) → T1; run B: 3 workers (g1, g2, g3) → T3, each into a fresh,
// migrated database on the server (CHAINVAULT_TEST_PG_URL), so nothing is skipped. Prints the contracts, the
// messages the gateways received, T1, T3, the speed-up T1/T3 (goal >= 2.7), the 3-gateway pacing lower bound
// (messages ÷ 3 × IB's 50/s) and T3 ÷ bound (goal <= 1.2), whether every contract was stored once, each gateway's
// busy interval (the tail), and one JSON line with every figure. Processes and databases are cleaned up on any
// exit, SIGINT and SIGTERM included. Wall times run from spawning `collect --split` (workers already connected)
// to its exit, so both include one CLI start-up. The simulators compute their chains and quotes once before the
// runs (--cold: not), as a long-running gateway has (unwarmed, 3 of 5 runs B met an error 100 early on).
//   npm run bench:scale [-- --part-seconds 10 --pacer-rate 45 --workers 1,3 --date 2025-01-15 --keep-logs --cold]
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { IB_MARKET_DATA_LINES, IB_MESSAGES_PER_SECOND } from "../src/ib/limits.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { createServerDatabase } from "../test/helpers/db.ts";
import { startGatewayProcess } from "./gateway-process.ts";
import type { GatewayProcess, GatewayStats } from "./gateway-process.ts";

const { values } = parseArgs({
  options: {
    symbols: { type: "string", default: "SPY,PLTR,TSLA" },
    date: { type: "string", default: "2025-01-15" },
    type: { type: "string", default: "eod" },
    "part-seconds": { type: "string", default: "10" },
    /** Each gateway's pacer (gateways[].max_messages_per_second), under IB's 50. */
    "pacer-rate": { type: "string", default: "45" },
    /** The runs, in order, as worker counts; the speed-up is the first run's time over the last's. */
    workers: { type: "string", default: "1,3" },
    "keep-logs": { type: "boolean", default: false },
    /** Start the simulators cold: no chains and quotes computed before the first run. */
    cold: { type: "boolean", default: false },
  },
});
const GATEWAYS = 3;
const BIN = path.join(import.meta.dirname, "..", "bin", "chainvault.js");
const symbols = values.symbols.split(",");
const partSeconds = Number(values["part-seconds"]);
const pacerRate = Number(values["pacer-rate"]);
const runs = values.workers.split(",").map(Number);
if (runs.some((n) => !Number.isInteger(n) || n < 1 || n > GATEWAYS))
  throw new Error(`--workers is a list of worker counts from 1 to ${GATEWAYS}, e.g. 1,3`);
const SPEED_UP_GOAL = 2.7;
const BOUND_RATIO_GOAL = 1.2;
/** How often the gateways' counters are read while a run proceeds (the busy intervals' resolution). */
const SAMPLE_MS = 500;
/** A gateway receiving more than this many messages per second is busy (heartbeats are far fewer). */
const BUSY_RATE = 5;
/** What `chainvault worker` logs once connected to its gateway, just before it subscribes to the part queue. */
const READY_LINE = "taking parts";

// ---- cleanup: every process and database this bench starts, on any exit ----------------------------------
const children = new Set<ChildProcess>();
const databases = new Set<{ name: string; drop(): Promise<void> }>();
const gateways: GatewayProcess[] = [];
const work = await mkdtemp(path.join(os.tmpdir(), "chainvault-bench-scale-"));
let cleaning: Promise<void> | undefined;
/** Logs are kept with --keep-logs, and whenever the bench fails. */
let keepLogs = values["keep-logs"];

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled([...children].map((child) => stopChild(child)));
    await Promise.allSettled(gateways.map((gateway) => gateway.stop()));
    await Promise.allSettled([...databases].map((database) => database.drop()));
    if (keepLogs) console.log(`logs kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => {
    console.error(`bench/scale: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(code));
  });
}

// ---- processes --------------------------------------------------------------------------------------------
/** The bench's environment without what would point the CLI elsewhere, plus the run's database. */
function cliEnvironment(databaseUrl: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["CHAINVAULT_CONFIG", "CHAINVAULT_DATA_DIR", "IB_HOST", "IB_PORT", "IB_CLIENT_ID"])
    delete env[name];
  return { ...env, DATABASE_URL: databaseUrl };
}

interface Cli {
  child: ChildProcess;
  logFile: string;
  stdout(): string;
  /** stdout and stderr together, as they came. */
  output(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `chainvault ARGS`, stdout kept in memory and both streams appended to logFile. */
function startCli(args: string[], databaseUrl: string, logFile: string): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cliEnvironment(databaseUrl),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const log = createWriteStream(logFile);
  let stdout = "";
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
    log.write(chunk);
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      children.delete(child);
      log.end();
      resolve({ code, signal });
    }),
  );
  return { child, logFile, stdout: () => stdout, output: () => output, done };
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- the database -----------------------------------------------------------------------------------------
async function freshDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const database = await createServerDatabase();
  databases.add(database);
  const db = await openDatabase({ url: database.url, dataDir: work });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  return {
    ...database,
    async drop() {
      databases.delete(database);
      await database.drop();
    },
  };
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

interface Stored {
  rows: number;
  /** The table's idempotency key, (contract_id, collection_type, time). */
  keys: number;
  /** One row per contract and collection: (collection_date, contract_id, collection_type). */
  contractKeys: number;
  status: { symbol: string; status: string; records_collected: number }[];
}

async function stored(url: string): Promise<Stored> {
  const [counts] = await query<{ rows: number; keys: number; contract_keys: number }>(
    url,
    `SELECT count(*)::int AS rows,
            count(DISTINCT (contract_id, collection_type, time))::int AS keys,
            count(DISTINCT (collection_date, contract_id, collection_type))::int AS contract_keys
       FROM market_data_ticks`,
  );
  const status = await query<{ symbol: string; status: string; records_collected: number }>(
    url,
    "SELECT symbol, status, records_collected FROM daily_collection_status ORDER BY symbol",
  );
  return { rows: counts!.rows, keys: counts!.keys, contractKeys: counts!.contract_keys, status };
}

// ---- the configuration ------------------------------------------------------------------------------------
function configYaml(): string {
  const entries = gateways.map((gateway, index) =>
    [
      `  - name: g${index + 1}`,
      `    host: ${gateway.host}`,
      `    port: ${gateway.port}`,
      `    client_id: ${11 + index}`,
      `    max_messages_per_second: ${pacerRate}`,
      `    max_market_data_lines: 95`,
    ].join("\n"),
  );
  return [
    `symbols: [${symbols.join(", ")}]`,
    "selection:",
    "  mode: all",
    "gateways:",
    ...entries,
    "collect:",
    "  split: true",
    `  part_seconds: ${partSeconds}`,
    "log:",
    "  level: info",
    "",
  ].join("\n");
}

// ---- one run ----------------------------------------------------------------------------------------------
interface GatewayActivity {
  name: string;
  messages: number;
  /** From its worker's log: parts run, error-100 slow-downs of its pacer, seconds between a part and the next. */
  parts: number;
  slowDowns: number;
  gapSeconds: number;
  /** Seconds from the start of the run to the first and last sample in which it was busy (null: never). */
  busyFrom: number | null;
  busyTo: number | null;
}

interface RunResult {
  workers: number;
  seconds: number;
  exitCode: number | null;
  /** Client messages the gateways received from the start of `collect --split` to its exit. */
  messages: number;
  contracts: number | null;
  messagesSentByCollector: number | null;
  collectorBoundSeconds: number | null;
  stored: Stored;
  gateways: GatewayActivity[];
  /** The run's end minus the first gateway's going idle: the time some gateways sat idle at the end. */
  tailSeconds: number | null;
  loadAverage: number[];
}

async function statsOfAll(): Promise<GatewayStats[]> {
  return await Promise.all(gateways.map((gateway) => gateway.stats()));
}

/**
 * Waits until every worker is connected to its gateway and subscribed to the part queue: its gateway has one
 * more client connection than before the workers started, and the worker has logged READY_LINE.
 */
async function waitForWorkers(workers: Cli[], before: GatewayStats[], ceilingMs = 120_000): Promise<void> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    for (const worker of workers)
      if (worker.child.exitCode !== null || worker.child.signalCode !== null)
        throw new Error(`a worker exited before the run started:\n${await tail(worker.logFile)}`);
    const now = await statsOfAll();
    if (
      workers.every(
        (worker, index) =>
          now[index]!.connections > before[index]!.connections && worker.output().includes(READY_LINE),
      )
    )
      return;
    if (Date.now() > deadline)
      throw new Error(
        `the workers were not ready (connected and "${READY_LINE}") within ${ceilingMs / 1000} s:\n` +
          (await Promise.all(workers.map((worker) => tail(worker.logFile, 5)))).join("\n"),
      );
    await sleep(200);
  }
}

/** What a worker's JSON log lines tell about its parts (diagnostics only: a missing line counts nothing). */
function workerLogFigures(output: string): { parts: number; slowDowns: number; gapSeconds: number } {
  let parts = 0;
  let slowDowns = 0;
  let gapMs = 0;
  let finishedAt: number | null = null;
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { time?: number; msg?: string; code?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.code === 100) slowDowns++;
    if (entry.msg === "part started" && finishedAt !== null && entry.time !== undefined)
      gapMs += entry.time - finishedAt;
    if (entry.msg === "part finished") {
      parts++;
      finishedAt = entry.time ?? null;
    }
  }
  return { parts, slowDowns, gapSeconds: Math.round(gapMs) / 1000 };
}

interface CollectSummaryJson {
  symbols?: { contracts_selected?: number }[];
  messages_sent?: number;
  pacing_lower_bound_s?: number;
}

async function run(workerCount: number, label: string): Promise<RunResult> {
  const database = await freshDatabase();
  const configFile = path.join(work, "chainvault.yaml");
  const workers: Cli[] = [];
  try {
    const idle = await statsOfAll();
    for (let index = 0; index < workerCount; index++)
      workers.push(
        startCli(
          ["worker", "--config", configFile, "--gateway", `g${index + 1}`],
          database.url,
          path.join(work, `${label}-worker-g${index + 1}.log`),
        ),
      );
    await waitForWorkers(workers, idle);
    const before = await statsOfAll();
    const samples: { t: number; received: number[] }[] = [];
    const started = performance.now();
    const collect = startCli(
      [
        "collect",
        "--split",
        "--config",
        configFile,
        "--symbols",
        symbols.join(","),
        "--type",
        values.type,
        "--date",
        values.date,
        "--json",
      ],
      database.url,
      path.join(work, `${label}-collect.log`),
    );
    let finished = false;
    const sampler = (async () => {
      while (!finished) {
        const now = await statsOfAll();
        samples.push({
          t: (performance.now() - started) / 1000,
          received: now.map((s) => s.messagesReceived),
        });
        await sleep(SAMPLE_MS);
      }
    })();
    // A worker that dies mid-run is reported; the collection may still finish on the others.
    for (const worker of workers)
      void worker.done.then(({ code, signal }) => {
        if (!finished) console.error(`${label}: ${worker.logFile} exited early (${code ?? signal})`);
      });
    const { code } = await collect.done;
    const seconds = (performance.now() - started) / 1000;
    finished = true;
    await sampler;
    const after = await statsOfAll();
    if (code !== 0)
      console.error(`${label}: collect --split exited ${code}:\n${await tail(collect.logFile)}`);
    let summary: CollectSummaryJson = {};
    try {
      summary = JSON.parse(collect.stdout()) as CollectSummaryJson;
    } catch {
      console.error(`${label}: collect --split printed no JSON summary`);
    }
    const activity = gateways.map((_, index): GatewayActivity => {
      let busyFrom: number | null = null;
      let busyTo: number | null = null;
      for (let i = 1; i < samples.length; i++) {
        const previous = samples[i - 1]!;
        const sample = samples[i]!;
        const rate = (sample.received[index]! - previous.received[index]!) / (sample.t - previous.t);
        if (rate > BUSY_RATE) {
          busyFrom ??= previous.t;
          busyTo = sample.t;
        }
      }
      return {
        name: `g${index + 1}`,
        messages: after[index]!.messagesReceived - before[index]!.messagesReceived,
        ...workerLogFigures(workers[index]?.output() ?? ""),
        busyFrom,
        busyTo,
      };
    });
    const ends = activity.slice(0, workerCount).flatMap((g) => (g.busyTo === null ? [] : [g.busyTo]));
    return {
      workers: workerCount,
      seconds,
      exitCode: code,
      messages: activity.reduce((sum, g) => sum + g.messages, 0),
      contracts: summary.symbols?.reduce((sum, entry) => sum + (entry.contracts_selected ?? 0), 0) ?? null,
      messagesSentByCollector: summary.messages_sent ?? null,
      collectorBoundSeconds: summary.pacing_lower_bound_s ?? null,
      stored: await stored(database.url),
      gateways: activity,
      tailSeconds: ends.length === 0 ? null : seconds - Math.min(...ends),
      loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    };
  } finally {
    await Promise.allSettled(workers.map((worker) => stopChild(worker.child)));
    await database.drop();
  }
}

// ---- main -------------------------------------------------------------------------------------------------
const fixed = (value: number | null, digits = 1) => (value === null ? "-" : value.toFixed(digits));
let failed = false;
try {
  for (let index = 0; index < GATEWAYS; index++)
    gateways.push(await startGatewayProcess(values.date, {}, values.cold ? [] : symbols));
  await writeFile(path.join(work, "chainvault.yaml"), configYaml());
  console.log(
    `bench/scale: ${symbols.join("+")} ${values.type} ${values.date}, selection all; ${GATEWAYS} simulated gateways ` +
      `(own processes, ${IB_MESSAGES_PER_SECOND} msg/s and ${IB_MARKET_DATA_LINES} lines each, one login each, ${values.cold ? "cold" : "chains and quotes computed once before the runs"}); ` +
      `pacer ${pacerRate} msg/s, 95 lines per gateway; collect.part_seconds ${partSeconds}; PostgreSQL ${new URL(process.env.CHAINVAULT_TEST_PG_URL ?? "postgres://127.0.0.1:5432").host}`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(" ")} at the start (shared: other processes compete for the cores)`,
  );
  const results: RunResult[] = [];
  for (const [index, workerCount] of runs.entries()) {
    const label = `run-${String.fromCharCode(65 + index)}`;
    const result = await run(workerCount, label);
    results.push(result);
    const bound = result.messages / (workerCount * IB_MESSAGES_PER_SECOND);
    console.log(
      `${label}: ${workerCount} worker${workerCount === 1 ? " " : "s"} (${gateways
        .slice(0, workerCount)
        .map((_, i) => `g${i + 1}`)
        .join(
          ",",
        )}): ${fixed(result.seconds)} s, exit ${result.exitCode}, contracts ${result.contracts ?? "-"}, ` +
        `messages ${result.messages}, ` +
        `${workerCount}-gateway bound ${fixed(bound)} s, ratio ${fixed(result.seconds / bound, 3)}, load ${result.loadAverage.join(" ")}`,
    );
    for (const g of result.gateways)
      console.log(
        `  ${g.name}: ${String(g.messages).padStart(6)} messages, ${g.parts} parts, ${g.slowDowns} × error 100, ` +
          `${fixed(g.gapSeconds, 2)} s between parts, busy ${fixed(g.busyFrom)}–${fixed(g.busyTo)} s` +
          (g.busyFrom !== null && g.busyTo !== null && g.busyTo > g.busyFrom
            ? ` (${fixed(g.messages / (g.busyTo - g.busyFrom))} msg/s while busy)`
            : ""),
      );
    console.log(
      `  stored: ${result.stored.rows} rows, ${result.stored.keys} distinct (contract, type, time), ` +
        `${result.stored.contractKeys} distinct (date, contract, type); tail ${fixed(result.tailSeconds)} s; ` +
        `status ${result.stored.status.map((s) => `${s.symbol} ${s.status} ${s.records_collected}`).join(", ")}`,
    );
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  const boundLast = last.messages / (last.workers * IB_MESSAGES_PER_SECOND);
  const speedUp = results.length > 1 ? first.seconds / last.seconds : null;
  const storedOnce = results.every(
    (r) =>
      r.stored.rows > 0 &&
      r.stored.rows === r.stored.keys &&
      r.stored.rows === r.stored.contractKeys &&
      (r.contracts === null || r.stored.rows === r.contracts),
  );
  if (speedUp !== null)
    console.log(
      `speed-up T${first.workers}/T${last.workers}: ${fixed(first.seconds)} / ${fixed(last.seconds)} = ${fixed(speedUp, 2)} (goal >= ${SPEED_UP_GOAL})`,
    );
  console.log(
    `${last.workers}-gateway pacing lower bound: ${last.messages} messages / (${last.workers} × IB's ${IB_MESSAGES_PER_SECOND} msg/s) = ${fixed(boundLast)} s; ` +
      `T${last.workers} / bound = ${fixed(last.seconds / boundLast, 3)} (goal <= ${BOUND_RATIO_GOAL}; the pacer's own ceiling is ${fixed(IB_MESSAGES_PER_SECOND / pacerRate, 3)})`,
  );
  console.log(
    `stored once: ${storedOnce ? "yes" : "NO"} (${results.map((r) => `${r.stored.rows} rows = ${r.stored.contractKeys} distinct keys`).join("; ")})`,
  );
  console.log(
    JSON.stringify({
      bench: "scale",
      symbols,
      date: values.date,
      type: values.type,
      part_seconds: partSeconds,
      simulators_warmed: !values.cold,
      pacer_messages_per_second: pacerRate,
      cores: os.cpus().length,
      runs: results,
      speed_up: speedUp === null ? null : Math.round(speedUp * 1000) / 1000,
      bound_s: Math.round(boundLast * 1000) / 1000,
      ratio_to_bound: Math.round((last.seconds / boundLast) * 1000) / 1000,
      stored_once: storedOnce,
    }),
  );
  failed = !storedOnce || results.some((r) => r.exitCode !== 0);
} catch (error) {
  failed = true;
  keepLogs = true;
  console.error(error instanceof Error ? error.message : error);
} finally {
  if (failed) keepLogs = true;
  await cleanup();
}
process.exitCode = failed ? 1 : 0;
