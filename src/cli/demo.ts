import { toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import { runCollection } from "../collect/run.ts";
import { IbClient } from "../ib/client.ts";
import { createLogger } from "../logger.ts";
import { lastSlotOf } from "../schedule/index.ts";
import type { ScheduleConfig } from "../schedule/index.ts";
import { startSimulator } from "../sim/server.ts";
import type { Database } from "../store/database.ts";
import { nearTheMoneyQuotes } from "../store/repositories/quote-history.ts";
import type { StoredQuote } from "../store/repositories/quote-history.ts";
import { formatSummary, progressReporter, summaryJson } from "./collect-output.ts";
import type { CollectionSummary, SymbolSummary } from "../collect/summary.ts";
import type { Config } from "../config/schema.ts";
import { newRunId } from "../core/run-id.ts";
import { loadCommandConfig, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

/** SPX collects both its classes: SPX (AM-settled monthlies) and SPXW (PM-settled weeklies and dailies). */
const DEMO_SYMBOLS = ["SPY", "SPX", "PLTR", "TSLA"];
const INDEX_DEMO_SYMBOLS = new Set(["SPX"]);

/**
 * The demo's SPX selection: the next ten days' expiries within 2 % of the index (a few hundred contracts of both
 * classes instead of SPX's ~7,000 over every listed expiry), so the demo stays quick. A configured
 * max_days_to_expiry that is shorter still wins.
 */
function demoIndexSelection(selection: Config["selection"]): Config["selection"] {
  const narrow = (tier: Config["selection"]["tiers"]["low_iv"]) => ({
    ...tier,
    range: Math.min(tier.range, 0.02),
  });
  return {
    ...selection,
    max_days_to_expiry: Math.min(selection.max_days_to_expiry ?? 10, 10),
    tiers: {
      low_iv: narrow(selection.tiers.low_iv),
      normal_iv: narrow(selection.tiers.normal_iv),
      high_iv: narrow(selection.tiers.high_iv),
    },
  };
}

/** The equity run's and the index run's summaries as one (they share the run id). */
function joinSummaries(first: CollectionSummary, second: CollectionSummary): CollectionSummary {
  const order = (entry: SymbolSummary) => DEMO_SYMBOLS.indexOf(entry.symbol);
  return {
    ...first,
    symbols: [...first.symbols, ...second.symbols].sort((a, b) => order(a) - order(b)),
    duration_s: first.duration_s + second.duration_s,
    pacing_lower_bound_s: first.pacing_lower_bound_s + second.pacing_lower_bound_s,
    messages_sent: first.messages_sent + second.messages_sent,
    ...((first.stopped ?? second.stopped) ? { stopped: (first.stopped ?? second.stopped)! } : {}),
  };
}

/**
 * The plan's latest end-of-day slot that has passed (schedule.eod, moved on early closes): its date,
 * and its New York time for the simulator's clock.
 */
function lastEodSlot(now: Date, schedule: ScheduleConfig): { date: IsoDate; timeEt: string } {
  // The demo shows an end-of-day collection even when the plan leaves them out.
  const eod = lastSlotOf("eod", now, {
    symbols: DEMO_SYMBOLS,
    schedule: { ...schedule, eod: { ...schedule.eod, enabled: true } },
  });
  if (!eod) throw new Error("the plan has no end-of-day slot in the last 32 days");
  return { date: eod.date, timeEt: toEt(eod.at).time };
}

/** The sample table's columns: heading (the column's decimal name, as before migration 075) and field. */
const SAMPLE_COLUMNS: [string, keyof StoredQuote][] = [
  ["contract_symbol", "contractSymbol"],
  ["bid_price", "bidPrice"],
  ["ask_price", "askPrice"],
  ["open_interest", "openInterest"],
  ["implied_volatility", "impliedVolatility"],
  ["delta", "delta"],
  ["gamma", "gamma"],
  ["theta", "theta"],
  ["vega", "vega"],
  ["rho", "rho"],
  ["greeks_source", "greeksSource"],
];

async function sampleRows(db: Database, date: IsoDate, symbol: string, limit: number): Promise<string> {
  const quotes = await nearTheMoneyQuotes(db, { symbol, date, collectionType: "eod", limit });
  const columns = SAMPLE_COLUMNS.map(([title]) => title);
  const cells = quotes.map((quote) =>
    SAMPLE_COLUMNS.map(([, field]) => (quote[field] === null ? "NULL" : String(quote[field]))),
  );
  const widths = columns.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  return [`sample rows (${symbol}, next expiry, at the money):`, line(columns), ...cells.map(line)].join(
    "\n",
  );
}

export async function demoAction(options: DatabaseOptions & { json?: boolean }): Promise<void> {
  const { config: settings, fromEnvironment } = loadCommandConfig(options);
  const showBar = !options.json && process.stderr.isTTY === true;
  const progress = progressReporter(showBar);
  // The demo prints its own summary, so it logs only warnings unless CHAINVAULT_LOG_LEVEL asks for more.
  const logger = createLogger({
    level: fromEnvironment.has("log.level") ? settings.log.level : "warn",
    destination: progress.logDestination,
  });
  const { date, timeEt } = lastEodSlot(new Date(), settings.schedule);
  const sim = await startSimulator({
    port: 0,
    start: { date, timeEt },
    rate: Infinity,
    lines: Infinity,
  });
  try {
    await withDatabase(
      options,
      async ({ db, config }) => {
        const demoConfig = {
          ...config,
          ib: {
            ...config.ib,
            host: sim.host,
            port: sim.port,
            max_messages_per_second: 5000,
            max_market_data_lines: 1000,
          },
        };
        const ib = await IbClient.connect({
          host: sim.host,
          port: sim.port,
          clientId: config.ib.client_id,
          maxMessagesPerSecond: demoConfig.ib.max_messages_per_second,
          maxMarketDataLines: demoConfig.ib.max_market_data_lines,
          clockWarnThresholdMs: Number.POSITIVE_INFINITY,
          logger,
        });
        try {
          if (!options.json) {
            process.stdout.write(
              `simulated gateway on ${sim.host}:${sim.port}, New York time ${date} ${timeEt}; collecting ${DEMO_SYMBOLS.join(", ")}…\n`,
            );
          }
          const runId = newRunId();
          const run = (symbols: string[], runConfig: Config) =>
            runCollection(
              { symbols, type: "eod", date, force: true },
              { db, ib, config: runConfig, logger, onProgress: progress.onProgress },
              { runId },
            );
          const equities = await run(
            DEMO_SYMBOLS.filter((symbol) => !INDEX_DEMO_SYMBOLS.has(symbol)),
            demoConfig,
          );
          const indexes = await run(
            DEMO_SYMBOLS.filter((symbol) => INDEX_DEMO_SYMBOLS.has(symbol)),
            // VIX was recorded by the first run.
            {
              ...demoConfig,
              selection: demoIndexSelection(config.selection),
              collect: { ...config.collect, include_vix: false },
            },
          );
          const summary = joinSummaries(equities, indexes);
          progress.stop();
          if (options.json) {
            process.stdout.write(`${JSON.stringify(summaryJson(summary))}\n`);
          } else {
            const samples = [await sampleRows(db, date, "SPY", 6), await sampleRows(db, date, "SPX", 4)];
            process.stdout.write(`${formatSummary(summary)}\n\n${samples.join("\n\n")}\n`);
          }
          if (summary.symbols.some((entry) => entry.status === "failed")) process.exitCode = 1;
        } finally {
          progress.stop();
          await ib.close();
        }
      },
      { migrate: true, logger },
    );
  } finally {
    await sim.close();
  }
}
