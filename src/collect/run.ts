import {
  etInstant,
  isTradingDay,
  nextTradingDay,
  previousTradingDay,
  REGULAR_OPEN_ET,
  toEt,
} from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { CollectionRequest, CollectionType } from "../core/collection.ts";
import { errorMessage, UsageError } from "../core/errors.ts";
import { discardEvents } from "../core/events.ts";
import type { ChainvaultEvent } from "../core/events.ts";
import { newRunId } from "../core/run-id.ts";
import { guardOf } from "../ib/gateway-guard.ts";
import type { Logger } from "../logger.ts";
import { CollectionLocks, staleAfterMsFor } from "../store/collection-lock.ts";
import { databaseIdentity } from "../store/info.ts";
import { DatabaseOutage, patientDatabase, pingDatabase } from "../store/outage.ts";
import { recordInstall } from "../store/repositories/install.ts";
import { insertQuotes } from "../store/repositories/quotes.ts";
import {
  deleteUnderlyingTicksBefore,
  hasUnderlyingTick,
  latestUnderlyingTickTime,
} from "../store/repositories/underlying-ticks.ts";
import { discoverUnderlying } from "./discovery.ts";
import { writeUnderlyingTick } from "./quote-writer.ts";
import { quoteUnderlying } from "./snapshots.ts";
import type { SnapshotEngineOptions } from "./snapshots.ts";
import { pacingLowerBoundSeconds, secondsSince } from "./summary.ts";
import type { CollectionSummary, SymbolSummary } from "./summary.ts";
import { collectSymbol } from "./collect-symbol.ts";
import { gatewayTimeAfter, prepareSymbol } from "./prepare-symbol.ts";
import type { CollectionDeps, Preparation } from "./prepare-symbol.ts";
import { rememberPacing, resumeRememberedPacing } from "./pacing-memory.ts";
import { settleAbandonedRuns } from "./settle-abandoned.ts";
import { QuoteSpool, replayLeftSpools, spoolDirOf } from "./spool.ts";

/** How the caller can stop a run early (SIGTERM, a lost job claim), and the id the run goes by. */
export interface RunControl {
  /**
   * Once aborted, no further contract or symbol is started; requests in flight finish, what arrived is
   * written, and each symbol cut short is recorded `partial` with "interrupted by <reason>", so the next
   * run resumes it. Symbols not started yet are left out of the summary.
   */
  signal?: AbortSignal;
  /**
   * The run's correlation id (core/run-id.ts), e.g. the daemon slot attempt's, or the one the caller put in
   * its gateway client's log lines; a new one when absent.
   */
  runId?: string;
}

/**
 * One collection run: for every symbol, the status row, discovery, selection, paced snapshots, enrichment and
 * bulk writes while the run proceeds. Idempotent by (date, symbol, type): completed runs are skipped unless
 * forced; an interrupted run resumes with the contracts not yet stored. One run per key: a key another live
 * run holds is reported "busy" and left alone (collection-lock.ts). One symbol's failure never stops the others.
 * A database outage costs time, not quotes: see QuoteWriter and docs/collector.md#database-outages.
 */
export async function runCollection(
  request: CollectionRequest,
  given: CollectionDeps,
  control: RunControl = {},
): Promise<CollectionSummary> {
  const runId = control.runId ?? newRunId();
  // Every line the run logs carries its id, as do its status rows, dead letters and events.
  const deps: CollectionDeps = { ...given, logger: given.logger.child({ runId }) };
  const { config, logger } = deps;
  // Probed while it lasts, so an outage noticed by a heartbeat alone still ends when the database answers.
  const outage =
    deps.outage ??
    new DatabaseOutage({
      logger,
      maxOutageMs: config.collect.max_db_outage_seconds * 1000,
      probe: () => pingDatabase(deps.db),
    });
  // Everything but the quote writes waits an outage out; the quote writer spools instead (see QuoteWriter).
  const db = patientDatabase(deps.db, outage);
  const spoolDir = spoolDirOf(config);
  const database = await databaseIdentity(db);
  // No disk space for the quotes: the run stops taking contracts as on SIGTERM, and says why.
  const full = new AbortController();
  const stopRun = (reason: string): void => {
    if (full.signal.aborted) return;
    logger.error({ reason }, `stopping the run: ${reason}`);
    full.abort(reason);
  };
  const spool = new QuoteSpool({
    dir: spoolDir,
    memoryRows: config.collect.spool_memory_rows,
    database,
    logger,
    onFull: (error) =>
      stopRun(
        `a full disk (the quote spool in ${spoolDir} cannot be written: ${errorMessage(error)}) ` +
          "while the database is away",
      ),
  });
  const signal = control.signal ? AbortSignal.any([control.signal, full.signal]) : full.signal;
  try {
    // Before anything is written: a date the gateway is not serving is refused whole.
    await refreshClock(deps);
    if (request.date !== undefined) refuseLookAhead(request.date, deps.ib.now());
    await replayLeftSpools({
      dir: spoolDir,
      database,
      store: (rows) => insertQuotes(db, rows),
      batchRows: config.collect.write_batch_rows,
      logger,
    });
    const summary = await collect(
      request,
      { ...deps, db, outage, spooling: { spool, outage, direct: deps.db, logger, stopRun } },
      { ...control, signal, runId },
    );
    if (full.signal.aborted) summary.stopped = String(full.signal.reason);
    return summary;
  } finally {
    await closeSpool(spool, logger);
    if (!deps.outage) await outage.close();
  }
}

