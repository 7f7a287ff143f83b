import { afterEach, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import { configSchema } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import { openTestDatabase } from "../helpers/db.ts";
import { startSimulatorThread } from "../helpers/sim-thread.ts";
import { silent, startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const DATE = "2025-01-15";
const SMALL = { selection: { mode: "window", max_days_to_expiry: 7 }, collect: { include_vix: false } };

// Pacing is about the gateway, not the database: the embedded engine is enough here.
describe("pacing and connection faults against IB's limits", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("stays under IB's 50 msg/s and 100 lines with the default pacer (45/s, 95 lines): no 100, no 101", async () => {
    // The gateway on its own thread, as a real one is in its own process (see sim-thread.ts).
    const sim = await startSimulatorThread({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: 50,
      lines: 100,
    });
    const { db, drop } = await openTestDatabase("pglite");
    const ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 3,
      maxMessagesPerSecond: 45,
      maxMarketDataLines: 95,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      logger: silent,
    });
    try {
      const summary = await runCollection(
        { symbols: ["PLTR"], date: DATE, type: "eod" },
        { db, ib, config: configSchema.parse(SMALL), logger: silent },
      );
      expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
      expect(summary.messages_sent).toBeGreaterThan(100);
      expect(ib.errorCounts.get(100)).toBeUndefined();
      expect(ib.errorCounts.get(101)).toBeUndefined();
      // The lower bound counts every message at IB's 50/s.
      expect(summary.pacing_lower_bound_s).toBeGreaterThanOrEqual(summary.messages_sent / 50);
    } finally {
      await ib.close();
      await sim.close();
      await drop();
    }
  });

  it("never holds more lines than the gateway allows", async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "16:45" },
      config: SMALL,
      sim: { lines: 6 },
      pacer: { messagesPerSecond: 5000, lines: 5 },
    });
    const summary = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    expect(h.ib.errorCounts.get(101)).toBeUndefined();
    expect(h.ib.marketDataLinesHeld).toBe(0);
  });

  it("reconnects after a dropped connection and completes the run", async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "16:45" },
      config: SMALL,
      pacer: { messagesPerSecond: 200, lines: 20 },
    });
    const harness = h;
    let dropped = false;
    const reconnected = new Promise<void>((resolve) => harness.ib.once("reconnected", () => resolve()));
    const timer = setInterval(() => {
      if (!dropped && harness.ib.messagesSent > 40) {
        dropped = true;
        harness.sim.faults.dropConnections();
      }
    }, 5);
    try {
      const summary = await h.collect({ symbols: ["PLTR"], date: DATE });
      await reconnected;
      expect(dropped).toBe(true);
      expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
      const rows = await h.db.query<{ n: string; contracts: string }>(
        "SELECT count(*) AS n, count(DISTINCT contract_id) AS contracts FROM market_data_ticks",
      );
      expect(rows.rows[0]?.n).toBe(rows.rows[0]?.contracts);
      expect(Number(rows.rows[0]?.n)).toBe(summary.symbols[0]?.contracts_selected);
    } finally {
      clearInterval(timer);
    }
  });

  it("dead-letters contracts that keep failing (10197), marks the run partial, and a later run fills the gap", async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "16:45" },
      config: SMALL,
      pacer: { messagesPerSecond: 2000, lines: 50 },
    });
    const harness = h;
    let blocked = false;
    const timer = setInterval(() => {
      if (!blocked && harness.ib.messagesSent > 60) {
        blocked = true;
        harness.sim.faults.set({ competingSession: true });
      }
    }, 2);
    let partial;
    try {
      partial = await h.collect({ symbols: ["PLTR"], date: DATE });
    } finally {
      clearInterval(timer);
    }
    const entry = partial.symbols[0]!;
    expect(entry.status).toBe("partial");
    expect(entry.quotes_stored).toBeGreaterThan(0);
    expect(entry.coverage).toBeLessThan(1);
    const letters = await h.db.query<{ n: string; category: string; error_code: number }>(
      "SELECT count(*) AS n, min(category) AS category, min(error_code) AS error_code FROM collection_dead_letters",
    );
    expect(Number(letters.rows[0]?.n)).toBe(entry.contracts_selected - entry.quotes_stored);
    expect(letters.rows[0]).toMatchObject({ category: "transient", error_code: 10197 });
    const status = await h.db.query<{ status: string; error_message: string }>(
      "SELECT status, error_message FROM daily_collection_status WHERE symbol = 'PLTR'",
    );
    expect(status.rows[0]?.status).toBe("partial");
    expect(status.rows[0]?.error_message).toMatch(/contracts failed/);

    h.sim.faults.set({ competingSession: undefined });
    const resumed = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(resumed.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
  });
});
