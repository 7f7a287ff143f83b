import { specOf } from "../config/symbols.ts";
import { EXPIRING_ONLY_TYPES, FINAL_SNAPSHOT_TYPES } from "../core/collection.ts";
import { errorMessage } from "../core/errors.ts";
import { IbRequestError } from "../ib/client.ts";
import { isoFromIbDate } from "../ib/contract-objects.ts";
import { pricingParametersFor } from "../pricing/parameters.ts";
import type { CollectionLease, CollectionOwner } from "../store/collection-lock.ts";
import type { Queryable } from "../store/database.ts";
import { completeCollection, failCollection } from "../store/repositories/collection-status.ts";
import type { ContractCounts } from "../store/repositories/collection-status.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { isDiskFull } from "../store/unavailable.ts";
import { recentActivity } from "../store/repositories/quote-history.ts";
import { contractsWithQuotes, deleteQuotesBefore } from "../store/repositories/quotes.ts";
import { deleteUnderlyingTicksBefore, hasUnderlyingTick } from "../store/repositories/underlying-ticks.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import { recordDeadLetter } from "../store/repositories/dead-letters.ts";
import { markExpiryCollected } from "../store/repositories/lifecycle.ts";
import { recordChainAnalyticsAfterCollection } from "./chain-analytics.ts";
import { checkStoredCollection } from "./check-quality.ts";
import { UnknownSymbolError } from "./discovery.ts";
import type { ChainDiscovery, DiscoveredContract, UnderlyingInfo } from "./discovery.ts";
import { statusKey } from "./prepare-symbol.ts";
import type { CollectionDeps, Preparation, PrepareOutcome, SymbolTarget } from "./prepare-symbol.ts";
import { QuoteWriter, SpoolOwnerLost, toQuoteRow, writeUnderlyingTick } from "./quote-writer.ts";
import type { QuoteSpool } from "./spool.ts";
import { selectContracts } from "./selection.ts";
import type { ContractActivity } from "./selection.ts";
import { collectSnapshots, quoteUnderlying, underlyingPriceOf } from "./snapshots.ts";
import type { SnapshotEngineOptions, SnapshotOutcome, SnapshotsEnd, UnderlyingQuote } from "./snapshots.ts";
import { emptySymbolSummary, finishSymbolSummary } from "./summary.ts";
import type { CollectionProgress, SymbolSummary } from "./summary.ts";

/** What every step of a symbol's collection works with (a split collection's coordinator too, src/collect/split.ts). */
export interface SymbolRun {
  target: SymbolTarget;
  deps: CollectionDeps;
  engine: SnapshotEngineOptions;
  /** The claim on the key; absent when preparation failed before it was claimed. */
  lease?: CollectionLease;
  /** Whether this run set the status row to running: only then does it record a failure there. */
  statusStarted: boolean;
  /** Once aborted, no further contract is requested (see RunControl in run.ts). */
  signal?: AbortSignal;
  /** Listed and selected contracts as far as the run got: written into the status row. */
  counts: ContractCounts;
}

/** The selected contracts, and which of them still need a snapshot. */
interface SnapshotPlan {
  /** The selected contracts by contract id. */
  byId: ReadonlyMap<number, DiscoveredContract>;
  alreadyStored: ReadonlySet<number>;
  toRequest: readonly DiscoveredContract[];
}

interface ContractFailure {
  contract: DiscoveredContract;
  error: IbRequestError;
}

interface SnapshotResults {
  /** Rows written in this attempt, and their contract ids. */
  stored: number;
  storedIds: readonly number[];
  failures: readonly ContractFailure[];
  /** Contracts finished, stored or failed. */
  done: number;
  /** How the phase ended short of its contracts (the gateway went away), if it did. */
  end: SnapshotsEnd;
  /** Set when the database stayed away longer than allowed: the run stopped, the rest is in the spool. */
  outage: SpooledOutage | null;
  /** Quotes taken but not stored (the database's disk is full): what became of them, for the status row. */
  unstored: string | null;
}

/**
 * Discovery found no contract to collect for a symbol whose chain IB lists: the run stored nothing, and a
 * night that stores nothing must not read "completed at 100 %".
 */
export class NoContractsError extends Error {
  override name = "NoContractsError";
}

