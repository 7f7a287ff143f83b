import { symbolNames } from "../../src/config/symbols.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { Daemon, planFromSchedule } from "../../src/daemon/daemon-process.ts";
import { openDaemonDatabase } from "../../src/daemon/engine.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { configSchema } from "../../src/config/schema.ts";
import { createDaemonMonitor } from "../../src/http/monitor.ts";
import type { DaemonMonitor } from "../../src/http/monitor.ts";
import type { HttpServer } from "../../src/http/server.ts";
import { createLogger } from "../../src/logger.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startThrowawayCluster } from "../helpers/pg-cluster.ts";
import type { ThrowawayCluster } from "../helpers/pg-cluster.ts";
import { startSimulatorThread } from "../helpers/sim-thread.ts";
import type { ThreadedSimulator } from "../helpers/sim-thread.ts";
import { Scrape, getJson } from "./scrape.ts";

const logger = createLogger({ level: (process.env.CHAINVAULT_TEST_LOG_LEVEL ?? "silent") as "silent" });
const TICK_MS = 60_000;

interface Ready {
  ready: boolean;
  checkedAt: string;
  checks: Record<"database" | "queue" | "gateway", { ready: boolean; error?: string; latencyMs: number }>;
}

/**
 * A real daemon (scheduler loop, pg-boss) on a PostgreSQL cluster of the test's own, the simulated gateway on
 * its own thread, and the daemon's endpoints. The database and the gateway are stopped and started again;
 * the clock moves one scheduler tick at a time.
 */
describe("/readyz and /healthz of a running daemon", () => {
  let cluster: ThrowawayCluster;
  let sim: ThreadedSimulator;
  let handle: DaemonDatabase;
  let daemon: Daemon;
  let monitor: DaemonMonitor;
  let server: HttpServer;
  // 10:00 New York on a Monday: no slot falls in the few minutes the test moves through.
  const clock = new ManualClock(new Date("2026-03-09T14:00:00Z"));
  const nextTick = (ticks = 1) => clock.set(new Date(clock.now().getTime() + ticks * TICK_MS));
  const readyz = () => getJson<Ready>(server.url, "/readyz");

  beforeAll(async () => {
    cluster = await startThrowawayCluster();
    sim = await startSimulatorThread({ port: 0, start: { date: "2026-03-09", timeEt: "10:00" } });
    handle = await openDaemonDatabase({ url: cluster.url(), dataDir: "unused", logger });
    await migrate(handle.db);
    // The day's backup (02:00 ET) would still be inside its window: off, so that no slot runs.
    const config = configSchema.parse({ symbols: ["SPY"], schedule: { backup: { enabled: false } } });
    monitor = await createDaemonMonitor({
      http: { host: "127.0.0.1", port: 0, token_env: "CHAINVAULT_HTTP_TOKEN" },
      token: undefined,
      db: handle.db,
      gateway: { host: sim.host, port: sim.port },
      events: new EventBus(logger),
      clock,
      tickMs: TICK_MS,
      logger,
    });
    daemon = await Daemon.start({
      db: handle.db,
      queue: handle.queue,
      plan: planFromSchedule({ symbols: symbolNames(config.symbols), schedule: config.schedule }),
      clock,
      logger,
      symbols: symbolNames(config.symbols),
      gapCheckDays: 10,
      collect: () => Promise.reject(new Error("no collection is due in this test")),
      daemonId: "readiness",
      tickMs: TICK_MS,
      firstStartLookbackMs: 0,
      queueOptions: { pollingIntervalSeconds: 0.5, heartbeatSeconds: 10, superviseIntervalSeconds: 1 },
    });
    server = await monitor.serve(daemon);
  }, 120_000);

  afterAll(async () => {
    await monitor?.close();
    await daemon?.kill();
    await handle?.db.close();
    await sim?.close();
    await cluster?.destroy();
  }, 60_000);

  it("is ready when the database, the queue and the gateway answer", async () => {
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.checks.database.ready).toBe(true);
    expect(body.checks.queue.ready).toBe(true);
    expect(body.checks.gateway).toMatchObject({ ready: true, address: `${sim.host}:${sim.port}` });
    expect(body.checkedAt).toBe(clock.now().toISOString());
  });

  it(
    "turns unready within one tick when the database goes away, and ready when it returns",
    { timeout: 120_000 },
    async () => {
      await cluster.stop("fast");
      // Checks are cached for the tick: the endpoint does not query a database per probe.
      expect((await readyz()).status).toBe(200);

      nextTick();
      const down = await readyz();
      expect(down.status).toBe(503);
      expect(down.body.ready).toBe(false);
      expect(down.body.checks.database.ready).toBe(false);
      expect(down.body.checks.database.error).toMatch(/ECONNREFUSED|connect|terminat/i);
      expect(down.body.checks.queue.ready).toBe(false);
      expect(down.body.checks.gateway.ready).toBe(true);
      const scrape = await Scrape.of(server.url);
      expect(scrape.value("chainvault_ready", { check: "database" })).toBe(0);
      expect(scrape.value("chainvault_ready", { check: "gateway" })).toBe(1);
      // The loop keeps going round while the database is away: alive, not ready.
      expect((await getJson(server.url, "/healthz")).status).toBe(200);

      await cluster.start();
      nextTick();
      const back = await readyz();
      expect(back.body.checks).toMatchObject({ database: { ready: true }, queue: { ready: true } });
      expect(back.status).toBe(200);
    },
  );

  it(
    "turns unready within one tick when the gateway goes away, and ready when it returns",
    { timeout: 60_000 },
    async () => {
      const { host, port } = sim;
      await sim.close();
      nextTick();
      const down = await readyz();
      expect(down.status).toBe(503);
      expect(down.body.checks.gateway.ready).toBe(false);
      expect(down.body.checks.gateway.error).toContain(
        `${host}:${port} is not reachable (connection refused)`,
      );
      expect(down.body.checks.database.ready).toBe(true);

      sim = await startSimulatorThread({ port, start: { date: "2026-03-09", timeEt: "10:00" } });
      nextTick();
      const back = await readyz();
      expect(back.status).toBe(200);
      expect(back.body.checks.gateway.ready).toBe(true);
    },
  );

  it(
    "/healthz turns 503 once the scheduler loop has been silent for three ticks",
    { timeout: 60_000 },
    async () => {
      const alive = await getJson<{ status: string; lastLoopAt: string | null }>(server.url, "/healthz");
      expect(alive.status).toBe(200);
      expect(alive.body.lastLoopAt).not.toBeNull();
      const lastLoop = daemon.scheduler.lastLoopAt!;

      await daemon.stop(10_000); // the loop ends; this process's endpoints stay up
      clock.set(new Date(lastLoop.getTime() + 3 * TICK_MS));
      expect((await getJson(server.url, "/healthz")).status).toBe(200);
      clock.set(new Date(lastLoop.getTime() + 3 * TICK_MS + 1000));
      const stalled = await getJson<{ status: string; silentSeconds: number; limitSeconds: number }>(
        server.url,
        "/healthz",
      );
      expect(stalled.status).toBe(503);
      expect(stalled.body).toMatchObject({ status: "stalled", silentSeconds: 181, limitSeconds: 180 });
      // A stopped queue is not ready either.
      const ready = await readyz();
      expect(ready.body.checks.queue).toMatchObject({ ready: false, error: "the job queue was stopped" });
    },
  );
});
