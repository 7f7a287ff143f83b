import { setTimeout as sleep } from "node:timers/promises";
import type { IsoDate } from "../calendar/index.ts";
import { slotKey } from "../core/collection.ts";
import type { CollectionRequest, PartJob } from "../core/collection.ts";
import { errorMessage, UsageError } from "../core/errors.ts";
import { configuredGateways, gatewayBudgets } from "../core/gateways.ts";
import { newRunId } from "../core/run-id.ts";
import { CollectionLocks, staleAfterMsFor } from "../store/collection-lock.ts";
import type { CollectionLease } from "../store/collection-lock.ts";
import { listParts, recordPlan } from "../store/repositories/collection-parts.ts";
import type { PartRow } from "../store/repositories/collection-parts.ts";
import { getCollection } from "../store/repositories/collection-status.ts";
import { chooseContracts, collectSymbol, snapshotUnderlying } from "./collect-symbol.ts";
import type { SymbolRun } from "./collect-symbol.ts";
import { aggregateRows, settleParts } from "./part-run.ts";
import { contractsPerPart, splitIntoParts } from "./parts.ts";
import type { PartsAggregate } from "./parts.ts";
import { prepareSymbol, statusKey } from "./prepare-symbol.ts";
import type { CollectionDeps, SymbolTarget } from "./prepare-symbol.ts";
import { collectVix, defaultCollectionDate, refuseLookAhead } from "./run.ts";
import type { RunControl } from "./run.ts";
import { underlyingPriceOf } from "./snapshots.ts";
import type { SnapshotEngineOptions } from "./snapshots.ts";
import { emptySymbolSummary, finishSymbolSummary, secondsSince } from "./summary.ts";
import type { CollectionSummary, SymbolSummary } from "./summary.ts";

/**
 * A collection split into parts that several workers take, each with its own gateway (config collect.split).
 * The coordinator does what must happen once per symbol: the claim on the collection, its status row, discovery
 * (stored, so the parts name stored contracts and no worker resolves one again), the underlying's quote and
 * the selection. It cuts the selection into parts of collect.part_seconds at the fleet's pacing, records them
 * (collection_parts) and queues one job per part, then holds the collection while the workers run them and
 * ends with the outcome the parts add up to (part-run.ts settles it as the last part finishes).
 */

/** How the coordinator reaches the part queue (src/daemon/queue.ts SlotQueue). */
export interface PartQueue {
  enqueuePart(part: PartJob): Promise<boolean>;
  partJobState(part: PartJob): Promise<string | null>;
}

export interface SplitDeps extends CollectionDeps {
  queue: PartQueue;
  /** Each look at the parts: every symbol's parts so far (for a progress line). */
  onParts?: (progress: { symbol: string; aggregate: PartsAggregate }[]) => void;
  /** Between two looks at the parts; default 500 ms. */
  pollMs?: number;
}

/** Contracts per part: part_seconds at the slowest configured gateway's share of its login's rate. */
export function partSize(config: CollectionDeps["config"]): number {
  const rate = Math.min(
    ...gatewayBudgets(configuredGateways(config)).map((budget) => budget.maxMessagesPerSecond),
  );
  return contractsPerPart(rate, config.collect.part_seconds);
}

function partJobsOf(rows: readonly PartRow[]): PartJob[] {
  return rows.map((row) => ({
    key: `${slotKey({ type: row.collectionType, symbol: row.symbol, date: row.collectionDate })}#${row.partIndex}`,
    planId: row.planId,
    date: row.collectionDate,
    symbol: row.symbol,
    type: row.collectionType,
    index: row.partIndex,
  }));
}

interface Planned {
  target: SymbolTarget;
  lease: CollectionLease;
  summary: SymbolSummary;
  started: number;
}