/** A database outage that outlasted collect.max_db_outage_seconds, and where the quotes it kept wait. */
class SpooledOutage extends Error {
  override name = "SpooledOutage";
  constructor(outage: DatabaseOutageError, spool: QuoteSpool) {
    super(`${outage.message}; ${spoolText(spool, "taken meanwhile")}`);
  }
}

/** Where a spool's rows wait: its file for the next run, or nowhere when its disk is full. */
function spoolText(spool: QuoteSpool, which: string): string {
  const kept =
    spool.onDisk > 0
      ? [`${spool.onDisk} quotes ${which} are kept in ${spool.file} and stored by the next run`]
      : [];
  const lost =
    spool.inMemory > 0
      ? [
          `${spool.inMemory} quotes ${which} could not be kept (the spool cannot be written: ` +
            `${errorMessage(spool.writeError)}); the next run requests those contracts again`,
        ]
      : [];
  return [...kept, ...lost].join("; ");
}

/**
 * Collects a prepared symbol: its underlying's quote, the contract selection, snapshots of the selected
 * contracts not stored yet, their dead letters and the status row. Never rejects: a failure ends up in the
 * summary and the status row. Stopped by `signal`, it writes what arrived and records the symbol `partial`,
 * "interrupted by …": the next run resumes it.
 */
export async function collectSymbol(
  preparation: Preparation,
  outcome: PrepareOutcome,
  deps: CollectionDeps,
  engine: SnapshotEngineOptions,
  signal?: AbortSignal,
): Promise<SymbolSummary> {
  const lease = outcome.kind === "ready" || outcome.kind === "failed" ? outcome.lease : undefined;
  const run: SymbolRun = {
    target: preparation.target,
    deps,
    engine,
    statusStarted: outcome.kind === "ready" || (outcome.kind === "failed" && outcome.statusStarted),
    counts: {},
    ...(lease ? { lease } : {}),
    ...(signal ? { signal } : {}),
  };
  const summary = emptySymbolSummary(run.target.symbol);
  if (outcome.kind === "busy") {
    summary.status = "busy";
    summary.error = busyMessage(run.target, outcome.owner);
    deps.logger.warn({ symbol: run.target.symbol }, summary.error);
    report(run, "done", 0, 0);
    return finishSymbolSummary(summary, preparation.started);
  }
  if (outcome.kind === "skipped") {
    logSkipped(run);
    summary.status = "skipped";
    summary.quotes_stored = outcome.recordsCollected;
    summary.contracts_selected = summary.quotes_stored;
    return finishSymbolSummary(summary, preparation.started);
  }

  let stored = 0;
  let storedBefore = 0;
  try {
    if (outcome.kind === "failed") throw outcome.error;
    const { underlying, discovery } = outcome;
    summary.contracts_discovered = discovery.contracts.length;
    summary.new_listings = discovery.newListings;
    run.counts.contractsListed = discovery.contracts.length;
    if (discovery.contracts.length === 0) {
      run.counts.contractsSelected = 0;
      const nothingDue = nothingExpires(run, discovery);
      if (nothingDue === null) throw new NoContractsError(noContractsText(run, discovery));
      summary.status = "completed";
      await recordStatus(run, "completed", 0, [nothingDue]);
      report(run, "done", 0, 0);
      logCollected(run, summary);
      return finishSymbolSummary(summary, preparation.started);
    }
    if (signal?.aborted) return await recordInterruptedBeforeSnapshots(run, underlying, summary, preparation);

    const underlyingQuote = await snapshotUnderlying(run, underlying);
    const underlyingPrice = underlyingPriceOf(underlyingQuote.quote);
    const selected = await chooseContracts(run, underlying, discovery, underlyingQuote, underlyingPrice);
    summary.contracts_selected = selected.length;
    run.counts.contractsSelected = selected.length;
    const plan = await planSnapshots(run, underlying, selected);
    storedBefore = plan.alreadyStored.size;
    logPlan(run, discovery, plan, underlyingPrice);

    const snapshots = await snapshotOptions(run, plan, underlyingPrice);
    stored = snapshots.stored;
    if (snapshots.outage) throw snapshots.outage;
    await unlessDiskFull(run, "its dead letters", () => recordDeadLetters(run, snapshots.failures));
    if (FINAL_SNAPSHOT_TYPES.has(run.target.type))
      await unlessDiskFull(run, "which contracts' expiry was collected", () =>
        markExpiringCollected(run, plan, snapshots.storedIds),
      );

    summary.quotes_stored = plan.alreadyStored.size + stored;
    // A stop request leaves contracts neither stored nor failed, as a gateway outage does.
    const interrupted = run.signal?.aborted === true && snapshots.end.notCollected > 0;
    const interruption = interrupted
      ? interruptionText(run, `after ${snapshots.done} of ${plan.toRequest.length} contracts`)
      : null;
    const problems = problemsOf(snapshots, discovery, interruption);
    summary.status = interrupted ? "partial" : statusOf(problems, summary.quotes_stored);
    if (summary.status === "failed" || interrupted) summary.error = problems.join("; ");
    await recordStatus(run, summary.status, summary.quotes_stored, problems);
    report(run, "done", snapshots.done, plan.toRequest.length);
    logCollected(run, summary);
    // Of the snapshot just recorded; a by-product that logs its failure and never throws. A run asked to stop
    // leaves it to `chainvault analyze`, which computes it on demand.
    if (!interrupted)
      await recordChainAnalyticsAfterCollection(
        run.deps.db,
        statusKey(run.target),
        run.lease?.runId ?? null,
        run.deps.logger,
      );
  } catch (error) {
    summary.status = "failed";
    summary.error = errorMessage(error);
    // What the database holds for the key, including an earlier attempt's rows.
    summary.quotes_stored = storedBefore + stored;
    await recordFailure(run, error, summary.quotes_stored);
  } finally {
    await lease?.unlock();
  }
  // What this run recorded a status for, once its chain was listed, is checked; the check never fails the
  // run. Not while the database is away: the check would wait the outage out again, for rows still spooled.
  if (outcome.kind === "ready" && !deps.outage?.active) await checkQuality(run, outcome, summary);
  return finishSymbolSummary(summary, preparation.started);
}

