import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachAlerter } from "../../src/alerts/attach.ts";
import { etInstant } from "../../src/calendar/index.ts";
import { configSchema } from "../../src/config/schema.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { collectWithGateway } from "../../src/daemon/collect-with-gateway.ts";
import { Daemon } from "../../src/daemon/daemon-process.ts";
import { listAlerts } from "../../src/store/repositories/alerts.ts";
import { startWebhookReceiver } from "../helpers/alert-receivers.ts";
import type { WebhookReceiver } from "../helpers/alert-receivers.ts";
import { SYMBOLS, logger, settle, testConfig, testPlan, useEmbeddedDaemon } from "../daemon/harness.ts";

/** A port nothing listens on: the gateway is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("alerts from the daemon", () => {
  const fixture = useEmbeddedDaemon({ date: "2026-03-09", timeEt: "16:44" });
  let webhook: WebhookReceiver;
  beforeAll(async () => {
    webhook = await startWebhookReceiver();
  });
  afterAll(async () => {
    await webhook?.close();
  });

  function alertingConfig(port: number, clientId: number) {
    return configSchema.parse({
      ...testConfig(port, clientId),
      alerts: {
        channels: [{ type: "webhook", name: "hook", url_env: "HOOK_URL" }],
        retry_delay_seconds: 0.01,
      },
    });
  }

  it("a due collection that cannot reach the gateway alerts once; the next run that reaches it resolves", async () => {
    const { db } = fixture.handle;
    const bus = new EventBus(logger);
    const seen: ChainvaultEvent[] = [];
    bus.on((event) => void seen.push(event));
    const down = alertingConfig(await closedPort(), 61);
    const alerts = attachAlerter(bus, db, down, logger, { env: { HOOK_URL: webhook.url("/gw") } });
    const request = { date: "2026-03-09", symbols: ["SPY"], type: "eod" as const };

    for (let attempt = 0; attempt < 2; attempt++)
      await expect(collectWithGateway(db, down, logger, undefined, bus)(request)).rejects.toThrow();
    await bus.settled();
    expect(seen.filter((event) => event.kind === "gateway_unreachable")).toHaveLength(2);
    expect(webhook.accepted()).toMatchObject([
      { kind: "gateway_unreachable", state: "firing", date: "2026-03-09", symbol: "*", type: "eod" },
    ]);
    expect(webhook.accepted()[0]!.message).toMatch(/could not be reached when eod:SPY:2026-03-09 was due: /);

    const up = alertingConfig(fixture.sim.port, 62);
    const summary = await collectWithGateway(db, up, logger, undefined, bus)(request);
    expect(summary.symbols.map((entry) => entry.status)).toEqual(["completed"]);
    expect(await alerts.flush()).toBe(true);
    expect(webhook.accepted().map((body) => `${body.kind} ${body.state}`)).toEqual([
      "gateway_unreachable firing",
      "gateway_unreachable resolved",
    ]);
  });

  it("the morning gap check raises one slot_failed alert per lost (date, symbol), and not again the next day", async () => {
    const { db, queue } = fixture.handle;
    const hook = await startWebhookReceiver();
    const bus = new EventBus(logger);
    const gaps: ChainvaultEvent[] = [];
    bus.on((event) => void (event.kind === "gap_found" && gaps.push(event)));
    const config = alertingConfig(fixture.sim.port, 63);
    const alerts = attachAlerter(bus, db, config, logger, { env: { HOOK_URL: hook.url("/gaps") } });
    const clock = new ManualClock(etInstant("2026-03-09", "16:44"));
    const daemon = await Daemon.start({
      db,
      queue,
      plan: testPlan(),
      clock,
      logger,
      symbols: SYMBOLS,
      gapCheckDays: 3,
      // The collections themselves are not under test: every one of them fails.
      collect: () => Promise.reject(new Error("no gateway (test)")),
      daemonId: "alerts",
      loop: false,
      firstStartLookbackMs: 0,
      events: bus,
      queueOptions: {
        pollingIntervalSeconds: 0.5,
        retryLimit: 0,
        retryDelaySeconds: 1,
        heartbeatSeconds: 10,
        superviseIntervalSeconds: 1,
      },
    });
    try {
      await daemon.scheduler.tick();
      // Off until Wednesday morning: Monday's and Tuesday's windows have closed; Wednesday's gap check runs.
      clock.set(etInstant("2026-03-11", "10:00"));
      await daemon.scheduler.tick();
      await settle([daemon]);
      await bus.settled();
      const lost = gaps.filter((event) => event.kind === "gap_found" && !event.recoverable);
      expect(lost.length).toBeGreaterThan(1);
      const keys = [
        ...new Set(lost.map((event) => (event.kind === "gap_found" ? `${event.date} ${event.symbol}` : ""))),
      ].sort();
      const sent = hook
        .accepted()
        .map((body) => `${String(body.date)} ${String(body.symbol)}`)
        .sort();
      // The scheduler reports each slot it finds missed (slot_finished) before the gap check runs, so the
      // alerts come from those; the gap check's lost days are the same (date, symbol) keys and add none.
      expect(new Set(sent).size).toBe(sent.length);
      for (const key of keys) expect(sent).toContain(key);
      // Tuesday and Wednesday's pre-market, one alert a day (Monday's EOD was collected by the test before);
      // the run-wide `*` alert is Tuesday's own gap check, missed while the daemon was off.
      expect(sent).toEqual(["2026-03-10 *", "2026-03-10 SPY", "2026-03-11 SPY"]);
      const tuesday = hook.accepted().find((body) => body.date === "2026-03-10" && body.symbol === "SPY")!;
      expect(tuesday).toMatchObject({ kind: "slot_failed", state: "firing" });
      expect(tuesday.message).toMatch(
        /^slot \w+:SPY:2026-03-10 was missed \(its window closed before it ran\)/,
      );
      const row = (await listAlerts(db, { from: "2026-03-10", to: "2026-03-10" })).find(
        (alert) => alert.kind === "slot_failed" && alert.symbol === "SPY",
      )!;
      expect(row.openItems).toContain("eod");

      // Thursday's gap check finds the same lost days again: nothing new for them.
      const before = hook.requests.length;
      clock.set(etInstant("2026-03-12", "10:00"));
      await daemon.scheduler.tick();
      await settle([daemon]);
      await bus.settled();
      // Only Thursday's own missed pre-market is news.
      const again = hook.accepted().slice(before);
      expect(again.map((body) => `${String(body.date)} ${String(body.state)}`)).toEqual([
        "2026-03-12 firing",
      ]);
    } finally {
      await daemon.stop(1_000);
      await alerts.flush();
      await hook.close();
    }
  });
});
