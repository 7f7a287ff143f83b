import { symbolNames } from "../config/symbols.ts";
import type { Command } from "commander";
import { dayNumber } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import { runCollection } from "../collect/run.ts";
import { attachAlerter } from "../alerts/attach.ts";
import { EventBus } from "../core/events.ts";
import type { CollectionSummary } from "../collect/summary.ts";
import { configSchema } from "../config/schema.ts";
import { COLLECTION_TYPES, isCollectionType } from "../core/collection.ts";
import type { CollectionType } from "../core/collection.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import { createLogger } from "../logger.ts";
import { formatSummary, progressLogLines, progressReporter, summaryJson } from "./collect-output.ts";
import { addDatabaseOptions, loadCommandConfig, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/run-id.ts";
import { EXIT_BUSY, EXIT_FAILURE } from "./exit-codes.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { StopSignals, exitCodeForSignal } from "./stop-signals.ts";

interface CollectOptions extends DatabaseOptions {
  symbols?: string;
  type: string;
  date?: string;
  force?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export function parseSymbols(text: string): string[] {
  const symbols = text
    .split(",")
    .map((symbol) => symbol.trim().toUpperCase())
    .filter(Boolean);
  for (const symbol of symbols) {
    if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol))
      throw new UsageError(`--symbols: "${symbol}" is not a ticker such as SPY`);
  }
  if (symbols.length === 0)
    throw new UsageError("--symbols needs at least one ticker, e.g. --symbols SPY,PLTR");
  return symbols;
}

export function parseCollectionType(text: string): CollectionType {
  if (!isCollectionType(text)) {
    throw new UsageError(`--type must be one of ${COLLECTION_TYPES.join(", ")}; got "${text}"`);
  }
  return text;
}

export function parseDate(text: string, flag = "--date"): IsoDate {
  try {
    dayNumber(text);
  } catch {
    // Checked here, before anything connects: 2026-02-30 has the shape of a date but is none.
    throw new UsageError(`${flag} must be a calendar date YYYY-MM-DD such as 2026-03-09; got "${text}"`);
  }
  return text;
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("collect")
      .description(
        "Collect option chains from TWS / IB Gateway (ib.host:ib.port) into the database, as fast as IB's pacing allows.\n" +
          "Per symbol: discover the chain, select strikes (config `selection`), take one streaming snapshot per contract\n" +
          "(quotes, sizes, volume, open interest, IB's greeks), fill missing greeks from Black-Scholes, and store the rows\n" +
          "while the run proceeds. A completed (date, symbol, type) is skipped unless --force; an interrupted one resumes.\n" +
          "One run per (date, symbol, type): a key another live run holds is left alone and reported busy.\n" +
          "Exit status 1 when any symbol failed, else 75 when any was busy (try again later). SIGTERM/SIGINT: no further\n" +
          'contract is requested, what arrived is written, cut-short symbols are recorded partial ("interrupted by\n' +
          'SIGTERM") and the next run resumes them; exit status 143 (SIGTERM) / 130 (SIGINT), at the latest after\n' +
          "collect.shutdown_grace_seconds. Try it without a gateway: `chainvault demo`.",
      )
      .option(
        "--symbols <list>",
        "comma-separated underlyings (default: config `symbols`, i.e. SPY,PLTR,TSLA)",
      )
      .option("--type <type>", `collection type: ${COLLECTION_TYPES.join(" | ")}`, "eod")
      .option(
        "--date <YYYY-MM-DD>",
        "New York trading date the rows belong to (default: the gateway's today); refused (exit 2) unless the gateway's clock serves it: from its midnight to the next session's open",
      )
      .option(
        "--force",
        "re-run a completed collection: the new snapshot is stored beside the old one, which is deleted when the new one is recorded",
      )
      .option("--verbose", "log every step (debug level)")
      .option(
        "--json",
        "print only the summary object on stdout: {run_id, symbols:[…], duration_s, pacing_lower_bound_s}",
      ),
  ).action(async (options: CollectOptions) => {
    // Listening from the start: a signal while the database opens must also end in a clean stop.
    const stop = new StopSignals({
      graceMs: configSchema.shape.collect.parse({}).shutdown_grace_seconds * 1000,
      onDeadline: (signal, graceMs) => {
        process.stderr.write(
          `chainvault: ${graceMs > 0 ? `still running ${graceMs / 1000} s after ${signal}` : `${signal} again`}; ` +
            "exiting now. The rows stored so far are kept and the next run resumes.\n",
        );
        process.exit(exitCodeForSignal(signal));
      },
    });
    try {
      await collect(options, stop);
    } finally {
      stop.dispose();
    }
  });
}