async function checkQuality(
  run: SymbolRun,
  outcome: Extract<PrepareOutcome, { kind: "ready" }>,
  summary: SymbolSummary,
): Promise<void> {
  const { symbol, date, type } = run.target;
  await checkStoredCollection(
    {
      symbol,
      date,
      type,
      runId: outcome.lease.runId,
      ...(summary.status === "completed" || summary.status === "partial" || summary.status === "failed"
        ? { status: summary.status }
        : {}),
      since: outcome.lease.replacingBefore,
      listed: outcome.discovery.contracts.length,
      selected: summary.contracts_selected,
      unlistedExpiries: outcome.discovery.failedExpiries,
    },
    run.deps,
  );
}

/**
 * A pre-expiry or settlement collection on a day the symbol has no expiry (a stock with monthly options only, on
 * a weekly Friday) has nothing to collect: the note its status row gets. Null when contracts were due.
 */
function nothingExpires(run: SymbolRun, discovery: ChainDiscovery): string | null {
  const { symbol, date, type } = run.target;
  if (!EXPIRING_ONLY_TYPES.has(type)) return null;
  const listed = discovery.chain.expirations.some((expiry) => isoFromIbDate(expiry) === date);
  return listed ? null : `no ${symbol} options expire on ${date}: nothing to collect`;
}

/** What the run found instead of contracts, and what to change. */
function noContractsText(run: SymbolRun, discovery: ChainDiscovery): string {
  const { symbol, date, type } = run.target;
  const unlisted =
    discovery.failedExpiries.length > 0
      ? `; IB did not list the expiries ${discovery.failedExpiries.join(", ")} (retry: \`chainvault collect --symbols ${symbol} --type ${type} --date ${date}\`)`
      : "";
  if (EXPIRING_ONLY_TYPES.has(type))
    return `IB lists a ${symbol} expiry on ${date} but returned no contracts for it; nothing was stored${unlisted}`;
  const next = discovery.chain.expirations
    .map((expiry) => isoFromIbDate(expiry))
    .filter((expiry): expiry is string => expiry !== null && expiry >= date)
    .sort()[0];
  const maxDays = run.deps.config.selection.max_days_to_expiry;
  const window =
    maxDays === null ? `from ${date} on` : `within selection.max_days_to_expiry (${maxDays} days) of ${date}`;
  return (
    `no ${symbol} option contracts listed ${window} (next listed expiry: ${next ?? "none"}); nothing was ` +
    `stored${unlisted}. ${maxDays === null ? "Check" : "Raise selection.max_days_to_expiry, or check"} ` +
    "the symbol's option chain in TWS"
  );
}

