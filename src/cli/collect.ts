import { symbolNames } from "../config/symbols.ts";
import { runCollection } from "../collect/run.ts";
import { runSplitCollection } from "../collect/split.ts";
import type { PartsAggregate } from "../collect/parts.ts";
import { openFleetQueue, requireFleetServer } from "./worker.ts";
import { attachAlerter } from "../alerts/attach.ts";
import { EventBus } from "../core/events.ts";
import type { CollectionSummary } from "../collect/summary.ts";
import { configSchema } from "../config/schema.ts";
import { clientOptionsFromConfig, IbClient } from "../ib/client.ts";
import { DEFAULT_GATEWAY_NAME, selectGateway } from "../core/gateways.ts";
import { createLogger } from "../logger.ts";
import { formatSummary, progressLogLines, progressReporter, summaryJson } from "./collect-output.ts";
import { loadCommandConfig, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { CommandFailure, errorMessage } from "../core/errors.ts";
import { newRunId } from "../core/run-id.ts";
import { EXIT_BUSY, EXIT_FAILURE } from "./exit-codes.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { parseCollectionType, parseDate, parseSymbols } from "./parse-flags.ts";
import { StopSignals, exitCodeForSignal } from "./stop-signals.ts";

export interface CollectOptions extends DatabaseOptions {
  symbols?: string;
  type: string;
  date?: string;
  force?: boolean;
  verbose?: boolean;
  json?: boolean;
  split?: boolean;
}

export async function collectAction(options: CollectOptions): Promise<void> {
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
}

async function collect(options: CollectOptions, stop: StopSignals): Promise<void> {
  const type = parseCollectionType(options.type);
  const date = options.date === undefined ? undefined : parseDate(options.date);
  const { config } = loadCommandConfig(options);
  stop.setGrace(config.collect.shutdown_grace_seconds * 1000);
  if (options.split === true || config.collect.split) requireFleetServer(config);
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
          `cannot connect to the gateway at ${gatewayAddress(loaded)}: ${errorMessage(error)}. ` +
            "Start TWS / IB Gateway with the API enabled, or check ib.host / ib.port (IB_HOST / IB_PORT) or the `gateways` list.",
        );
      }
      const onProgress = showBar ? progress.onProgress : progressLogLines(logger);
      // A manual run below coverage alerts too: a night recovered by hand still has to reach the threshold.
      const events = new EventBus(logger);
      const alerts = attachAlerter(events, db, loaded, logger);
      try {
        const request = { symbols, type, force: options.force ?? false, ...(date ? { date } : {}) };
        const split = options.split === true || loaded.collect.split;
        const queue = split ? await openFleetQueue(loaded, logger) : null;
        const summary = await (
          queue
            ? runSplitCollection(
                request,
                {
                  db,
                  ib,
                  config: loaded,
                  logger,
                  onProgress,
                  events,
                  queue,
                  onParts: partsProgress(options.json === true),
                },
                { signal: stop.signal, runId },
              ).finally(() => queue.stop({ graceful: true, timeoutMs: 5_000 }))
            : runCollection(
                request,
                { db, ib, config: loaded, logger, onProgress, events },
                { signal: stop.signal, runId },
              )
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
        // A split collection is timed and scripted on its outcome: anything short of completed is a failure.
        else if (
          split &&
          summary.symbols.some((entry) => !["completed", "skipped", "busy"].includes(entry.status))
        )
          process.exitCode = EXIT_FAILURE;
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

/** One line on stderr whenever a split collection's parts move: "SPY parts 7/9, missing #3 #8". */
function partsProgress(json: boolean): (progress: { symbol: string; aggregate: PartsAggregate }[]) => void {
  let last = "";
  return (progress) => {
    const line = progress.map((entry) => `${entry.symbol} ${entry.aggregate.text}`).join("; ");
    if (json || line === last || line === "") return;
    last = line;
    process.stderr.write(`chainvault: ${line}\n`);
  };
}

function gatewayAddress(config: Parameters<typeof selectGateway>[0]): string {
  const gateway = selectGateway(config);
  return `${gateway.host}:${gateway.port}${gateway.name === DEFAULT_GATEWAY_NAME ? "" : ` (gateway ${gateway.name})`}`;
}
