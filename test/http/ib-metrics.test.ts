import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { collectWithGateway } from "../../src/daemon/collect-with-gateway.ts";
import { IbClient } from "../../src/ib/client.ts";
import { liveness } from "../../src/http/liveness.ts";
import { ChainvaultMetrics } from "../../src/http/metrics.ts";
import { Readiness } from "../../src/http/readiness.ts";
import { startHttpServer } from "../../src/http/server.ts";
import type { HttpServer } from "../../src/http/server.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";
import { logger, testConfig } from "../daemon/harness.ts";
import { Scrape } from "./scrape.ts";

/**
 * The daemon's collector (one gateway connection per run, paced at the configured 45 messages/s) against
 * the simulated gateway over a real socket, reporting to a real EventBus that feeds the metrics page.
 */
describe("a real collection against the simulator shows on /metrics", () => {
  let sim: Simulator;
  let database: TestDatabase;
  let server: HttpServer;
  const bus = new EventBus(logger);
  const clock = new ManualClock(new Date("2026-03-09T20:45:00Z"));
  const metrics = new ChainvaultMetrics({ clock, defaultMetrics: false });
  metrics.attach(bus);

  beforeAll(async () => {
    // PLTR has no market-data subscription: IB answers 354, then serves delayed data with notice 10167.
    sim = await startSimulator({
      port: 0,
      start: { date: "2026-03-09", timeEt: "16:45" },
      lines: Infinity,
      faults: { unsubscribedSymbols: ["PLTR"] },
    });
    database = await openTestDatabase("postgres");
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness: new Readiness({ clock, maxAgeMs: 60_000, checks: {} }),
      liveness: () =>
        liveness({ now: clock.now(), lastLoopAt: null, startedAt: clock.now(), tickMs: 60_000 }),
      logger,
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await sim?.close();
    await database?.drop();
  });

  it(
    "counts every message sent to the gateway and its errors, leaving notices out",
    { timeout: 120_000 },
    async () => {
      expect((await Scrape.of(server.url)).value("chainvault_ib_messages_sent_total")).toBe(0);
      // PLTR lists weeklies only: its first expiry after Monday 2026-03-09 is that Friday, 4 days out.
      const collect = collectWithGateway(database.db, testConfig(sim.port, 61, 4), logger, undefined, bus);
      const received = sim.stats().messagesReceived;
      const summary = await collect({ symbols: ["SPY", "PLTR"], type: "eod", date: "2026-03-09" });
      expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
        ["SPY", "completed"],
        ["PLTR", "completed"],
      ]);

      const scrape = await Scrape.of(server.url);
      const sent = scrape.value("chainvault_ib_messages_sent_total")!;
      const atGateway = sim.stats().messagesReceived - received;
      // The run's own count leaves out the connection's opening requests (the gateway's clock).
      expect(summary.messages_sent).toBeGreaterThan(20);
      expect(sent).toBeGreaterThanOrEqual(summary.messages_sent);
      // The one message the gateway counts that no pacer sends: the handshake's START_API.
      expect(atGateway - sent).toBe(1);
      // 354 (no subscription) once for PLTR; its 10167 notices and the farm notices are not errors.
      const codes = scrape.family("chainvault_ib_errors_total").metrics.map((sample) => sample.labels?.code);
      expect(codes).toEqual(["354"]);
      expect(scrape.value("chainvault_ib_errors_total", { code: "354" })).toBe(1);
    },
  );

  it("counts each refused connection attempt as error 502", { timeout: 60_000 }, async () => {
    const closed = await startSimulator({ port: 0 });
    const port = closed.port;
    await closed.close();
    const before = (await Scrape.of(server.url)).value("chainvault_ib_errors_total", { code: "502" }) ?? 0;
    const connecting = IbClient.connect({
      host: "127.0.0.1",
      port,
      clientId: 62,
      maxMessagesPerSecond: 45,
      maxMarketDataLines: 5,
      connectAttempts: 3,
      reconnectInitialDelayMs: 10,
      logger,
      events: bus,
    });
    await expect(connecting).rejects.toThrow(/ECONNREFUSED/);
    const after = (await Scrape.of(server.url)).value("chainvault_ib_errors_total", { code: "502" });
    expect(after! - before).toBe(3);
  });
});