/** Who holds the key and what the user can do about it. */
function busyMessage(target: SymbolTarget, owner: CollectionOwner | null): string {
  const what = `${target.symbol} ${target.type} ${target.date} is being collected by another run`;
  const who =
    owner === null
      ? ""
      : ` (process ${owner.pid} on ${owner.host}, started ${owner.startedAt.toISOString()}, ` +
        `last heartbeat ${Math.round(owner.heartbeatAgeMs / 1000)} s ago)`;
  return (
    `${what}${who}; nothing was written. Wait for it to finish (\`chainvault status\` shows it), or stop it: ` +
    "a run whose process is gone is taken over automatically"
  );
}

/** The underlying's quote; its tick is stored once per collection (a resumed run keeps the first). */
export async function snapshotUnderlying(
  run: SymbolRun,
  underlying: UnderlyingInfo,
): Promise<UnderlyingQuote> {
  const { db, ib } = run.deps;
  const { symbol, date, type } = run.target;
  const quote = await quoteUnderlying(ib, symbol, underlying.secType, underlying.conId, run.engine);
  const since = run.lease?.replacingBefore ?? null;
  if (!(await hasUnderlyingTick(db, underlying.underlyingId, date, type, since))) {
    await writeUnderlyingTick(db, underlying, quote, date, type);
  }
  return quote;
}

/** The discovered contracts the selection settings keep, given the underlying's price, IV and recent activity. */
export async function chooseContracts(
  run: SymbolRun,
  underlying: UnderlyingInfo,
  discovery: ChainDiscovery,
  underlyingQuote: UnderlyingQuote,
  underlyingPrice: number | null,
): Promise<DiscoveredContract[]> {
  const { db, config } = run.deps;
  const activityById = await recentActivity(db, underlying.underlyingId, run.target.date);
  // The selection knows contracts by conId; the database by contract id.
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
    asOf: run.target.date,
    activity,
    settings: config.selection,
  });
  return selection.selected.map((entry) => entry.contract);
}

/** Resume: what an interrupted attempt already stored (of a replacement: of the new snapshot) is not requested again. */
async function planSnapshots(
  run: SymbolRun,
  underlying: UnderlyingInfo,
  selected: readonly DiscoveredContract[],
): Promise<SnapshotPlan> {
  const { date, type } = run.target;
  const since = run.lease?.replacingBefore ?? null;
  const alreadyStored = await contractsWithQuotes(run.deps.db, underlying.underlyingId, date, type, since);
  return {
    byId: new Map(selected.map((contract) => [contract.contractId, contract])),
    alreadyStored,
    toRequest: selected.filter((contract) => !alreadyStored.has(contract.contractId)),
  };
}

/** Snapshots the contracts still to request, writing their enriched quotes in batches as they arrive. */
async function snapshotOptions(
  run: SymbolRun,
  plan: SnapshotPlan,
  underlyingPrice: number | null,
): Promise<SnapshotResults> {
  const { db, ib, config } = run.deps;
  const { symbol, date, type } = run.target;
  // An outage longer than allowed stops the run taking contracts; those in flight still finish.
  const stop = new AbortController();
  const { spooling } = run.deps;
  const lease = run.lease;
  const writer = new QuoteWriter(
    db,
    config.collect.write_batch_rows,
    spooling,
    () => stop.abort(),
    lease && spooling ? () => lease.stillHeld(spooling.direct) : undefined,
  );
  const pricing = pricingParametersFor(config.pricing, symbol, specOf(config.symbols, symbol).exercise);
  const failures: ContractFailure[] = [];
  const total = plan.toRequest.length;
  let done = 0;
  report(run, "snapshots", done, total);
  const end = await collectSnapshots(
    ib,
    plan.toRequest.map((contract) => ({ key: contract.contractId, conId: contract.conId })),
    run.engine,
    {
      symbol,
      signal: run.signal ? AbortSignal.any([stop.signal, run.signal]) : stop.signal,
      onResult: async (outcome: SnapshotOutcome) => {
        const contract = plan.byId.get(outcome.key)!;
        writer.add(toQuoteRow(outcome, contract, date, type, underlyingPrice, pricing));
        done++;
        report(run, "snapshots", done, total);
        await writer.maybeFlush();
      },
      onFailure: (failure) => {
        failures.push({ contract: plan.byId.get(failure.key)!, error: failure.error });
        done++;
        report(run, "snapshots", done, total);
      },
    },
  );
  let outage: SpooledOutage | null = null;
  const spool = run.deps.spooling?.spool;
  try {
    await writer.flush();
  } catch (error) {
    if (!(error instanceof DatabaseOutageError) || !spool) throw error;
    outage = new SpooledOutage(error, spool);
  }
  const unstored = spool && outage === null && writer.unstored > 0 ? spoolText(spool, "not stored") : null;
  return { stored: writer.stored, storedIds: writer.storedIds, failures, done, end, outage, unstored };
}

