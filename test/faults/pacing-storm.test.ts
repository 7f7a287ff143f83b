import { afterEach, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import { configSchema } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import { silent, startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { openTestDatabase } from "../helpers/db.ts";
import { startSimulatorThread } from "../helpers/sim-thread.ts";
import { deadLetterCount, statusRows, storedQuotes } from "./checks.ts";
import { DATE, capturingLogger } from "./fixture.ts";
import { getGatewayPacing } from "../../src/store/repositories/gateway-pacing.ts";

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

  it("pacing storm: gateway at 20 msg/s, pacer at 45 → rate halved on error 100, 100 % coverage, at most one disconnect; the next run starts at the remembered rate", async () => {
    // The gateway on its own thread, as a real one is in its own process: its one-second window is not
    // distorted by the client's event loop.
    const sim = await startSimulatorThread({ port: 0, start: START, rate: 20, lines: 100 });
    const { db, drop } = await openTestDatabase("postgres");
    const clientOptions = {
      host: sim.host,
      port: sim.port,
      clientId: 4,
      maxMessagesPerSecond: 45,
      maxMarketDataLines: 95,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      logger: silent,
    };
    const ib = await IbClient.connect(clientOptions);
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

      // The rate the gateway allowed is remembered: the next run (a new client, as the next `collect` or
      // daemon slot has) starts there and sends its messages without a single error 100.
      const remembered = await getGatewayPacing(db, ib.address);
      expect(remembered?.messagesPerSecond).toBe(ib.rateAfterSlowDown);
      expect(remembered!.messagesPerSecond).toBeLessThan(20);
      const next = await IbClient.connect({ ...clientOptions, clientId: 14 });
      try {
        const { logger, messages } = capturingLogger();
        const tier = { range: 0.05, min_strikes: 4 };
        const again = await runCollection(
          { symbols: ["PLTR"], date: DATE, type: "analytics" },
          {
            db,
            ib: next,
            logger,
            config: configSchema.parse({
              ...SMALL,
              selection: { ...SMALL.selection, tiers: { low_iv: tier, normal_iv: tier, high_iv: tier } },
            }),
          },
        );
        expect(again.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
        // Enough messages that the ceiling (45/s) would overrun a 20 msg/s gateway within a second.
        expect(again.messages_sent).toBeGreaterThanOrEqual(40);
        expect(next.errorCounts.get(100) ?? 0).toBe(0);
        expect(next.pacingAdjustments.slowDowns).toBe(0);
        expect(messages).toContain(
          "starting at the message rate this gateway allowed last time (error 100); rising back to ib.max_messages_per_second",
        );
        console.log(
          `next run: started at ${remembered!.messagesPerSecond.toFixed(1)} msg/s, ${again.messages_sent} messages, 0 × error 100`,
        );
      } finally {
        await next.close();
      }
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
