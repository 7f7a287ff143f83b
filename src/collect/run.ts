import { isTradingDay, previousTradingDay, toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import { EXPIRING_ONLY_TYPES, FINAL_SNAPSHOT_TYPES } from "../core/collection.ts";
import type { CollectionRequest, CollectionType } from "../core/collection.ts";
import type { IbClient } from "../ib/client.ts";
import { IbRequestError } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import { pricingParametersFor } from "../pricing/parameters.ts";
import type { Database } from "../store/database.ts";
import {
  completeCollection,
  failCollection,
  startCollection,
  type CollectionKey,
} from "../store/repositories/collection-status.ts";
import { markExpiryCollected } from "../store/repositories/lifecycle.ts";
import { recordDeadLetter } from "../store/repositories/dead-letters.ts";
import { recentActivity } from "../store/repositories/quote-history.ts";
import { contractsWithQuotes, deleteCollectionQuotes } from "../store/repositories/quotes.ts";
import {
  deleteCollectionUnderlyingTicks,
  hasUnderlyingTick,
} from "../store/repositories/underlying-ticks.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import { discoverChain, discoverUnderlying, UnknownSymbolError } from "./discovery.ts";
import type { ChainDiscovery, DiscoveredContract, UnderlyingInfo } from "./discovery.ts";
import { QuoteWriter, toQuoteRow, writeUnderlyingTick } from "./quote-writer.ts";
import { selectContracts, withinMaxDaysToExpiry } from "./selection.ts";
import type { ContractActivity } from "./selection.ts";
import { collectSnapshots, quoteUnderlying, underlyingPriceOf } from "./snapshots.ts";
import type { SnapshotEngineOptions, SnapshotOutcome } from "./snapshots.ts";
import { emptySymbolSummary, finishSymbolSummary, pacingLowerBoundSeconds, secondsSince } from "./summary.ts";
import type { CollectionProgress, CollectionSummary, SymbolSummary } from "./summary.ts";
import { errorMessage } from "../core/errors.ts";

export interface CollectionDeps {
  db: Database;
  ib: IbClient;
  config: Config;
  logger: Logger;
  onProgress?: (progress: CollectionProgress) => void;
}

/**
 * One collection run: for every symbol, the status row, discovery, selection, paced snapshots, enrichment and
 * bulk writes while the run proceeds. Idempotent by (date, symbol, type): completed runs are skipped unless
 * forced; an interrupted run resumes with the contracts not yet stored. One symbol's failure never stops the others.
 */
export async function runCollection(
  request: CollectionRequest,
  deps: CollectionDeps,
): Promise<CollectionSummary> {
  const started = Date.now();
  const messagesBefore = deps.ib.messagesSent;
  const lineMsBefore = deps.ib.gatewayLineMilliseconds;
  await deps.ib.syncClock();
  const date = request.date ?? defaultCollectionDate(deps.ib.now());
  const engine: SnapshotEngineOptions = {
    timeoutMs: deps.config.collect.snapshot_timeout_ms,
    genericTicks: deps.config.collect.generic_ticks,
    maxAttempts: deps.config.collect.max_attempts,
    logger: deps.logger,
  };
  if (deps.config.collect.include_vix) await collectVix(deps, date, request.type, engine);

  // The next symbol's discovery (CONTRACT_DATA, database upserts) overlaps this symbol's snapshots, so the
  // message pipe never runs dry between symbols.
  const symbols: SymbolSummary[] = [];
  const start = (symbol: string): Preparation => {
    const started = Date.now();
    return { symbol, started, outcome: prepareSymbol(symbol, date, request, deps) };
  };
  let next = request.symbols[0] === undefined ? undefined : start(request.symbols[0]);
  for (let index = 0; next; index++) {
    const current = next;
    const outcome = await current.outcome;
    const following = request.symbols[index + 1];
    next = following === undefined ? undefined : start(following);
    symbols.push(await collectSymbol(current, outcome, date, request, deps, engine));
  }
  // The last cancels are part of the run: its message count and lower bound include them.
  await deps.ib.idle();
  const messages = deps.ib.messagesSent - messagesBefore;
  return {
    date,
    type: request.type,
    symbols,
    duration_s: secondsSince(started),
    pacing_lower_bound_s: pacingLowerBoundSeconds(messages, deps.ib.gatewayLineMilliseconds - lineMsBefore),
    messages_sent: messages,
  };
}

async function collectVix(
  deps: CollectionDeps,
  date: IsoDate,
  type: CollectionType,
  engine: SnapshotEngineOptions,
) {
  try {
    const vix = await discoverUnderlying(deps.db, deps.ib, "VIX");
    if (await hasUnderlyingTick(deps.db, vix.underlyingId, date, type)) return;
    const quote = await quoteUnderlying(deps.ib, "VIX", "IND", vix.conId, engine);
    await writeUnderlyingTick(deps.db, vix, quote, date, type);
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, "could not record VIX; the option collection goes on");
  }
}