async function collect(options: CollectOptions, stop: StopSignals): Promise<void> {
  const type = parseCollectionType(options.type);
  const date = options.date === undefined ? undefined : parseDate(options.date);
  const { config } = loadCommandConfig(options);
  stop.setGrace(config.collect.shutdown_grace_seconds * 1000);
  // An empty --symbols is a mistake, not a request for the configured symbols.
  const symbols = options.symbols === undefined ? symbolNames(config.symbols) : parseSymbols(options.symbols);
  const showBar = !options.json && !options.verbose && process.stderr.isTTY === true;
  const progress = progressReporter(showBar);
  const logger = createLogger({
    level: options.verbose ? "debug" : showBar ? "warn" : config.log.level,
    destination: progress.logDestination,
  });
  await withDatabase(
    options,
    async ({ db, config: loaded }) => {
      // The gateway client's lines belong to the run too: they carry its id from the first connect on.
      const runId = newRunId();
      let ib: IbClient;
      try {
        ib = await IbClient.connect(clientOptionsFromConfig(loaded, logger.child({ runId })));
      } catch (error) {
        throw new CommandFailure(
          `cannot connect to the gateway at ${loaded.ib.host}:${loaded.ib.port}: ${errorMessage(error)}. ` +
            "Start TWS / IB Gateway with the API enabled, or check ib.host / ib.port (IB_HOST / IB_PORT).",
        );
      }
      const onProgress = showBar ? progress.onProgress : progressLogLines(logger);
      // A manual run below coverage alerts too: a night recovered by hand still has to reach the threshold.
      const events = new EventBus(logger);
      const alerts = attachAlerter(events, db, loaded, logger);
      try {
        const summary = await runCollection(
          { symbols, type, force: options.force ?? false, ...(date ? { date } : {}) },
          { db, ib, config: loaded, logger, onProgress, events },
          { signal: stop.signal, runId },
        ).catch((error: unknown) => {
          // The database went away before the run could start (its symbols report later outages themselves).
          if (error instanceof DatabaseOutageError) throw new CommandFailure(error.message);
          throw error;
        });
        progress.stop();
        process.stdout.write(
          options.json ? `${JSON.stringify(summaryJson(summary))}\n` : `${formatSummary(summary)}\n`,
        );
        // The JSON object has no room for why; a refused key must still say who holds it.
        if (options.json) {
          for (const entry of summary.symbols.filter((symbol) => symbol.status === "busy")) {
            process.stderr.write(`chainvault: ${entry.error ?? `${entry.symbol} is busy`}\n`);
          }
        }
        if (summary.symbols.some((entry) => entry.status === "failed")) process.exitCode = EXIT_FAILURE;
        else if (summary.symbols.some((entry) => entry.status === "busy")) process.exitCode = EXIT_BUSY;
        if (summary.stopped !== undefined) {
          process.stderr.write(
            `chainvault: the run stopped taking contracts: ${summary.stopped}. The stored rows are kept - ` +
              "free disk space, then run the same command again to resume\n",
          );
          process.exitCode = EXIT_FAILURE;
        }
        reportInterruption(stop.received, symbols, summary);
      } finally {
        progress.stop();
        await ib.close();
        await alerts.flush();
      }
    },
    { migrate: true, logger },
  );
}

/**
 * After a stop signal: what was left undone, and the exit status a shell gives a process the signal ended
 * (it wins over 1 and 75: the run was stopped before it could finish).
 */
function reportInterruption(
  signal: NodeJS.Signals | null,
  requested: readonly string[],
  summary: CollectionSummary,
): void {
  if (signal === null) return;
  const cutShort = summary.symbols
    .filter((entry) => entry.status === "partial" && entry.error?.startsWith("interrupted"))
    .map((entry) => entry.symbol);
  const ran = new Set(summary.symbols.map((entry) => entry.symbol));
  const notStarted = requested.filter((symbol) => !ran.has(symbol));
  if (cutShort.length === 0 && notStarted.length === 0) return;
  const parts = [
    ...(cutShort.length > 0 ? [`cut short: ${cutShort.join(", ")}`] : []),
    ...(notStarted.length > 0 ? [`not started: ${notStarted.join(", ")}`] : []),
  ];
  process.stderr.write(
    `chainvault: interrupted by ${signal} (${parts.join("; ")}); the stored rows are kept - ` +
      "run the same command again to resume\n",
  );
  process.exitCode = exitCodeForSignal(signal);
}