export async function runSplitCollection(
  request: CollectionRequest,
  deps: SplitDeps,
  control: RunControl = {},
): Promise<CollectionSummary> {
  if (request.force)
    throw new UsageError("--force is not available for a split collection: run it without --split");
  const runId = control.runId ?? newRunId();
  const logger = deps.logger.child({ runId });
  const started = Date.now();
  const messagesBefore = deps.ib.messagesSent;
  const now = deps.ib.now();
  if (request.date !== undefined) refuseLookAhead(request.date, now);
  const date: IsoDate = request.date ?? defaultCollectionDate(now);
  const engine: SnapshotEngineOptions = {
    timeoutMs: deps.config.collect.snapshot_timeout_ms,
    genericTicks: deps.config.collect.generic_ticks,
    maxAttempts: deps.config.collect.max_attempts,
    logger,
  };
  const size = partSize(deps.config);
  const locks = await CollectionLocks.open(deps.db, {
    logger,
    runId,
    staleAfterMs: staleAfterMsFor(deps.config.collect.max_db_outage_seconds * 1000),
  });
  const symbols: SymbolSummary[] = [];
  const planned: Planned[] = [];
  try {
    if (deps.config.collect.include_vix && !control.signal?.aborted)
      await collectVix({ ...deps, logger }, locks, { date, type: request.type, force: false }, engine);
    for (const symbol of request.symbols) {
      if (control.signal?.aborted) break;
      const target: SymbolTarget = { symbol, date, type: request.type, force: false };
      const preparation = prepareSymbol(target, { ...deps, logger }, locks);
      const outcome = await preparation.outcome;
      // Busy, skipped, failed, or nothing listed: recorded as a whole collection records it.
      if (outcome.kind !== "ready" || outcome.discovery.contracts.length === 0) {
        symbols.push(await collectSymbol(preparation, outcome, { ...deps, logger }, engine, control.signal));
        continue;
      }
      const summary = emptySymbolSummary(symbol);
      summary.contracts_discovered = outcome.discovery.contracts.length;
      summary.new_listings = outcome.discovery.newListings;
      const key = statusKey(target);
      try {
        const existing = await listParts(deps.db, key);
        let jobs: PartJob[];
        if (existing.some((row) => row.status === "queued" || row.status === "running")) {
          // An earlier coordinator's plan is still being worked: wait for it rather than plan again.
          jobs = partJobsOf(existing);
          logger.info({ symbol, parts: jobs.length }, "resuming the collection's parts already queued");
        } else {
          const run: SymbolRun = {
            target,
            deps: { ...deps, logger },
            engine,
            statusStarted: true,
            counts: { contractsListed: outcome.discovery.contracts.length },
            lease: outcome.lease,
          };
          const quote = await snapshotUnderlying(run, outcome.underlying);
          const price = underlyingPriceOf(quote.quote);
          const selected = await chooseContracts(run, outcome.underlying, outcome.discovery, quote, price);
          const parts = splitIntoParts(slotKey({ type: request.type, symbol, date }), selected, size);
          await deps.db.transaction((tx) =>
            recordPlan(
              tx,
              key,
              runId,
              parts.map((part) => ({
                index: part.index,
                contractIds: part.contracts.map((contract) => contract.contractId),
                underlyingPrice: price,
                contractsListed: outcome.discovery.contracts.length,
              })),
            ),
          );
          jobs = partJobsOf(await listParts(deps.db, key));
          logger.info(
            { symbol, selected: selected.length, parts: parts.length, perPart: size },
            "collection split into parts",
          );
        }
        for (const job of jobs) await deps.queue.enqueuePart(job);
        planned.push({ target, lease: outcome.lease, summary, started: preparation.started });
      } catch (error) {
        // Nothing queued for this symbol: its status row says why, the other symbols go on.
        symbols.push(
          await collectSymbol(
            preparation,
            { kind: "failed", error, lease: outcome.lease, statusStarted: true },
            { ...deps, logger },
            engine,
          ),
        );
      }
    }
    symbols.push(...(await waitForParts(planned, deps, control.signal)));
  } finally {
    for (const entry of planned) await entry.lease.unlock();
    await locks.close();
  }
  const order = new Map(request.symbols.map((symbol, index) => [symbol, index]));
  symbols.sort((a, b) => (order.get(a.symbol) ?? 0) - (order.get(b.symbol) ?? 0));
  return {
    run_id: runId,
    date,
    type: request.type,
    symbols,
    duration_s: secondsSince(started),
    pacing_lower_bound_s: 0,
    messages_sent: deps.ib.messagesSent - messagesBefore,
  };
}

/**
 * Waits until every planned symbol's parts are finished (a part whose job ran out of retries is recorded
 * failed here), settles each collection and reads its outcome back. Stopped by `signal`, it leaves the parts to
 * the workers: the last of them settles the collection.
 */
async function waitForParts(
  planned: readonly Planned[],
  deps: SplitDeps,
  signal?: AbortSignal,
): Promise<SymbolSummary[]> {
  const open = new Set(planned);
  const results: SymbolSummary[] = [];
  const last = new Map<Planned, PartsAggregate>();
  while (open.size > 0 && !signal?.aborted) {
    for (const entry of [...open]) {
      const key = statusKey(entry.target);
      const rows = await listParts(deps.db, key);
      for (const job of partJobsOf(rows)) {
        const row = rows.find((candidate) => candidate.partIndex === job.index)!;
        if (row.status !== "queued" && row.status !== "running") continue;
        const state = await deps.queue.partJobState(job);
        if (state === "failed" || state === "cancelled" || state === null) {
          const why =
            state === null ? "its job is gone from the queue" : `its job ${state} after its retries`;
          await settleParts(
            deps.db,
            key,
            {
              index: job.index,
              planId: job.planId,
              status: "failed",
              error: `${why}${row.errorMessage ? ` (last: ${row.errorMessage})` : ""}`,
            },
            deps.ib.now(),
          );
        }
      }
      const aggregate = aggregateRows(await listParts(deps.db, key));
      last.set(entry, aggregate);
      if (aggregate.state !== "running") {
        await settleParts(deps.db, key, undefined, deps.ib.now());
        open.delete(entry);
        results.push(await summaryOf(entry, deps, aggregate));
      }
    }
    deps.onParts?.(planned.map((entry) => ({ symbol: entry.target.symbol, aggregate: last.get(entry)! })));
    if (open.size > 0)
      await sleep(deps.pollMs ?? 500, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
  for (const entry of open) {
    const aggregate = last.get(entry);
    entry.summary.status = "partial";
    entry.summary.quotes_stored = aggregate?.stored ?? 0;
    entry.summary.contracts_selected = aggregate?.selected ?? 0;
    entry.summary.error = `stopped waiting (${String(signal?.reason ?? "stop requested")}); the workers go on with the parts`;
    if (aggregate) entry.summary.parts = aggregate.text;
    results.push(finishSymbolSummary(entry.summary, entry.started));
  }
  return results;
}

async function summaryOf(entry: Planned, deps: SplitDeps, aggregate: PartsAggregate): Promise<SymbolSummary> {
  const { summary } = entry;
  try {
    const row = await getCollection(deps.db, statusKey(entry.target));
    summary.status =
      row?.status === "completed" ? "completed" : row?.status === "failed" ? "failed" : "partial";
    if (row?.errorMessage) summary.error = row.errorMessage;
  } catch (error) {
    summary.status = aggregate.state === "completed" ? "completed" : "partial";
    summary.error = errorMessage(error);
  }
  summary.quotes_stored = aggregate.stored;
  summary.contracts_selected = aggregate.selected;
  summary.parts = aggregate.text;
  return finishSymbolSummary(summary, entry.started);
}
