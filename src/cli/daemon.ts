import { symbolNames } from "../config/symbols.ts";
import { systemClock } from "../core/clock.ts";
import { selectGateway } from "../core/gateways.ts";
import type { Clock } from "../core/clock.ts";
import { collectWithGateway } from "../daemon/collect-with-gateway.ts";
import { Daemon, planFromSchedule } from "../daemon/daemon-process.ts";
import { discoverWithGateway } from "../daemon/discover-with-gateway.ts";
import { openDaemonDatabase, watchOutages } from "../daemon/engine.ts";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";
import type { PassSlot } from "../daemon/daemon-process.ts";
import { EventBus } from "../core/events.ts";
import { assertExposureAllowed, resolveHttpToken } from "../http/access.ts";
import { createDaemonMonitor } from "../http/monitor.ts";
import type { DaemonMonitor } from "../http/monitor.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { historicalWithGateway } from "../daemon/historical-with-gateway.ts";
import { backupForDaemon } from "../daemon/backup-slot.ts";
import { loadEnvFile } from "../config/env-file.ts";
import { planZone } from "../schedule/zones.ts";
import { createLogger, logDestination } from "../logger.ts";
import { migrate } from "../store/migrate.ts";
import { serveEmbedded } from "../store/serve/serve-embedded.ts";
import type { ServedDatabase } from "../store/serve/serve-embedded.ts";
import { patientDatabase } from "../store/outage.ts";
import { attachAlerter } from "../alerts/attach.ts";
import type { AttachedAlerter } from "../alerts/attach.ts";
import { loadCommandConfig, openConfiguredDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { EXIT_FAILURE, EXIT_FAILURES_FOUND, EXIT_OK } from "./exit-codes.ts";

export interface DaemonCommandOptions extends DatabaseOptions {
  once?: boolean;
  jsonLogs?: boolean;
  environmentFile?: string;
}

export async function daemonAction(options: DaemonCommandOptions): Promise<void> {
  // Listen for the stop signals first: one that arrives while the daemon is still starting must
  // also end in a clean stop, not in Node's default of dying on the spot.
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    const result = await runDaemon(options, stopRequested);
    if (result.outcome === "grace-exceeded") {
      // The run still holds the database and the event loop: end the process as a kill would. Its job is
      // already back in the queue and resumes from what it stored.
      process.stderr.write(
        "chainvault: the run in flight did not stop within daemon.shutdown_grace_seconds; exiting without it " +
          "(its job is back in the queue and resumes on the next start)\n",
      );
      process.exit(EXIT_FAILURE);
    }
    if (result.failed.length > 0) process.stderr.write(`chainvault: ${failureLine(result.failed)}\n`);
    process.exitCode = daemonExitCode(result);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

export interface DaemonRunResult {
  outcome: "stopped" | "grace-exceeded";
  /** With --once: the slots of the pass whose data is lost or at risk (see PassResult.failed). */
  failed: PassSlot[];
}

export function daemonExitCode(result: DaemonRunResult): number {
  if (result.outcome === "grace-exceeded") return EXIT_FAILURE;
  return result.failed.length > 0 ? EXIT_FAILURES_FOUND : EXIT_OK;
}

/** One line for the end of `daemon --once`: which slots, and where to look next. */
export function failureLine(failed: readonly PassSlot[]): string {
  const shown = failed.slice(0, 5).map((slot) => `${slot.key} ${slot.outcome}`);
  const more = failed.length > shown.length ? ` and ${failed.length - shown.length} more` : "";
  return (
    `${failed.length} slot${failed.length === 1 ? "" : "s"} did not complete: ${shown.join(", ")}${more} ` +
    "(the log above has each error; `chainvault status` lists them)"
  );
}

/** The configuration, naming the env file when a variable it set is what is wrong. */
function loadDaemonConfig(options: DaemonCommandOptions, fromEnvFile: readonly string[]) {
  try {
    return loadCommandConfig(options);
  } catch (error) {
    const culprit = fromEnvFile.find(
      (name) => error instanceof UsageError && error.message.includes(`environment variable ${name} `),
    );
    if (culprit === undefined) throw error;
    throw new UsageError(`${(error as Error).message} (${culprit} is set in ${options.environmentFile})`);
  }
}

/**
 * The daemon until `stopRequested` resolves (or, with --once, until what is due has run). Exported for the
 * fault tests, which run it in a process of their own on a shifted `clock`; everything else is as here.
 */
export async function runDaemon(
  options: DaemonCommandOptions,
  stopRequested: Promise<NodeJS.Signals>,
  clock: Clock = systemClock,
): Promise<DaemonRunResult> {
  const fromEnvFile = options.environmentFile === undefined ? [] : loadEnvFile(options.environmentFile);
  const { config } = loadDaemonConfig(options, fromEnvFile);
  const logger = createLogger({
    level: config.log.level,
    destination: logDestination(process.stderr, { json: options.jsonLogs }),
  });
  if (fromEnvFile.length > 0)
    logger.info({ envFile: options.environmentFile, variables: fromEnvFile }, "read the env file");
  // --once is a short pass (cron): it serves nothing, and must not clash with a running daemon's port.
  const serveHttp = config.http.enabled && !options.once;
  const httpToken = serveHttp ? resolveHttpToken(config.http) : undefined;
  // Before anything connects: a daemon that would expose its endpoints without a token does not start.
  if (serveHttp) assertExposureAllowed(config.http.host, httpToken, config.http.token_env);
  const handle = await openConfiguredDatabase(config, logger, openDaemonDatabase);
  const outage = watchOutages(handle.db, logger, config.collect.max_db_outage_seconds * 1000);
  // One bus for the process: the collector and the slot handlers report to it; alerts and metrics observe it.
  const events = new EventBus(logger);
  let monitor: DaemonMonitor | null = null;
  let alerts: AttachedAlerter | null = null;
  let served: ServedDatabase | null = null;
  let finished = true;
  let failed: PassSlot[] = [];
  try {
    await migrate(handle.db, { logger });
    const servePort = config.database.serve_port;
    if (handle.pglite !== undefined && servePort !== null) {
      // Readers (status, db info, the library API, psql) go through this while the daemon holds the directory.
      try {
        served = await serveEmbedded({
          pglite: handle.pglite,
          db: handle.db,
          dataDir: config.database.data_dir,
          port: servePort,
          idleInTransactionSeconds: config.database.serve_idle_in_transaction_seconds,
          logger,
        });
        // Readers go first when asked to stop: a client's open transaction would hold the database the last writes need.
        void stopRequested.then(() => served?.close());
      } catch (error) {
        logger.error(
          { err: errorMessage(error), port: servePort },
          "could not serve the embedded database on 127.0.0.1 (port in use? set database.serve_port, or null not to serve); " +
            "collecting anyway, but status and db info cannot read while the daemon runs",
        );
      }
    }
    alerts = attachAlerter(events, patientDatabase(handle.db, outage), config, logger, {
      clock,
      resend: true,
    });
    const plan = planFromSchedule({ symbols: symbolNames(config.symbols), schedule: config.schedule });
    const settings = config.daemon;
    const { host, port } = selectGateway(config);
    const gatewayAddress = { host, port };
    if (serveHttp)
      monitor = await createDaemonMonitor({
        http: config.http,
        token: httpToken,
        db: handle.db,
        gateway: gatewayAddress,
        events,
        clock,
        tickMs: settings.tick_seconds * 1000,
        logger,
        ...(config.http.dashboard
          ? { dashboard: { plan: { symbols: symbolNames(config.symbols), schedule: config.schedule } } }
          : {}),
      });
    // The slots' split collections queue their parts on the daemon's own queue, known once it started.
    const started: { daemon?: Daemon } = {};
    const daemon = await Daemon.start({
      db: handle.db,
      queue: handle.queue,
      plan,
      clock,
      logger,
      symbols: symbolNames(config.symbols),
      gapCheckDays: config.schedule.gap_check_days,
      zone: planZone(config.schedule),
      quality: config.quality,
      archive: { archive: config.archive, keepDays: config.retention.keep_days },
      collect: collectWithGateway(handle.db, config, logger, outage, events, () => started.daemon?.queue),
      outage,
      events,
      discover: discoverWithGateway(handle.db, config, logger, events),
      openHistorical: historicalWithGateway(config, logger),
      backup: backupForDaemon(config, handle.pglite, logger),
      loop: !options.once,
      tickMs: settings.tick_seconds * 1000,
      firstStartLookbackMs: settings.first_start_lookback_hours * 3_600_000,
      queueOptions: {
        retryLimit: settings.retry_limit,
        retryDelaySeconds: settings.retry_delay_seconds,
        retryDelayMaxSeconds: settings.retry_delay_max_seconds,
        heartbeatSeconds: settings.heartbeat_seconds,
      },
      ...(config.collect.split ? { parts: { config } } : {}),
    });
    started.daemon = daemon;
    const graceMs = settings.shutdown_grace_seconds * 1000;
    if (monitor) {
      try {
        await monitor.serve(daemon);
      } catch (error) {
        // Collecting matters more than being watched: carry on. Prometheus's `up` shows the target down.
        logger.error(
          { err: errorMessage(error), host: config.http.host, port: config.http.port },
          "could not serve /healthz, /readyz and /metrics (port in use? set http.port, or http.enabled: false); collecting anyway",
        );
      }
    }
    if (options.once) {
      const stop = new AbortController();
      void stopRequested.then((signal) => stop.abort(signal));
      try {
        ({ failed } = await daemon.runDue(stop.signal));
        for (const slot of failed)
          logger.error({ slot: slot.key, outcome: slot.outcome, err: slot.error }, "slot did not complete");
      } catch (error) {
        if (error instanceof DatabaseOutageError) throw new CommandFailure(error.message);
        throw error;
      } finally {
        // Stopped before the database closes: the run in flight gets its grace, never a closed pool.
        const signal = stop.signal.aborted ? (stop.signal.reason as NodeJS.Signals) : null;
        if (signal) logger.info({ signal }, "stopping: no new slots are taken");
        finished = await daemon.stop(graceMs, signal ?? "the end of --once");
      }
    } else {
      const health = await daemon.health();
      logger.info(
        { nextDue: health.nextDue, lastRun: health.lastRun?.key ?? null },
        "waiting for the next slot",
      );
      const signal = await stopRequested;
      logger.info({ signal }, "stopping: no new slots are taken");
      finished = await daemon.stop(graceMs, signal);
    }
  } finally {
    await served?.close();
    // What the last runs raised is sent before the database closes (bounded; the rest goes on the next start).
    if (finished) await alerts?.flush();
    await monitor?.close();
    // Observers (alerts, metrics) finish with what was reported before the database goes.
    await events.settled();
    await outage.close();
    // Never under a run still in flight: it would go on writing into a closed database.
    if (finished) await handle.db.close();
  }
  return { outcome: finished ? "stopped" : "grace-exceeded", failed };
}
