import { symbolNames } from "../../src/config/symbols.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { configSchema } from "../../src/config/schema.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { collectWithGateway } from "../../src/daemon/collect-with-gateway.ts";
import { Daemon } from "../../src/daemon/daemon-process.ts";
import { openDaemonDatabase, watchOutages } from "../../src/daemon/engine.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { migrate } from "../../src/store/migrate.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { startThrowawayCluster } from "../helpers/pg-cluster.ts";
import type { ThrowawayCluster } from "../helpers/pg-cluster.ts";
import { waitUntil } from "../helpers/wait.ts";
import { testPlan } from "../daemon/harness.ts";
import { startFaultSetup } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

/**
 * Item 3 of issue 9, the daemon's side: its database stops while a slot's collection is in flight.
 * The daemon must ride it out with one warning and one recovery line (it used to log a stack trace
 * per pg-boss poll and scheduler tick), and the slot must complete with every quote.
 */

const DATE = "2025-01-15";

async function storedRows(url: string): Promise<{ rows: number; keys: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (contract_id, collection_type, time))::int AS keys
         FROM market_data_ticks WHERE collection_date = $1`,
      [DATE],
    );
    return result.rows[0]!;
  } finally {
    await client.end();
  }
}

describe("the daemon during a database outage (throwaway PostgreSQL)", () => {
  let cluster: ThrowawayCluster;
  let setup: FaultSetup;
  let sim: Simulator;
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-spool-"));

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    setup = await startFaultSetup({
      engine: "none",
      date: DATE,
      sim: { snapshotLatencyMs: 0, frozenClock: true },
    });
    ({ sim } = setup);
  });
  afterAll(async () => {
    await setup?.close();
    await cluster?.destroy();
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it("(d) rides out an outage mid-slot with one warning and one recovery line; the slot completes", async () => {
    const log = capturedLog();
    const url = await cluster.createDatabase("outage_d");
    const handle = await openDaemonDatabase({ url, dataDir: "unused", logger: log.logger });
    await migrate(handle.db);
    const config = configSchema.parse({
      symbols: ["SPY"],
      ib: { port: sim.port, client_id: 31, max_messages_per_second: 300 },
      selection: { max_days_to_expiry: 3 },
      collect: { include_vix: false, write_batch_rows: 50, spool_dir: spoolDir, max_db_outage_seconds: 120 },
      schedule: { timezone: "Asia/Jerusalem" },
    });
    const clock = new ManualClock(etInstant(DATE, "16:44"));
    const outage = watchOutages(handle.db, log.logger, config.collect.max_db_outage_seconds * 1000);
    const daemon = await Daemon.start({
      db: handle.db,
      queue: handle.queue,
      plan: testPlan(),
      clock,
      logger: log.logger,
      symbols: symbolNames(config.symbols),
      gapCheckDays: 10,
      collect: collectWithGateway(handle.db, config, log.logger, outage),
      outage,
      daemonId: "outage-d",
      loop: true,
      firstStartLookbackMs: 0,
      tickMs: 60_000,
      queueOptions: {
        pollingIntervalSeconds: 0.5,
        retryLimit: 2,
        retryDelaySeconds: 1,
        retryDelayMaxSeconds: 2,
        heartbeatSeconds: 10,
        superviseIntervalSeconds: 1,
      },
    });
    let stopped = false;
    try {
      await daemon.scheduler.tick();
      clock.set(etInstant(DATE, "16:45"));
      // `daemon --once`: plan what is due, then wait until the queue has nothing left, through the outage.
      const pass = daemon.runDue(new AbortController().signal, 50);
      await waitUntil(async () => (await storedRows(url)).rows >= 100, { what: "100 stored quotes" });
      await cluster.stop("fast");
      // The scheduler loop ticks into the outage too.
      clock.set(etInstant(DATE, "16:46"));
      // Queue polls, heartbeats, the scheduler tick and the collector's writes all hit the outage.
      await waitUntil(() => outage.active && outage.failures >= 20, {
        what: "20 operations failing against the stopped database",
      });
      await cluster.start();
      const tick = await pass;
      await daemon.stop(30_000);
      stopped = true;

      expect(tick.queued.map((slot) => `${slot.type}:${slot.symbol}:${slot.date}`)).toContain(
        `eod:SPY:${DATE}`,
      );
      const planned = log.matching(/^collecting$/);
      expect(planned).toHaveLength(1);
      const selected = Number(planned[0]!.selected);
      const stored = await storedRows(url);
      expect(stored).toEqual({ rows: selected, keys: selected });
      const status = await handle.db.query<{ status: string; records_collected: number }>(
        "SELECT status, records_collected FROM daily_collection_status WHERE symbol = 'SPY' AND collection_type = 'eod'",
      );
      expect(status.rows).toEqual([{ status: "completed", records_collected: selected }]);
      const runs = await handle.db.query<{ outcome: string }>(
        "SELECT outcome FROM daemon_slot_runs WHERE slot_key = $1",
        [`eod:SPY:${DATE}`],
      );
      // An outage longer than the heartbeat lets pg-boss hand the slot out again: that attempt finds it done.
      expect(runs.rows.filter((run) => run.outcome === "completed")).toHaveLength(1);
      expect(runs.rows.filter((run) => run.outcome !== "completed" && run.outcome !== "skipped")).toEqual([]);

      expect(log.matching(/database unreachable since/)).toHaveLength(1);
      const recovered = log.matching(/database reachable again after/);
      expect(recovered).toHaveLength(1);
      expect(Number(recovered[0]!.failedOperations)).toBeGreaterThanOrEqual(20);
      // No error lines and no stack traces: the outage is the one warning and the one recovery line.
      expect(log.lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(log.lines.filter((line) => JSON.stringify(line).includes("    at "))).toEqual([]);
      expect(fs.readdirSync(spoolDir)).toEqual([]);
    } finally {
      if (!stopped) await daemon.kill();
      if (!cluster.running) await cluster.start();
      await outage.close();
      await handle.db.close();
    }
  });
});
