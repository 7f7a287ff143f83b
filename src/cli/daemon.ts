import type { Command } from "commander";
import { systemClock } from "../core/clock.ts";
import type { Clock } from "../core/clock.ts";
import { collectWithGateway } from "../daemon/collect-with-gateway.ts";
import { Daemon, planFromSchedule } from "../daemon/daemon-process.ts";
import { discoverWithGateway } from "../daemon/discover-with-gateway.ts";
import { openDaemonDatabase, watchOutages } from "../daemon/engine.ts";
import { CommandFailure } from "../core/errors.ts";
import { EventBus } from "../core/events.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { historicalWithGateway } from "../daemon/historical-with-gateway.ts";
import { loadEnvFile } from "../config/env-file.ts";
import { createLogger, logDestination } from "../logger.ts";
import { migrate } from "../store/migrate.ts";
import { addDatabaseOptions, loadCommandConfig, openConfiguredDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { EXIT_FAILURE } from "./exit-codes.ts";

export interface DaemonCommandOptions extends DatabaseOptions {
  once?: boolean;
  jsonLogs?: boolean;
  environmentFile?: string;
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("daemon")
      .description(
        "Run unattended: collect every slot of the plan (`chainvault schedule`) at its New York time, exactly once. " +
          "Slots go through a durable job queue in the database (pg-boss), so a restart, a second daemon on the same " +
          "database, or a retry never runs a slot twice. On start and after sleep, slots still inside their window run; " +
          "older ones are recorded as missed. SIGTERM/SIGINT stops the run in flight from taking further contracts, writes " +
          "what arrived, records it as interrupted and hands it back to the queue (it resumes after its retry delay), " +
          "then exits 0; exit 1 when it did not stop within daemon.shutdown_grace_seconds. " +
          "Keep it alive with `chainvault service install`. " +
          "See docs/daemon.md.",
      )
      .option(
        "--once",
        "plan and run what is due now, wait for it to finish, then exit (for cron or a quick check)",
      )
      .option("--json-logs", "log JSON lines (pino) on a terminal too (elsewhere they always are)")
      // Not --env-file: Node reads that flag even after the script's name (nodejs/node#54232).
      .option(
        "--environment-file <file>",
        "read KEY=value lines (DATABASE_URL=…, IB_HOST=…) into the environment first; refused unless chmod 600 " +
          "(variables already set win). The service files pass ~/.config/chainvault/env",
      ),
  ).action(async (options: DaemonCommandOptions) => {
    // Listen for the stop signals first: one that arrives while the daemon is still starting must
    // also end in a clean stop, not in Node's default of dying on the spot.
    let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
      onSignal = resolve;
    });
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    try {
      const outcome = await runDaemon(options, stopRequested);
      if (outcome === "grace-exceeded") {
        // The run still holds the database and the event loop: end the process as a kill would. Its job is
        // already back in the queue and resumes from what it stored.
        process.stderr.write(
          "chainvault: the run in flight did not stop within daemon.shutdown_grace_seconds; exiting without it " +
            "(its job is back in the queue and resumes on the next start)\n",
        );
        process.exit(EXIT_FAILURE);
      }
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  });
}

/**
 * The daemon until `stopRequested` resolves (or, with --once, until what is due has run). Exported for the
 * fault tests, which run it in a process of their own on a shifted `clock`; everything else is as here.
 */
export async function runDaemon(
  options: DaemonCommandOptions,
  stopRequested: Promise<NodeJS.Signals>,
  clock: Clock = systemClock,
): Promise<"stopped" | "grace-exceeded"> {
  const fromEnvFile = options.environmentFile === undefined ? [] : loadEnvFile(options.environmentFile);
  const { config } = loadCommandConfig(options);
  const logger = createLogger({
    level: config.log.level,
    destination: logDestination(process.stderr, { json: options.jsonLogs }),
  });
  if (fromEnvFile.length > 0)
    logger.info({ envFile: options.environmentFile, variables: fromEnvFile }, "read the env file");
  const handle = await openConfiguredDatabase(config, logger, openDaemonDatabase);
  const outage = watchOutages(handle.db, logger, config.collect.max_db_outage_seconds * 1000);
  // What the daemon and its collector report (slot and collection outcomes), for observers to subscribe to.
  const events = new EventBus(logger);
  let finished = true;
  try {
    await migrate(handle.db, { logger });
    const plan = planFromSchedule({ symbols: config.symbols, schedule: config.schedule });
    const settings = config.daemon;
    const daemon = await Daemon.start({
      db: handle.db,
      queue: handle.queue,
      plan,
      clock,
      logger,
      symbols: config.symbols,
      gapCheckDays: config.schedule.gap_check_days,
      collect: collectWithGateway(handle.db, config, logger, outage, events),
      outage,
      events,
      discover: discoverWithGateway(handle.db, config, logger),
      openHistorical: historicalWithGateway(config, logger),
      loop: !options.once,
      tickMs: settings.tick_seconds * 1000,
      firstStartLookbackMs: settings.first_start_lookback_hours * 3_600_000,
      queueOptions: {
        retryLimit: settings.retry_limit,
        retryDelaySeconds: settings.retry_delay_seconds,
        retryDelayMaxSeconds: settings.retry_delay_max_seconds,
        heartbeatSeconds: settings.heartbeat_seconds,
      },
    });
    const graceMs = settings.shutdown_grace_seconds * 1000;
    if (options.once) {
      const stop = new AbortController();
      void stopRequested.then((signal) => stop.abort(signal));
      try {
        await daemon.runDue(stop.signal);
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
    // Observers (alerts, metrics) finish with what was reported before the database goes.
    await events.settled();
    await outage.close();
    // Never under a run still in flight: it would go on writing into a closed database.
    if (finished) await handle.db.close();
  }
  return finished ? "stopped" : "grace-exceeded";
}