/** Stopped after discovery, before any request: the row says so, with what earlier attempts stored. */
async function recordInterruptedBeforeSnapshots(
  run: SymbolRun,
  underlying: UnderlyingInfo,
  summary: SymbolSummary,
  preparation: Preparation,
): Promise<SymbolSummary> {
  const { date, type } = run.target;
  const since = run.lease?.replacingBefore ?? null;
  const stored = await contractsWithQuotes(run.deps.db, underlying.underlyingId, date, type, since);
  summary.status = "partial";
  summary.quotes_stored = stored.size;
  summary.error = interruptionText(run, "before its snapshots");
  await recordStatus(run, "partial", stored.size, [summary.error]);
  report(run, "done", 0, 0);
  logCollected(run, summary);
  return finishSymbolSummary(summary, preparation.started);
}

/** "interrupted by SIGTERM after 10 of 40 contracts; the next run resumes", from the abort's reason. */
function interruptionText(run: SymbolRun, progress: string): string {
  const reason: unknown = run.signal?.reason;
  const cause =
    typeof reason === "string"
      ? reason
      : reason instanceof Error && reason.name !== "AbortError"
        ? reason.message
        : "a stop request";
  return `interrupted by ${cause} ${progress}; the next run resumes`;
}

/**
 * Bookkeeping the next run redoes (it requests failed contracts again and marks expiries from all stored
 * rows) is skipped when the database's disk is full, so the status row can still say what happened.
 */
async function unlessDiskFull(run: SymbolRun, what: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isDiskFull(error)) throw error;
    run.deps.logger.warn(
      { symbol: run.target.symbol, err: errorMessage(error) },
      `could not record ${what}: the database's disk is full; the next run records it`,
    );
  }
}

async function recordDeadLetters(run: SymbolRun, failures: readonly ContractFailure[]): Promise<void> {
  const { symbol, date, type } = run.target;
  for (const failure of failures) {
    await recordDeadLetter(run.deps.db, {
      collectionDate: date,
      symbol,
      collectionType: type,
      contractId: failure.contract.contractId,
      contractSymbol: failure.contract.contractSymbol,
      category: failure.error.category === "info" ? "data" : failure.error.category,
      errorCode: failure.error.code,
      errorMessage: failure.error.message,
      attempts: run.deps.config.collect.max_attempts,
      payload: { conId: failure.contract.conId },
      runId: run.lease?.runId ?? null,
    });
  }
}

/** A final snapshot on a contract's expiry day is its last: the contract's expiry is collected. */
async function markExpiringCollected(
  run: SymbolRun,
  plan: SnapshotPlan,
  storedIds: readonly number[],
): Promise<void> {
  const { date } = run.target;
  const expiringToday = [...storedIds, ...plan.alreadyStored].filter(
    (id) => plan.byId.get(id)?.expiry === date,
  );
  await markExpiryCollected(run.deps.db, expiringToday, date);
}

/**
 * What kept the symbol from being complete: contracts not collected because the gateway went away or the
 * run was stopped (`interruption` then says by what), contracts that failed, expiries IB would not list.
 */
function problemsOf(
  snapshots: SnapshotResults,
  discovery: ChainDiscovery,
  interruption: string | null,
): string[] {
  const { failures, end } = snapshots;
  const notCollected =
    interruption ??
    `${end.notCollected} contracts not collected: ${end.gatewayUnavailable?.message ?? "the run stopped taking contracts"}; a rerun resumes them`;
  return [
    ...(end.notCollected > 0 ? [notCollected] : []),
    ...(snapshots.unstored !== null ? [snapshots.unstored] : []),
    ...(failures.length > 0 ? [`${failures.length} contracts failed (see collection_dead_letters)`] : []),
    ...(discovery.failedExpiries.length > 0
      ? [`expiries not listed: ${discovery.failedExpiries.join(", ")}`]
      : []),
  ];
}