interface Preparation {
  symbol: string;
  started: number;
  outcome: Promise<PrepareOutcome>;
}

type PrepareOutcome =
  | { kind: "skipped"; recordsCollected: number }
  | { kind: "ready"; underlying: UnderlyingInfo; discovery: ChainDiscovery }
  | { kind: "failed"; error: unknown };

/** Status row, --force clean-up, underlying and chain discovery: everything that needs no market data. Never rejects. */
async function prepareSymbol(
  symbol: string,
  date: IsoDate,
  request: CollectionRequest,
  deps: CollectionDeps,
): Promise<PrepareOutcome> {
  const { db, ib, config, logger } = deps;
  const key: CollectionKey = { collectionDate: date, symbol, collectionType: request.type };
  try {
    const status = await startCollection(db, key, {
      collectionTime: ib.now(),
      force: request.force ?? false,
    });
    if (status.status === "completed" && !request.force) {
      return { kind: "skipped", recordsCollected: status.recordsCollected ?? 0 };
    }
    deps.onProgress?.({ symbol, phase: "discovery", done: 0, total: 0 });
    if (request.force) {
      const known = await findUnderlying(db, symbol);
      if (known) {
        await deleteCollectionQuotes(db, known.id, date, request.type);
        await deleteCollectionUnderlyingTicks(db, known.id, date, request.type);
      }
    }
    const underlying = await discoverUnderlying(db, ib, symbol);
    const maxDays = config.selection.max_days_to_expiry;
    const discovery = await discoverChain(db, ib, underlying, {
      date,
      includeExpiry: (expiry) =>
        EXPIRING_ONLY_TYPES.has(request.type)
          ? expiry === date
          : withinMaxDaysToExpiry(date, expiry, maxDays),
      concurrency: config.collect.discovery_concurrency,
      logger,
    });
    return { kind: "ready", underlying, discovery };
  } catch (error) {
    return { kind: "failed", error };
  }
}

