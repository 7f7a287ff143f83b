import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import type { EventBus } from "../core/events.ts";
import { probeGateway } from "../ib/reachable.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import { LiveProgress } from "../dashboard/progress.ts";
import type { PlanOptions } from "../schedule/index.ts";
import { pingDatabase } from "../store/outage.ts";
import { liveness } from "./liveness.ts";
import { ChainvaultMetrics } from "./metrics.ts";
import { Readiness } from "./readiness.ts";
import { startHttpServer } from "./server.ts";
import type { HttpServer } from "./server.ts";

/** What the endpoints look at in a running daemon (src/daemon/daemon-process.ts's Daemon fits). */
export interface MonitoredDaemon {
  scheduler: { lastLoopAt: Date | null };
  queue: { health(): Promise<{ queued: number; active: number }> };
}

export interface DaemonMonitorOptions {
  http: { host: string; port: number; token_env: string };
  /** Resolved by the caller (resolveHttpToken), which refuses a reachable address without one. */
  token: string | undefined;
  db: Database;
  gateway: { host: string; port: number };
  events: EventBus;
  clock: Clock;
  /** daemon.tick_seconds in ms: checks are cached this long, and the loop may be silent for a few of them. */
  tickMs: number;
  logger: Logger;
  /** Serve the dashboard too (http.dashboard), with the plan its health view shows. */
  dashboard?: { plan: PlanOptions };
  /** A real check waits this long (real time) for an answer; default 5 s or the tick, if shorter. */
  checkTimeoutMs?: number;
}

export interface DaemonMonitor {
  readonly metrics: ChainvaultMetrics;
  readonly readiness: Readiness;
  /** Starts serving once the daemon runs: /healthz reads its scheduler, /readyz its queue. */
  serve(daemon: MonitoredDaemon): Promise<HttpServer>;
  close(): Promise<void>;
}

/**
 * The daemon's metrics and endpoints. Created before the daemon starts so no event of its first slot is
 * missed and the last-success gauges hold the database's values before the first scrape; served once it
 * runs. Closing stops serving and listening to events.
 */
export async function createDaemonMonitor(options: DaemonMonitorOptions): Promise<DaemonMonitor> {
  const { clock, logger } = options;
  let daemon: MonitoredDaemon | null = null;
  const timeoutMs = options.checkTimeoutMs ?? Math.min(5000, options.tickMs);
  const readiness = new Readiness({
    clock,
    maxAgeMs: options.tickMs,
    timeoutMs,
    checks: {
      database: async () => {
        await pingDatabase(options.db);
      },
      queue: async () => {
        if (!daemon) throw new Error("the daemon has not started its job queue yet");
        return daemon.queue.health();
      },
      gateway: async () => {
        const { host, port } = options.gateway;
        return { address: `${host}:${port}`, ...(await probeGateway(host, port, timeoutMs)) };
      },
    },
  });
  const metrics = new ChainvaultMetrics({
    clock,
    lastLoopAt: () => daemon?.scheduler.lastLoopAt ?? null,
    readiness: () => readiness.report(),
  });
  const detach = metrics.attach(options.events);
  // Only the daemon's process sees its collector's progress: kept from the start so a run's first events count.
  const progress = options.dashboard ? new LiveProgress(clock) : null;
  const detachProgress = progress?.attach(options.events);
  try {
    const loaded = await metrics.loadLastSuccesses(options.db);
    logger.debug({ series: loaded }, "last-success metrics read from the database");
  } catch (error) {
    // The gauges fill in as collections complete; the database check in /readyz shows why it failed.
    logger.warn(
      { err: errorMessage(error) },
      "could not read the last successful collections for the metrics",
    );
  }
  const startedAt = clock.now();
  let server: HttpServer | null = null;
  return {
    metrics,
    readiness,
    async serve(running) {
      daemon = running;
      server = await startHttpServer({
        host: options.http.host,
        port: options.http.port,
        token: options.token,
        tokenEnv: options.http.token_env,
        metrics,
        readiness,
        liveness: () =>
          liveness({
            now: clock.now(),
            lastLoopAt: running.scheduler.lastLoopAt,
            startedAt,
            tickMs: options.tickMs,
          }),
        logger,
        ...(options.dashboard && progress
          ? {
              dashboard: { db: options.db, plan: options.dashboard.plan, clock, logger, progress },
            }
          : {}),
      });
      return server;
    },
    async close() {
      detach();
      detachProgress?.();
      await server?.close();
    },
  };
}
