import { attachAlerter } from "../alerts/attach.ts";
import { EventBus } from "../core/events.ts";
import { systemClock } from "../core/clock.ts";
import { selectGateway } from "../core/gateways.ts";
import { assertExposureAllowed, resolveHttpToken } from "../http/access.ts";
import { createDaemonMonitor } from "../http/monitor.ts";
import type { DaemonMonitor } from "../http/monitor.ts";
import type { Database } from "../store/database.ts";
import { UsageError } from "../core/errors.ts";
import { PartWorker } from "../daemon/part-worker.ts";
import { SlotQueue } from "../daemon/queue.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../logger.ts";
import { createLogger } from "../logger.ts";
import { loadCommandConfig, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { exitCodeForSignal } from "./stop-signals.ts";

export interface WorkerOptions extends DatabaseOptions {
  verbose?: boolean;
  json?: boolean;
  http?: boolean;
}

/** The server's URL; a usage error (before anything opens) on the embedded engine. */
export function requireFleetServer(config: Config): string {
  const url = config.database.url;
  if (url === undefined || url === null || url === "")
    throw new UsageError(
      "split collections and workers share the job queue of a PostgreSQL server: set DATABASE_URL (or " +
        "database.url); the embedded database serves one process only",
    );
  return url;
}

/** The queue a fleet shares: pg-boss on the PostgreSQL server every process reaches. */
export async function openFleetQueue(config: Config, logger: Logger): Promise<SlotQueue> {
  const url = requireFleetServer(config);
  const settings = config.daemon;
  return SlotQueue.open({
    connection: { url },
    logger,
    retryLimit: settings.retry_limit,
    retryDelaySeconds: settings.retry_delay_seconds,
    retryDelayMaxSeconds: settings.retry_delay_max_seconds,
    heartbeatSeconds: settings.heartbeat_seconds,
  });
}

/** /healthz (the worker's loop goes round), /readyz (database, queue, its gateway) and /metrics, as the daemon's. */
async function serveEndpoints(
  config: Config,
  parts: { db: Database; events: EventBus; logger: Logger; worker: PartWorker; queue: SlotQueue },
): Promise<DaemonMonitor> {
  const token = resolveHttpToken(config.http);
  assertExposureAllowed(config.http.host, token, config.http.token_env);
  const { host, port } = selectGateway(config);
  const monitor = await createDaemonMonitor({
    http: config.http,
    token,
    db: parts.db,
    gateway: { host, port },
    events: parts.events,
    clock: systemClock,
    tickMs: config.daemon.tick_seconds * 1000,
    logger: parts.logger,
  });
  await monitor.serve({ scheduler: parts.worker, queue: parts.queue });
  return monitor;
}

export async function workerAction(options: WorkerOptions): Promise<void> {
  // Listening from the start: a signal while the database opens still ends in a clean stop.
  let received: NodeJS.Signals | null = null;
  let wake: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (wake = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== null) process.exit(exitCodeForSignal(signal));
    received = signal;
    wake(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const { config } = loadCommandConfig(options);
    requireFleetServer(config);
    const logger = createLogger({ level: options.verbose ? "debug" : config.log.level });
    await withDatabase(
      options,
      async ({ db, config: loaded }) => {
        const events = new EventBus(logger);
        const alerts = attachAlerter(events, db, loaded, logger);
        const queue = await openFleetQueue(loaded, logger);
        const worker = new PartWorker({
          db,
          config: loaded,
          logger,
          events,
          queue,
          ...(options.json
            ? {
                onPart: (part, outcome) =>
                  process.stdout.write(
                    `${JSON.stringify({
                      part: part.key,
                      status: outcome.status,
                      ...("stored" in outcome
                        ? {
                            stored: outcome.stored,
                            requested: outcome.requested,
                            collection: outcome.collection?.text ?? null,
                          }
                        : { error: outcome.error }),
                    })}\n`,
                  ),
              }
            : {}),
        });
        logger.info({ gateway: worker.gateway, worker: worker.name }, "worker started");
        worker.start();
        const monitor = options.http
          ? await serveEndpoints(loaded, { db, events, logger, worker, queue })
          : null;
        const signal = await stopped;
        await monitor?.close();
        logger.info({ signal }, "stopping: the part in flight goes back to the queue");
        await worker.stop(signal);
        await queue.stop({ graceful: true, timeoutMs: loaded.collect.shutdown_grace_seconds * 1000 });
        await alerts.flush();
      },
      { migrate: true, logger },
    );
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