async function collect(
  request: CollectionRequest,
  deps: CollectionDeps,
  control: RunControl & { runId: string },
): Promise<CollectionSummary> {
  const { signal, runId } = control;
  const events = deps.events ?? discardEvents;
  const started = Date.now();
  const messagesBefore = deps.ib.messagesSent;
  const slowDownsBefore = deps.ib.pacingAdjustments.slowDowns;
  await resumeRememberedPacing(deps);
  const lineMsBefore = deps.ib.gatewayLineMilliseconds;
  // The first collection on a database marks chainvault's start there, by the gateway's clock (see install.ts).
  await recordInstall(deps.db, deps.ib.now(), "collect");
  const date = request.date ?? defaultCollectionDate(deps.ib.now());
  const engine: SnapshotEngineOptions = {
    timeoutMs: deps.config.collect.snapshot_timeout_ms,
    genericTicks: deps.config.collect.generic_ticks,
    maxAttempts: deps.config.collect.max_attempts,
    logger: deps.logger,
  };
  const force = request.force ?? false;
  const locks = await CollectionLocks.open(deps.db, {
    logger: deps.logger,
    outage: deps.outage,
    runId,
    staleAfterMs: staleAfterMsFor(deps.config.collect.max_db_outage_seconds * 1000),
  });
  const symbols: SymbolSummary[] = [];
  try {
    await settleAbandonedRuns(deps, locks);
    if (deps.config.collect.include_vix && !signal?.aborted)
      await collectVix(deps, locks, { date, type: request.type, force }, engine);

    // The next symbol's discovery (CONTRACT_DATA, database upserts) overlaps this symbol's snapshots, so the
    // message pipe never runs dry between symbols.
    const start = (symbol: string): Preparation =>
      prepareSymbol({ symbol, date, type: request.type, force }, deps, locks);
    const startUnlessStopped = (symbol: string | undefined): Preparation | undefined =>
      symbol === undefined || signal?.aborted ? undefined : start(symbol);
    let next = startUnlessStopped(request.symbols[0]);
    for (let index = 0; next; index++) {
      const current = next;
      const outcome = await current.outcome;
      next = startUnlessStopped(request.symbols[index + 1]);
      const summary = await collectSymbol(current, outcome, deps, engine, signal);
      symbols.push(summary);
      events.emit(collectionFinished(summary, { runId, date, type: request.type }));
    }
  } finally {
    await locks.close();
  }
  // The last cancels are part of the run: its message count and lower bound include them.
  await deps.ib.idle();
  await rememberPacing(deps, slowDownsBefore);
  const messages = deps.ib.messagesSent - messagesBefore;
  return {
    run_id: runId,
    date,
    type: request.type,
    symbols,
    duration_s: secondsSince(started),
    pacing_lower_bound_s: pacingLowerBoundSeconds(messages, deps.ib.gatewayLineMilliseconds - lineMsBefore),
    messages_sent: messages,
  };
}

/** A symbol's summary as the event observers (alerts, metrics) receive it. */
function collectionFinished(
  summary: SymbolSummary,
  run: { runId: string; date: IsoDate; type: CollectionType },
): ChainvaultEvent {
  return {
    kind: "collection_finished",
    runId: run.runId,
    date: run.date,
    symbol: summary.symbol,
    type: run.type,
    status: summary.status,
    listed: summary.contracts_discovered,
    selected: summary.contracts_selected,
    stored: summary.quotes_stored,
    coverage: summary.coverage,
    durationSeconds: summary.duration_s,
    ...(summary.error === undefined ? {} : { error: summary.error }),
  };
}

/** Quotes the run could not store stay in the spool's file for the next run; say where. */
async function closeSpool(spool: QuoteSpool, logger: Logger): Promise<void> {
  try {
    const left = await spool.close();
    if (left)
      logger.warn(
        { file: left.file, quotes: left.rows },
        "quotes taken while the database was away are kept in the spool; the next run stores them",
      );
  } catch (error) {
    logger.error(
      { file: spool.file, quotes: spool.size, err: errorMessage(error) },
      "could not write the quote spool: the quotes it held in memory are lost (the next run collects those contracts again)",
    );
  }
}

