import { specOf } from "../config/symbols.ts";
import { previousTradingDay } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import { pricingParametersFor } from "../pricing/parameters.ts";
import { checkCollection, COLLECTION_RULES } from "../quality/index.ts";
import type { CheckInput, CheckResult } from "../quality/index.ts";
import type { Database } from "../store/database.ts";
import { replaceCollectionIssues } from "../store/repositories/quality-issues.ts";
import { chainQuotes } from "../store/reads/chain-reads.ts";
import { collectionUnderlyingTick } from "../store/repositories/underlying-ticks.ts";
import { underlyingPriceOf } from "./snapshots.ts";

/** The symbol the collector stores the VIX level under (see collectVix in run.ts). */
const VIX = "VIX";

/** One stored collection to check, and what the run knew about it that the rows do not say. */
export interface QualityTarget {
  symbol: string;
  date: IsoDate;
  type: string;
  /** collection_runs.run_id of the run that stored it: each issue carries it. */
  runId: string;
  /** The status the run recorded for the collection (carried by quality_checked). */
  status?: "completed" | "partial" | "failed";
  /** A replacement under way: only rows from this gateway time on are the collection. */
  since: Date | null;
  listed: number;
  selected: number;
  unlistedExpiries: readonly string[];
}

export interface QualityDeps {
  db: Database;
  config: Config;
  logger: Logger;
  events?: EventSink;
}

/**
 * Runs the data-quality rules (src/quality) over a collection the run just stored, replaces the issues earlier
 * checks of that collection found with these (each carrying the run id), logs the outcome and emits
 * `quality_checked`. Never throws: a check that fails is logged, and the run's status stands.
 */
export async function checkStoredCollection(
  target: QualityTarget,
  deps: QualityDeps,
): Promise<CheckResult | null> {
  const { db, config, logger } = deps;
  if (!config.quality.enabled) return null;
  const { symbol, date, type, runId } = target;
  const started = performance.now();
  try {
    const input = await loadCheckInput(target, deps);
    const result = checkCollection(input, config.quality);
    for (const failure of result.failed)
      logger.error(
        { symbol, runId, rule: failure.rule, err: errorMessage(failure.error) },
        "a quality rule failed; the other rules ran (please report this)",
      );
    await replaceCollectionIssues(
      db,
      { collectionDate: date, symbol, collectionType: type },
      COLLECTION_RULES.map((rule) => rule.name),
      result.issues.map((issue) => ({
        collectionDate: date,
        symbol,
        collectionType: type,
        contractId: issue.contractId,
        rule: issue.rule,
        severity: issue.severity,
        message: issue.message,
        details:
          issue.affected === undefined ? issue.details : { ...issue.details, affected: issue.affected },
        runId,
      })),
    );
    const found = result.rules.filter((rule) => rule.count > 0);
    const errors = found.some((rule) => rule.severity === "error");
    logger[errors ? "warn" : "info"](
      {
        symbol,
        date,
        type,
        runId,
        score: Math.round(result.score * 10_000) / 10_000,
        issues: Object.fromEntries(found.map((rule) => [rule.rule, rule.count])),
        ms: Math.round(performance.now() - started),
      },
      found.length === 0
        ? "quality checked: no issues"
        : "quality checked: issues recorded (see `chainvault quality`)",
    );
    (deps.events ?? discardEvents).emit({
      kind: "quality_checked",
      runId,
      date,
      symbol,
      type,
      ...(target.status ? { status: target.status } : {}),
      issues: result.rules,
      score: result.score,
      contracts: result.contracts,
    });
    return result;
  } catch (error) {
    logger.warn(
      { symbol, date, type, runId, err: errorMessage(error) },
      "quality checks failed; the collection and its status stand (rerun them by collecting with --force)",
    );
    return null;
  }
}

/** The collection's rows, the previous trading day's of the same type, the underlying's and VIX's prices. */
async function loadCheckInput(target: QualityTarget, deps: QualityDeps): Promise<CheckInput> {
  const { db, config } = deps;
  const { symbol, date, type } = target;
  const previousDate = previousTradingDay(date);
  const quotes = await chainQuotes(db, { symbol, date, collectionType: type, since: target.since });
  const previousQuotes = await chainQuotes(db, { symbol, date: previousDate, collectionType: type });
  const price = async (of: string, on: IsoDate): Promise<number | null> => {
    const tick = await collectionUnderlyingTick(db, of, on, type);
    return tick ? underlyingPriceOf(tick) : null;
  };
  return {
    date,
    symbol,
    type,
    listed: target.listed,
    selected: target.selected,
    unlistedExpiries: target.unlistedExpiries,
    quotes,
    previous: previousQuotes.length > 0 ? { date: previousDate, quotes: previousQuotes } : null,
    underlying: {
      price: await price(symbol, date),
      previousPrice: await price(symbol, previousDate),
      // The move since yesterday's close is judged by the volatility expected at that close.
      vix: (await price(VIX, previousDate)) ?? (await price(VIX, date)),
    },
    pricing: pricingParametersFor(config.pricing, symbol, specOf(config.symbols, symbol).exercise),
  };
}
