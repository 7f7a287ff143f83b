import { afterEach, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import { configSchema } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import { silent, startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { openTestDatabase } from "../helpers/db.ts";
import { startSimulatorThread } from "../helpers/sim-thread.ts";
import { deadLetterCount, statusRows, storedQuotes } from "./checks.ts";
import { DATE } from "./fixture.ts";

const START = { date: DATE, timeEt: "16:45" } as const;
/** PLTR's 170 contracts; a request the gateway drops for pacing costs a 2 s timeout, not 5. */
const SMALL = {
  selection: { mode: "window", max_days_to_expiry: 2 },
  collect: { include_vix: false, snapshot_timeout_ms: 2000 },
};

describe("a gateway slower than configured costs time, not coverage", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("pacing storm: gateway at 20 msg/s, pacer at 45 → rate halved on error 100, 100 % coverage, at most one disconnect", async () => {
    // The gateway on its own thread, as a real one is in its own process: its one-second window is not
    // distorted by the client's event loop.
    const sim = await startSimulatorThread({ port: 0, start: START, rate: 20, lines: 100 });
    const { db, drop } = await openTestDatabase("postgres");
    const ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 4,
      maxMessagesPerSecond: 45,
      maxMarketDataLines: 95,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      logger: silent,
    });
    let disconnects = 0;
    ib.on("disconnected", () => disconnects++);
    try {
      const started = Date.now();
      const summary = await runCollection(
        { symbols: ["PLTR"], date: DATE, type: "eod" },
        { db, ib, config: configSchema.parse(SMALL), logger: silent },
      );
      const seconds = (Date.now() - started) / 1000;
      expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1, contracts_selected: 170 });
      const stored = await storedQuotes(db);
      expect(stored.rows).toBe(170);
      expect(stored.distinctContracts).toBe(stored.rows);
      expect(await statusRows(db, DATE)).toEqual([
        { symbol: "PLTR", status: "completed", records_collected: 170, error_message: null },
      ]);
      expect(await deadLetterCount(db, DATE)).toBe(0);
      expect(disconnects).toBeLessThanOrEqual(1);
      expect(ib.errorCounts.get(100)).toBeGreaterThanOrEqual(1);
      expect(ib.pacingAdjustments.slowDowns).toBeGreaterThanOrEqual(1);
      // The pacer ran below the gateway's 20/s when the run ended, under its own ceiling.
      expect(ib.messagesPerSecond).toBeLessThan(45);
      // Time, not coverage: the messages went out at about the gateway's rate or slower.
      expect(seconds).toBeGreaterThan(summary.messages_sent / 20);
      console.log(
        `pacing storm: ${seconds.toFixed(1)} s for ${summary.messages_sent} messages, ` +
          `${ib.errorCounts.get(100)} × error 100, ${ib.pacingAdjustments.slowDowns} slow-downs, ${disconnects} disconnects`,
      );
    } finally {
      await ib.close();
      await sim.close();
      await drop();
    }
  });

  it("error 101: a gateway with fewer free lines than configured shrinks the line budget, 100 % coverage", async () => {
    h = await startHarness({
      engine: "postgres",
      start: START,
      config: SMALL,
      sim: { lines: 8 },
      pacer: { messagesPerSecond: 1000, lines: 40 },
    });
    const summary = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1, contracts_selected: 170 });
    const stored = await storedQuotes(h.db);
    expect(stored.rows).toBe(170);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(h.ib.errorCounts.get(101)).toBeGreaterThanOrEqual(1);
    expect(h.ib.pacingAdjustments.lineShrinks).toBeGreaterThanOrEqual(1);
    expect(h.ib.marketDataLines).toBeLessThanOrEqual(8);
    expect(await deadLetterCount(h.db, DATE)).toBe(0);
  });
});
