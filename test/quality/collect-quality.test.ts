import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { main } from "../../src/cli/main.ts";
import { runCollection } from "../../src/collect/run.ts";
import { configSchema } from "../../src/config/schema.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { IbClient } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { silent } from "../collect/harness.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { createServerDatabase } from "../helpers/db.ts";

const DAY_1 = "2025-01-14";
const DAY_2 = "2025-01-15";
/** Options whose conId is a multiple of this quote crossed on DAY_2. */
const CROSS_EVERY = 5;

type QualityEvent = Extract<ChainvaultEvent, { kind: "quality_checked" }>;

/** `chainvault …` in this process against DATABASE_URL; stdout and the exit code. */
async function chainvault(
  argv: string[],
  databaseUrl: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  const environment = {
    DATABASE_URL: process.env.DATABASE_URL,
    CHAINVAULT_CONFIG: process.env.CHAINVAULT_CONFIG,
  };
  process.env.DATABASE_URL = databaseUrl;
  delete process.env.CHAINVAULT_CONFIG;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await main(["node", "chainvault", ...argv, "--data-dir", "unused"]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
    for (const [name, value] of Object.entries(environment)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe("quality checks after a real collection (PostgreSQL, simulated gateway)", () => {
  let sim: Simulator;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  let ib: IbClient;
  const events: QualityEvent[] = [];
  const log = capturedLog();

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: DAY_1, timeEt: "16:45" },
      frozenClock: true,
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 0,
    });
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 7,
      maxMessagesPerSecond: 5000,
      maxMarketDataLines: 500,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      logger: silent,
    });
    const config = configSchema.parse({ selection: { mode: "window", max_days_to_expiry: 10 } });
    const bus = new EventBus(silent);
    bus.on((event) => {
      if (event.kind === "quality_checked") events.push(event);
    });
    const deps = { db, ib, config, logger: log.logger, events: bus };
    await runCollection({ type: "eod", symbols: ["PLTR"] }, deps);
    sim.clock.set(etInstant(DAY_2, "16:45"));
    sim.faults.set({ crossedQuoteEvery: CROSS_EVERY });
    await runCollection({ type: "eod", symbols: ["PLTR"] }, deps);
  }, 120_000);

  afterAll(async () => {
    await ib?.close();
    await sim?.close();
    await db?.close();
    await server?.drop();
  });

  async function runIdOf(date: string): Promise<string> {
    const run = await db.query<{ run_id: string }>(
      "SELECT run_id::text FROM collection_runs WHERE collection_date = $1 AND symbol = 'PLTR' AND collection_type = 'eod'",
      [date],
    );
    return run.rows[0]!.run_id;
  }

  it("finds nothing in the simulator's clean day, and says so on the event bus", async () => {
    const issues = await db.query(
      "SELECT rule, message FROM data_quality_issues WHERE collection_date = $1",
      [DAY_1],
    );
    expect(issues.rows).toEqual([]);
    const event = events.find((candidate) => candidate.date === DAY_1)!;
    expect(event).toMatchObject({ symbol: "PLTR", type: "eod", runId: await runIdOf(DAY_1), score: 1 });
    expect(event.contracts).toBeGreaterThan(10);
    expect(event.issues.length).toBe(12);
    expect(event.issues.every((rule) => rule.count === 0)).toBe(true);
  });

  it("stores a crossed_market issue with the run's run_id for exactly the crossed contracts", async () => {
    const expected = await db.query<{ contract_id: number }>(
      `SELECT q.contract_id FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
        WHERE q.collection_date = $1 AND q.collection_type = 'eod' AND c.ib_con_id % $2 = 0 AND q.bid_price_e4 > 0
        ORDER BY q.contract_id`,
      [DAY_2, CROSS_EVERY],
    );
    expect(expected.rows.length).toBeGreaterThan(3);
    const found = await db.query<{ contract_id: number; run_id: string; severity: string; symbol: string }>(
      `SELECT contract_id, run_id::text, severity, symbol FROM data_quality_issues
        WHERE collection_date = $1 AND rule = 'crossed_market' ORDER BY contract_id`,
      [DAY_2],
    );
    expect(found.rows.map((row) => row.contract_id)).toEqual(expected.rows.map((row) => row.contract_id));
    const runId = await runIdOf(DAY_2);
    expect(runId).not.toBe(await runIdOf(DAY_1));
    expect(new Set(found.rows.map((row) => `${row.run_id} ${row.severity} ${row.symbol}`))).toEqual(
      new Set([`${runId} error PLTR`]),
    );
    const event = events.find((candidate) => candidate.date === DAY_2)!;
    expect(event.runId).toBe(runId);
    expect(event.issues.find((rule) => rule.rule === "crossed_market")).toMatchObject({
      severity: "error",
      count: expected.rows.length,
    });
    // Nothing else is wrong with the simulator's data, the day-over-day rules included (day 1 is the previous day).
    expect(event.issues.filter((rule) => rule.count > 0).map((rule) => rule.rule)).toEqual([
      "crossed_market",
    ]);
    expect(event.score).toBeCloseTo(1 - expected.rows.length / event.contracts, 12);
    const [line] = log.matching(/^quality checked: issues recorded/);
    expect(line).toMatchObject({
      symbol: "PLTR",
      date: DAY_2,
      runId,
      issues: { crossed_market: expected.rows.length },
    });
    console.log(
      "MS",
      log.matching(/^quality checked/).map((l) => l.ms),
      event.contracts,
    );
    // The collection itself is untouched by what the checks found.
    const status = await db.query("SELECT status FROM daily_collection_status WHERE collection_date = $1", [
      DAY_2,
    ]);
    expect(status.rows).toEqual([{ status: "completed" }]);
  });

  it("`chainvault quality --json` reports them with the run_id and exits 3; a clean day exits 0", async () => {
    const bad = await chainvault(["quality", "--json", "--date", DAY_2, "--symbols", "pltr"], server.url);
    expect(bad.code).toBe(3);
    const report = JSON.parse(bad.stdout) as {
      date: string;
      symbols: string[];
      totals: { error: number };
      issues: {
        symbol: string;
        collection_type: string;
        rule: string;
        severity: string;
        count: number;
        run_id: string;
        examples: string[];
      }[];
    };
    expect(report.date).toBe(DAY_2);
    expect(report.symbols).toEqual(["PLTR"]);
    const crossed = report.issues.find((group) => group.rule === "crossed_market")!;
    const stored = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM data_quality_issues WHERE collection_date = $1 AND rule = 'crossed_market'",
      [DAY_2],
    );
    expect(crossed).toMatchObject({
      symbol: "PLTR",
      collection_type: "eod",
      severity: "error",
      count: stored.rows[0]!.n,
      run_id: await runIdOf(DAY_2),
    });
    expect(crossed.examples).toHaveLength(3);
    expect(crossed.examples[0]).toMatch(/^PLTR .*: bid [\d.]+ above ask [\d.]+$/);
    expect(report.totals.error).toBeGreaterThanOrEqual(crossed.count);

    const text = await chainvault(["quality", "--date", DAY_2, "--examples", "1"], server.url);
    expect(text.code).toBe(3);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`quality issues on ${DAY_2}`);
    expect(lines[1]).toMatch(/^symbol\s+type\s+rule\s+severity\s+count\s+run\s+example$/);
    expect(lines[2]).toMatch(
      new RegExp(`^PLTR\\s+eod\\s+crossed_market\\s+error\\s+${crossed.count}\\s+${crossed.run_id}\\s+PLTR `),
    );
    expect(lines.at(-1)).toMatch(new RegExp(`^${crossed.count} errors, 0 warnings, 0 info; `));

    const clean = await chainvault(["quality", "--json", "--date", DAY_1], server.url);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({
      date: DAY_1,
      issues: [],
      totals: { error: 0, warning: 0, info: 0 },
    });
  });

  it("refuses bad flags with exit 2 before touching the database", async () => {
    for (const [argv, message] of [
      [["quality", "--date", "2025-02-30"], /--date must be a calendar date/],
      [["quality", "--examples", "many"], /--examples must be a whole number/],
      [["quality", "--symbols", " , "], /--symbols needs at least one ticker/],
    ] as const) {
      const result = await chainvault([...argv], "postgres://nobody@127.0.0.1:1/none");
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
