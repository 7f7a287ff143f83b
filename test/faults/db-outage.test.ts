import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionProgress, CollectionSummary } from "../../src/collect/summary.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { Config } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import type { CapturedLog } from "../helpers/captured-log.ts";
import { startThrowawayCluster } from "../helpers/pg-cluster.ts";
import type { ThrowawayCluster } from "../helpers/pg-cluster.ts";
import { waitUntil } from "../helpers/wait.ts";
import { getCollectionRun, takeCollectionRun } from "../../src/store/repositories/collection-runs.ts";
import { startFaultSetup, startProcess, waitFor, writeConfig } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

/**
 * Item 3 of issue 9: a database outage costs time, not data. The collector runs against the simulated
 * gateway over a real socket and a PostgreSQL cluster of the test's own, which the test stops mid-run.
 */

const DATE = "2025-01-15"; // a Wednesday; the simulator's clock stands at 16:45 ET
const SYMBOLS = ["SPY", "PLTR"];

interface StoredRows {
  rows: number;
  distinctKeys: number;
  distinctContracts: number;
}

/** Counted over a connection of its own, so the run's pool is not involved. */
async function storedRows(url: string): Promise<StoredRows> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rows: number; keys: number; contracts: number }>(
      `SELECT count(*)::int AS rows,
              count(DISTINCT (contract_id, collection_type, time))::int AS keys,
              count(DISTINCT contract_id)::int AS contracts
         FROM market_data_ticks WHERE collection_date = $1 AND collection_type = 'eod'`,
      [DATE],
    );
    const row = result.rows[0]!;
    return { rows: row.rows, distinctKeys: row.keys, distinctContracts: row.contracts };
  } finally {
    await client.end();
  }
}

/** The (contract, time) keys stored for the day. */
async function storedKeys(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ key: string }>(
      "SELECT contract_id || '@' || time::text AS key FROM market_data_ticks WHERE collection_date = $1",
      [DATE],
    );
    return new Set(result.rows.map((row) => row.key));
  } finally {
    await client.end();
  }
}

async function statusRows(db: Database): Promise<Record<string, { status: string; records: number | null }>> {
  const result = await db.query<{ symbol: string; status: string; records_collected: number | null }>(
    "SELECT symbol, status, records_collected FROM daily_collection_status WHERE collection_date = $1",
    [DATE],
  );
  return Object.fromEntries(
    result.rows.map((row) => [row.symbol, { status: row.status, records: row.records_collected }]),
  );
}

function spoolFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".jsonl")) : [];
}

/** Rows in a spool file: its lines after the header. */
function spooledRows(file: string): number {
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length - 1;
}

