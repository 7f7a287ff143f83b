import type { Command } from "commander";
import { systemClock } from "../core/clock.ts";
import { collectWithGateway } from "../daemon/collect-with-gateway.ts";
import { Daemon, planFromSchedule } from "../daemon/daemon-process.ts";
import { discoverWithGateway } from "../daemon/discover-with-gateway.ts";
import { openDaemonDatabase, watchOutages } from "../daemon/engine.ts";
import { CommandFailure } from "../core/errors.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { historicalWithGateway } from "../daemon/historical-with-gateway.ts";
import { createLogger, logDestination } from "../logger.ts";
import { migrate } from "../store/migrate.ts";
import { addDatabaseOptions, loadCommandConfig, openConfiguredDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

interface DaemonCommandOptions extends DatabaseOptions {
  once?: boolean;
  jsonLogs?: boolean;
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("daemon")
      .description(
        "Run unattended: collect every slot of the plan (`chainvault schedule`) at its New York time, exactly once. " +
          "Slots go through a durable job queue in the database (pg-boss), so a restart, a second daemon on the same " +
          "database, or a retry never runs a slot twice. On start and after sleep, slots still inside their window run; " +
          "older ones are recorded as missed. SIGTERM/SIGINT lets the run in flight finish (daemon.shutdown_grace_seconds; " +
          "after that it is handed back and resumes later) and exits 0. Keep it alive with `chainvault service install`. " +
          "See docs/daemon.md.",
      )
      .option(
        "--once",
        "plan and run what is due now, wait for it to finish, then exit (for cron or a quick check)",
      )
      .option("--json-logs", "log JSON lines (pino) on a terminal too (elsewhere they always are)"),
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
      await runDaemon(options, stopRequested);
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  });
}

async function runDaemon(
  options: DaemonCommandOptions,
  stopRequested: Promise<NodeJS.Signals>,
): Promise<void> {
  const { config } = loadCommandConfig(options);
  const logger = createLogger({
    level: config.log.level,
    destination: logDestination(process.stderr, { json: options.jsonLogs }),
  });
  const handle = await openConfiguredDatabase(config, logger, openDaemonDatabase);
  const outage = watchOutages(handle.db, logger, config.collect.max_db_outage_seconds * 1000);
  try {
    await migrate(handle.db, { logger });
    const plan = planFromSchedule({ symbols: config.symbols, schedule: config.schedule });
    const settings = config.daemon;
    const daemon = await Daemon.start({
      db: handle.db,
      queue: handle.queue,
      plan,
      clock: systemClock,
      logger,
      symbols: config.symbols,
      gapCheckDays: config.schedule.gap_check_days,
      collect: collectWithGateway(handle.db, config, logger, outage),
      outage,
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
      void stopRequested.then(() => stop.abort());
      try {
        await daemon.runDue(stop.signal);
      } catch (error) {
        if (error instanceof DatabaseOutageError) throw new CommandFailure(error.message);
        throw error;
      } finally {
        // Stopped before the database closes: the run in flight gets its grace, never a closed pool.
        await daemon.stop(graceMs);
      }
    } else {
      const health = await daemon.health();
      logger.info(
        { nextDue: health.nextDue, lastRun: health.lastRun?.key ?? null },
        "waiting for the next slot",
      );
      const signal = await stopRequested;
      logger.info({ signal }, "stopping: no new slots are taken");
      await daemon.stop(graceMs);
    }
  } finally {
    await outage.close();
    await handle.db.close();
  }
}