/**
 * Reads the gateway's clock again (the date and the market-data type depend on it). It was read when the
 * connection opened: a run that starts during an outage keeps that reading instead of failing.
 */
async function refreshClock(deps: CollectionDeps): Promise<void> {
  try {
    const gatewayNow = await guardOf(deps.ib).execute(() => deps.ib.syncClock(), {
      kind: "discovery",
      maxAttempts: 2,
    });
    // Every time the run records (status rows, quotes) is the gateway's: the local clock's offset says how far apart.
    deps.logger.info(
      { gatewayTime: gatewayNow.toISOString(), localOffsetMs: Math.round(deps.ib.clockOffsetMs) },
      "gateway clock read; the run's times are the gateway's",
    );
  } catch (error) {
    deps.logger.warn(
      { err: errorMessage(error) },
      "could not read the gateway's clock again; using the reading taken when the connection opened",
    );
  }
}

/**
 * The collection's VIX tick, under the (date, VIX, type) key so two runs do not both store one. A forced
 * run refreshes it the way it replaces a symbol's rows: the new tick is written first, then the older
 * ones are deleted, so the collection never lacks one.
 */
export async function collectVix(
  deps: CollectionDeps,
  locks: CollectionLocks,
  target: { date: IsoDate; type: CollectionType; force: boolean },
  engine: SnapshotEngineOptions,
): Promise<void> {
  const { date, type, force } = target;
  try {
    const claim = await locks.claim({ collectionDate: date, symbol: "VIX", collectionType: type });
    if (!claim.held) {
      deps.logger.info(
        { date, type },
        "another run is recording VIX for this collection; not recording it twice",
      );
      return;
    }
    try {
      const vix = await discoverUnderlying(deps.db, deps.ib, "VIX");
      if (!force && (await hasUnderlyingTick(deps.db, vix.underlyingId, date, type))) return;
      if (force) {
        const stored = await latestUnderlyingTickTime(deps.db, vix.underlyingId, date, type);
        if (stored)
          await gatewayTimeAfter(
            deps.ib,
            stored.getTime(),
            `refresh VIX for ${type} ${date}: its stored tick`,
          );
      }
      const quote = await quoteUnderlying(deps.ib, "VIX", "IND", vix.conId, engine);
      await writeUnderlyingTick(deps.db, vix, quote, date, type);
      if (force) await deleteUnderlyingTicksBefore(deps.db, vix.underlyingId, date, type, quote.time);
    } finally {
      await claim.lease.unlock();
    }
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, "could not record VIX; the option collection goes on");
  }
}

/** `collect --date D` against a gateway that is not serving D's market: refused (exit 2) before anything is stored. */
export class LookAheadError extends UsageError {}

/**
 * Refuses a collection date the gateway's clock is not serving. A snapshot is stamped with its date and the
 * gateway's time; taken for a past date it would file later prices under that date (look-ahead in any
 * backtest), taken for a future date it would file earlier ones. D is served from its New York midnight until
 * the next trading day's open: overnight and over a weekend or holiday the gateway still shows D's closing
 * market (the daemon's EOD slot runs in that window), and the pre-market slot of the next day is already its own.
 * Past days are not collected as live snapshots: the daemon's gap check fills them with IB's daily bars, stored
 * as such (collection type hist_daily).
 */
export function refuseLookAhead(date: IsoDate, gatewayNow: Date): void {
  const from = etInstant(date, "00:00");
  const until = etInstant(nextTradingDay(date), REGULAR_OPEN_ET);
  if (gatewayNow.getTime() >= from.getTime() && gatewayNow.getTime() < until.getTime()) return;
  const { date: today, time } = toEt(gatewayNow);
  const serving = defaultCollectionDate(gatewayNow);
  const when = gatewayNow < from ? "a future date" : "a past date";
  throw new LookAheadError(
    `--date ${date} is ${when} for the gateway: its clock reads ${today} ${time} New York time, so it serves ` +
      `${serving}'s market; rows stamped ${date} would carry ${gatewayNow < from ? "earlier" : "later"} prices. ` +
      `Collect ${serving} (omit --date), or let the daemon's gap check fill ${date} with IB's daily bars (hist_daily)`,
  );
}

/** The gateway's New York date; on a weekend or holiday the last trading day, whose frozen data it serves. */
export function defaultCollectionDate(gatewayNow: Date): IsoDate {
  const { date } = toEt(gatewayNow);
  return isTradingDay(date) ? date : previousTradingDay(date);
}