function statusOf(problems: readonly string[], quotesStored: number): "completed" | "partial" | "failed" {
  if (problems.length === 0) return "completed";
  return quotesStored > 0 ? "partial" : "failed";
}

/**
 * Records the symbol's outcome in one transaction with what it settles: the key's release and, for a
 * replacement, the old snapshot's deletion (all of it once the new one is complete; otherwise only the
 * quotes the new snapshot superseded, and the replacement stays pending for the next run to finish).
 * A kill before the commit leaves the old snapshot whole; after it, the new one.
 */
async function recordStatus(
  run: SymbolRun,
  status: "completed" | "partial" | "failed",
  quotesStored: number,
  problems: readonly string[],
  errorText?: string,
): Promise<void> {
  const { db } = run.deps;
  const { lease } = run;
  const replacingBefore = lease?.replacingBefore ?? null;
  const underlyingId =
    replacingBefore !== null ? (await findUnderlying(db, run.target.symbol))?.id : undefined;
  await db.transaction(async (tx) => {
    await lease?.markReleased(tx, status === "completed");
    if (replacingBefore !== null && underlyingId !== undefined) {
      await deleteOldSnapshot(tx, run.target, underlyingId, replacingBefore, status === "completed");
    }
    if (status === "failed") {
      await failCollection(tx, statusKey(run.target), errorText ?? problems.join("; "), quotesStored, {
        ...run.counts,
        completedAt: run.deps.ib.now(),
      });
    } else {
      await completeCollection(tx, statusKey(run.target), {
        recordsCollected: quotesStored,
        status,
        errorMessage: problems.length > 0 ? problems.join("; ") : null,
        ...run.counts,
        completedAt: run.deps.ib.now(),
      });
    }
  });
}

async function deleteOldSnapshot(
  tx: Queryable,
  target: SymbolTarget,
  underlyingId: number,
  before: Date,
  complete: boolean,
): Promise<void> {
  const { date, type } = target;
  await deleteQuotesBefore(tx, underlyingId, date, type, before, !complete);
  await deleteUnderlyingTicksBefore(tx, underlyingId, date, type, before);
}

/**
 * Logs the failure and records it in the status row, if this run started it (a failure before that,
 * e.g. a replacement refused, leaves the row as it was); a status row that cannot be written is only logged.
 */
async function recordFailure(run: SymbolRun, error: unknown, stored: number): Promise<void> {
  const { logger } = run.deps;
  const { symbol } = run.target;
  logger.error({ symbol, err: failureLogText(error) }, "collection failed");
  if (run.statusStarted)
    await recordStatus(run, "failed", stored, [], errorMessage(error)).catch((statusError: unknown) =>
      logger.error(
        { symbol, err: errorMessage(statusError) },
        "could not record the failure: the status row says running until the next run of this key",
      ),
    );
  report(run, "done", 0, 0);
}

/** Expected failures (an unknown symbol, an IB error) log their message; anything else its stack, to find the bug. */
function failureLogText(error: unknown): string {
  if (
    error instanceof UnknownSymbolError ||
    error instanceof IbRequestError ||
    error instanceof DatabaseOutageError ||
    error instanceof SpoolOwnerLost ||
    error instanceof SpooledOutage ||
    error instanceof NoContractsError
  )
    return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function report(run: SymbolRun, phase: CollectionProgress["phase"], done: number, total: number): void {
  run.deps.onProgress?.({ symbol: run.target.symbol, phase, done, total });
}

function logSkipped(run: SymbolRun): void {
  const { symbol, date, type } = run.target;
  run.deps.logger.info({ symbol, date, type }, "already collected; skipping (use --force to re-run)");
}

function logPlan(
  run: SymbolRun,
  discovery: ChainDiscovery,
  plan: SnapshotPlan,
  underlyingPrice: number | null,
): void {
  run.deps.logger.info(
    {
      symbol: run.target.symbol,
      discovered: discovery.contracts.length,
      selected: plan.byId.size,
      alreadyStored: plan.alreadyStored.size,
      toRequest: plan.toRequest.length,
      newListings: discovery.newListings,
      underlyingPrice,
    },
    "collecting",
  );
}

function logCollected(run: SymbolRun, summary: SymbolSummary): void {
  run.deps.logger.info(
    {
      symbol: run.target.symbol,
      status: summary.status,
      stored: summary.quotes_stored,
      selected: summary.contracts_selected,
    },
    "collected",
  );
}