async function collectSymbol(
  preparation: Preparation,
  outcome: PrepareOutcome,
  date: IsoDate,
  request: CollectionRequest,
  deps: CollectionDeps,
  engine: SnapshotEngineOptions,
): Promise<SymbolSummary> {
  const { db, ib, config, logger } = deps;
  const { symbol, started } = preparation;
  const key: CollectionKey = { collectionDate: date, symbol, collectionType: request.type };
  const summary = emptySymbolSummary(symbol);
  const finish = (): SymbolSummary => finishSymbolSummary(summary, started);

  if (outcome.kind === "skipped") {
    logger.info({ symbol, date, type: request.type }, "already collected; skipping (use --force to re-run)");
    summary.status = "skipped";
    summary.quotes_stored = outcome.recordsCollected;
    summary.contracts_selected = summary.quotes_stored;
    return finish();
  }

  let stored = 0;
  try {
    if (outcome.kind === "failed") throw outcome.error;
    const { underlying, discovery } = outcome;
    summary.contracts_discovered = discovery.contracts.length;
    summary.new_listings = discovery.newListings;
    const underlyingQuote = await quoteUnderlying(ib, symbol, underlying.secType, underlying.conId, engine);
    if (!(await hasUnderlyingTick(db, underlying.underlyingId, date, request.type))) {
      await writeUnderlyingTick(db, underlying, underlyingQuote, date, request.type);
    }
    const underlyingPrice = underlyingPriceOf(underlyingQuote.quote);

    const activityById = await recentActivity(db, underlying.underlyingId, date);
    const activity = new Map<number, ContractActivity>();
    for (const contract of discovery.contracts) {
      const known = activityById.get(contract.contractId);
      if (known) activity.set(contract.conId, known);
    }
    const selection = selectContracts({
      contracts: discovery.contracts,
      underlyingPrice,
      impliedVolatility: underlyingQuote.quote.optionImpliedVolatility,
      securityType: underlying.securityType,
      asOf: date,
      activity,
      settings: config.selection,
    });
    const selected = selection.selected.map((entry) => entry.contract);
    summary.contracts_selected = selected.length;

    // Resume: what an interrupted attempt already stored is not requested again.
    const already = await contractsWithQuotes(db, underlying.underlyingId, date, request.type);
    const todo = selected.filter((contract) => !already.has(contract.contractId));
    const byId = new Map(selected.map((contract) => [contract.contractId, contract]));
    logger.info(
      {
        symbol,
        discovered: discovery.contracts.length,
        selected: selected.length,
        alreadyStored: already.size,
        toRequest: todo.length,
        newListings: discovery.newListings,
        underlyingPrice,
      },
      "collecting",
    );

    const writer = new QuoteWriter(db, config.collect.write_batch_rows);
    const pricing = pricingParametersFor(config.pricing, symbol);
    const failures: { contract: DiscoveredContract; error: IbRequestError }[] = [];
    let done = 0;
    deps.onProgress?.({ symbol, phase: "snapshots", done, total: todo.length });
    await collectSnapshots(
      ib,
      todo.map((contract) => ({ key: contract.contractId, conId: contract.conId })),
      engine,
      {
        symbol,
        onResult: async (outcome: SnapshotOutcome) => {
          const contract = byId.get(outcome.key)!;
          writer.add(toQuoteRow(outcome, contract, date, request.type, underlyingPrice, pricing));
          done++;
          deps.onProgress?.({ symbol, phase: "snapshots", done, total: todo.length });
          await writer.maybeFlush();
        },
        onFailure: (failure) => {
          failures.push({ contract: byId.get(failure.key)!, error: failure.error });
          done++;
          deps.onProgress?.({ symbol, phase: "snapshots", done, total: todo.length });
        },
      },
    );
    await writer.flush();
    stored = writer.stored;

    for (const failure of failures) {
      await recordDeadLetter(db, {
        collectionDate: date,
        symbol,
        collectionType: request.type,
        contractId: failure.contract.contractId,
        contractSymbol: failure.contract.contractSymbol,
        category: failure.error.category === "info" ? "data" : failure.error.category,
        errorCode: failure.error.code,
        errorMessage: failure.error.message,
        attempts: config.collect.max_attempts,
        payload: { conId: failure.contract.conId },
      });
    }
    if (FINAL_SNAPSHOT_TYPES.has(request.type)) {
      const expiringToday = [...writer.storedIds, ...already].filter((id) => byId.get(id)?.expiry === date);
      await markExpiryCollected(db, expiringToday, date);
    }

    summary.quotes_stored = already.size + stored;
    const problems = [
      ...(failures.length > 0 ? [`${failures.length} contracts failed (see collection_dead_letters)`] : []),
      ...(discovery.failedExpiries.length > 0
        ? [`expiries not listed: ${discovery.failedExpiries.join(", ")}`]
        : []),
    ];
    summary.status = problems.length === 0 ? "completed" : summary.quotes_stored > 0 ? "partial" : "failed";
    if (summary.status === "failed") {
      await failCollection(db, key, problems.join("; "), summary.quotes_stored);
      summary.error = problems.join("; ");
    } else {
      await completeCollection(db, key, {
        recordsCollected: summary.quotes_stored,
        status: summary.status === "partial" ? "partial" : "completed",
        errorMessage: problems.length > 0 ? problems.join("; ") : null,
      });
    }
    deps.onProgress?.({ symbol, phase: "done", done, total: todo.length });
    logger.info(
      { symbol, status: summary.status, stored: summary.quotes_stored, selected: summary.contracts_selected },
      "collected",
    );
    return finish();
  } catch (error) {
    const message =
      error instanceof UnknownSymbolError || error instanceof IbRequestError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    logger.error({ symbol, err: message }, "collection failed");
    summary.status = "failed";
    summary.error = errorMessage(error);
    summary.quotes_stored = stored;
    await failCollection(db, key, summary.error, stored).catch((statusError: unknown) =>
      logger.error({ err: (statusError as Error).message }, "could not record the failure"),
    );
    deps.onProgress?.({ symbol, phase: "done", done: 0, total: 0 });
    return finish();
  }
}

/** The gateway's New York date; on a weekend or holiday the last trading day, whose frozen data it serves. */
export function defaultCollectionDate(gatewayNow: Date): IsoDate {
  const { date } = toEt(gatewayNow);
  return isTradingDay(date) ? date : previousTradingDay(date);
}