describe("database outages during a collection (throwaway PostgreSQL)", () => {
  let cluster: ThrowawayCluster;
  let setup: FaultSetup;
  let sim: Simulator;
  let ib: IbClient;
  const spoolRoot = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-spool-"));

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    setup = await startFaultSetup({
      engine: "none",
      date: DATE,
      sim: { snapshotLatencyMs: 0, frozenClock: true },
    });
    ({ sim } = setup);
    // Paced so the snapshots of a symbol take a few seconds: long enough to stop the database inside them.
    ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 9,
      maxMessagesPerSecond: 300,
      maxMarketDataLines: 95,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      reconnectInitialDelayMs: 100,
      logger: pino({ level: "silent" }),
    });
  });
  afterAll(async () => {
    await ib?.close();
    await setup?.close();
    await cluster?.destroy();
    fs.rmSync(spoolRoot, { recursive: true, force: true });
  });

  /** A migrated database of its own in the cluster, a config writing small batches, and a captured log. */
  async function scenario(
    name: string,
    collect: Record<string, unknown>,
  ): Promise<{ url: string; db: Database; config: Config; log: CapturedLog; spoolDir: string }> {
    const log = capturedLog();
    const url = await cluster.createDatabase(name);
    const db = await openDatabase({ url, dataDir: "unused", logger: log.logger });
    await migrate(db);
    const spoolDir = path.join(spoolRoot, name);
    const config = configSchema.parse({
      selection: { max_days_to_expiry: 3 },
      collect: { include_vix: false, write_batch_rows: 50, spool_dir: spoolDir, ...collect },
    });
    return { url, db, config, log, spoolDir };
  }

  function collect(
    db: Database,
    config: Config,
    log: CapturedLog,
    progress: Map<string, number> = new Map(),
  ): Promise<CollectionSummary> {
    return runCollection(
      { symbols: SYMBOLS, type: "eod", date: DATE },
      {
        db,
        ib,
        config,
        logger: log.logger,
        onProgress: (step: CollectionProgress) => {
          if (step.phase === "snapshots") progress.set(step.symbol, step.done);
        },
      },
    );
  }

  const taken = (progress: Map<string, number>): number =>
    [...progress.values()].reduce((sum, done) => sum + done, 0);

  it("(a) crashed mid-run and restarted: the run completes at 100 % with nothing discarded", async () => {
    const { url, db, config, log, spoolDir } = await scenario("outage_a", { max_db_outage_seconds: 120 });
    try {
      const progress = new Map<string, number>();
      const started = performance.now();
      const run = collect(db, config, log, progress);
      await waitUntil(async () => (await storedRows(url)).rows >= 100, { what: "100 stored quotes" });
      const before = await storedKeys(url);
      await cluster.stop("immediate");
      const stoppedAt = taken(progress);
      // Quotes keep arriving while the database is away: the outage is noticed and 50 more are taken.
      await waitUntil(
        () => log.matching(/database unreachable since/).length > 0 && taken(progress) >= stoppedAt + 50,
        { what: "quotes taken while the database is away" },
      );
      await cluster.start();
      const summary = await run;
      const seconds = (performance.now() - started) / 1000;

      const selected = summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
      expect(summary.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
        ["SPY", "completed", 1],
        ["PLTR", "completed", 1],
      ]);
      const after = await storedRows(url);
      // Every row committed before the crash is still there.
      expect(before.size).toBeGreaterThanOrEqual(100);
      const afterKeys = await storedKeys(url);
      expect([...before].filter((key) => !afterKeys.has(key))).toEqual([]);
      expect(after.rows).toBe(selected);
      expect(after.distinctKeys).toBe(after.rows);
      expect(after.distinctContracts).toBe(after.rows);
      expect(await statusRows(db)).toEqual({
        SPY: { status: "completed", records: summary.symbols[0]!.contracts_selected },
        PLTR: { status: "completed", records: summary.symbols[1]!.contracts_selected },
      });
      const deadLetters = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM collection_dead_letters",
      );
      expect(deadLetters.rows[0]!.n).toBe(0);
      // The quotes taken during the outage went through the spool, and one warning and one recovery line say so.
      const drained = log.matching(/stored the quotes spooled while the database was away/);
      expect(drained.reduce((sum, line) => sum + Number(line.quotes), 0)).toBeGreaterThanOrEqual(50);
      expect(log.matching(/database unreachable since/)).toHaveLength(1);
      expect(log.matching(/database reachable again after/)).toHaveLength(1);
      expect(log.lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(spoolFiles(spoolDir)).toEqual([]);
      console.log(
        `db outage (a): ${after.rows}/${selected} rows, ${drained[0]?.quotes} spooled, run ${seconds.toFixed(1)} s`,
      );
    } finally {
      if (!cluster.running) await cluster.start();
      await db.close();
    }
  });

  it("(b) down longer than max_db_outage_seconds: the run ends honestly, the next run stores the spool", async () => {
    const { url, db, config, log, spoolDir } = await scenario("outage_b", {
      max_db_outage_seconds: 2,
      spool_memory_rows: 20,
    });
    try {
      const run = collect(db, config, log);
      await waitUntil(async () => (await storedRows(url)).rows >= 100, { what: "100 stored quotes" });
      await cluster.stop("fast");
      const first = await run;

      // The run ended without the database: SPY failed with a message naming the spool, the rest waits there.
      const spy = first.symbols.find((entry) => entry.symbol === "SPY")!;
      expect(spy.status).toBe("failed");
      expect(spy.error).toMatch(
        /unreachable since .*max_db_outage_seconds \(2 s\).* quotes taken meanwhile are kept in .*\.jsonl and stored by the next run/,
      );
      const files = spoolFiles(spoolDir);
      expect(files).toHaveLength(1);
      const spooled = spooledRows(path.join(spoolDir, files[0]!));
      expect(spooled).toBeGreaterThan(0);
      expect(spy.error).toContain(`; ${spooled} quotes taken meanwhile`);
      expect(log.matching(/kept in the spool; the next run stores them/)).toHaveLength(1);

      await cluster.start();
      // What the summary reported stored is what the database holds: nothing committed was lost.
      const between = await storedRows(url);
      expect(between.rows).toBe(spy.quotes_stored);
      expect(between.distinctKeys).toBe(between.rows);
      // The database could not be told; its row still says running until the next run settles it.
      expect((await statusRows(db)).SPY?.status).toBe("running");

      const second = await collect(db, config, log);
      // Before collecting, the next run settles the row the first one could not: partial, with what is stored.
      const settled = log.matching(/^settled a collection its run left running: interrupted: its run/);
      expect(settled.map((line) => [line.symbol, line.stored])).toContainEqual([
        "SPY",
        between.rows + spooled,
      ]);
      const replay = log.matching(/stored the quotes an earlier run spooled/);
      expect(replay).toHaveLength(1);
      expect(replay[0]).toMatchObject({ rows: spooled, stored: spooled, alreadyStored: 0 });
      const planned = log.matching(/^collecting$/).filter((line) => line.symbol === "SPY");
      expect(planned.at(-1)).toMatchObject({ alreadyStored: between.rows + spooled });

      const selected = second.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
      expect(second.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
        ["SPY", "completed", 1],
        ["PLTR", "completed", 1],
      ]);
      const after = await storedRows(url);
      expect(after.rows).toBe(selected);
      expect(after.distinctKeys).toBe(after.rows);
      expect(after.distinctContracts).toBe(after.rows);
      expect(await statusRows(db)).toEqual({
        SPY: { status: "completed", records: second.symbols[0]!.contracts_selected },
        PLTR: { status: "completed", records: second.symbols[1]!.contracts_selected },
      });
      expect(spoolFiles(spoolDir)).toEqual([]);
      console.log(
        `db outage (b): first run stored ${between.rows}, spooled ${spooled}; second run ${after.rows}/${selected}`,
      );
    } finally {
      if (!cluster.running) await cluster.start();
      await db.close();
    }
  });

  it("(c) a run whose key is taken over while it waits out an outage writes none of its spool once the database is back", async () => {
    const url = await cluster.createDatabase("outage_c");
    const spoolDir = path.join(spoolRoot, "outage_c");
    const config = writeConfig(spoolRoot, sim, {
      ib: { max_messages_per_second: 300, max_market_data_lines: 20 },
      selection: { max_days_to_expiry: 3 },
      collect: { write_batch_rows: 25, spool_dir: spoolDir, max_db_outage_seconds: 120 },
    });
    const setupDb = await openDatabase({ url, dataDir: "unused" });
    await migrate(setupDb);
    await setupDb.close();
    const run = startProcess(["collect", "--symbols", "SPY", "--date", DATE, "--json", "--config", config], {
      env: { DATABASE_URL: url },
    });
    try {
      await waitFor("100 stored quotes", async () => (await storedRows(url)).rows >= 100, { process: run });
      const before = await storedKeys(url);
      await cluster.stop("fast");
      await run.waitForStderr(/database unreachable since/);
      // Quotes go on arriving and are spooled; then the run is frozen, as a process is that the OS does
      // not schedule, while another run judges it gone and takes the key over.
      const sent = sim.stats().messagesReceived;
      await waitFor(
        "quotes taken while the database is away",
        () => sim.stats().messagesReceived >= sent + 100,
        {
          process: run,
        },
      );
      run.child.kill("SIGSTOP");
      await cluster.start();
      const db = await openDatabase({ url, dataDir: "unused" });
      try {
        const key = { collectionDate: DATE, symbol: "SPY", collectionType: "eod" };
        const owner = await getCollectionRun(db, key);
        const usurper = { runId: randomUUID(), pid: 4545, host: "collector-5.example" };
        expect(await takeCollectionRun(db, key, usurper, owner!.runId)).not.toBeNull();
        const taken = await storedKeys(url);
        run.child.kill("SIGCONT");
        const exit = await run.exited;

        expect(exit.code, run.stderr()).toBe(1);
        expect(run.stderr()).toMatch(/another run took this collection over while the database was away/);
        // Not one quote of the frozen run reached the table after the takeover, and nothing before it was lost.
        const after = await storedKeys(url);
        expect([...after].filter((key) => !taken.has(key))).toEqual([]);
        expect([...before].filter((key) => !after.has(key))).toEqual([]);
        const rows = await storedRows(url);
        expect(rows.distinctContracts).toBe(rows.rows);
        // The key is the new owner's: the frozen run neither released it nor recorded its status.
        expect(await getCollectionRun(db, key)).toMatchObject({ runId: usurper.runId, releasedAt: null });
        expect(await statusRows(db)).toMatchObject({ SPY: { status: "running" } });
        expect(spoolFiles(spoolDir)).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      run.child.kill("SIGCONT");
      run.child.kill("SIGKILL");
      if (!cluster.running) await cluster.start();
    }
  });
});
