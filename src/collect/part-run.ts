import { specOf } from "../config/symbols.ts";
import type { Config } from "../config/schema.ts";
import { FINAL_SNAPSHOT_TYPES } from "../core/collection.ts";
import type { CollectionType, PartJob } from "../core/collection.ts";
import { newRunId } from "../core/run-id.ts";
import type { IbClient } from "../ib/client.ts";
import type { Logger } from "../logger.ts";
import { pricingParametersFor } from "../pricing/parameters.ts";
import type { Database, Queryable } from "../store/database.ts";
import { PartLock } from "../store/part-lock.ts";
import { contractsByIds } from "../store/reads/part-reads.ts";
import { failPart, finishPart, listParts, startPart } from "../store/repositories/collection-parts.ts";
import {
  completeCollection,
  failCollection,
  lockCollection,
} from "../store/repositories/collection-status.ts";
import type { CollectionKey } from "../store/repositories/collection-status.ts";
import type { PartRow } from "../store/repositories/collection-parts.ts";
import { recordDeadLetter } from "../store/repositories/dead-letters.ts";
import { markExpiryCollected } from "../store/repositories/lifecycle.ts";
import { contractsWithQuotes } from "../store/repositories/quotes.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";
import type { DiscoveredContract } from "./discovery.ts";
import { aggregateParts } from "./parts.ts";
import type { PartsAggregate } from "./parts.ts";
import { QuoteWriter, toQuoteRow } from "./quote-writer.ts";
import { collectSnapshots } from "./snapshots.ts";
import type { SnapshotEngineOptions } from "./snapshots.ts";

/**
 * One part of a split collection, run by whichever worker took its job: the part's contracts (discovered and
 * selected once, by the coordinator) not stored yet are snapshotted and stored, so a part run twice (a worker
 * killed mid-part, a part handed back) stores each contract once. The part's outcome and, when it was the last,
 * the collection's are recorded together (settleParts).
 */

export interface PartRunDeps {
  db: Database;
  ib: IbClient;
  config: Config;
  logger: Logger;
  /** Who runs it, for the part's row: the worker's name and its gateway's. */
  worker: string;
  gateway: string;
}

/** The part could not finish here (gateway lost, stop requested, another run holds it): the queue retries it. */
export class PartHandedBack extends Error {
  override name = "PartHandedBack";
}

export interface PartResult {
  /** skipped: its plan was replaced or it had finished already. */
  status: "completed" | "partial" | "skipped";
  stored: number;
  requested: number;
  collection: PartsAggregate | null;
}

export function partCollectionKey(part: Pick<PartJob, "date" | "symbol" | "type">): CollectionKey {
  return { collectionDate: part.date, symbol: part.symbol, collectionType: part.type };
}

export async function runPart(part: PartJob, deps: PartRunDeps, signal?: AbortSignal): Promise<PartResult> {
  const { db, ib, config } = deps;
  const logger = deps.logger.child({ part: part.key });
  const lock = await PartLock.take(db, part.key, logger);
  if (lock === null) throw new PartHandedBack(`${part.key} is being run by another worker; retried later`);
  try {
    const key = partCollectionKey(part);
    const runId = newRunId();
    const row = await startPart(db, key, part.index, part.planId, {
      runId,
      worker: deps.worker,
      gateway: deps.gateway,
    });
    if (row === null) {
      logger.info("part already finished or its plan replaced; nothing to do");
      return { status: "skipped", stored: 0, requested: 0, collection: null };
    }
    const underlying = await findUnderlying(db, part.symbol);
    if (!underlying) throw new Error(`${part.symbol} is not stored: its coordinator did not discover it`);
    const contracts: DiscoveredContract[] = (await contractsByIds(db, row.contractIds)).map((contract) => ({
      ...contract,
      minTick: null,
    }));
    const type = part.type as CollectionType;
    const storedIds = await contractsWithQuotes(db, underlying.id, part.date, type);
    const toRequest = contracts.filter((contract) => !storedIds.has(contract.contractId));
    const already = contracts.length - toRequest.length;
    logger.info(
      {
        contracts: contracts.length,
        alreadyStored: already,
        toRequest: toRequest.length,
        attempt: row.attempts,
      },
      "part started",
    );
    const byId = new Map(contracts.map((contract) => [contract.contractId, contract]));
    const writer = new QuoteWriter(db, config.collect.write_batch_rows);
    const pricing = pricingParametersFor(
      config.pricing,
      part.symbol,
      specOf(config.symbols, part.symbol).exercise,
    );
    const engine: SnapshotEngineOptions = {
      timeoutMs: config.collect.snapshot_timeout_ms,
      genericTicks: config.collect.generic_ticks,
      maxAttempts: config.collect.max_attempts,
      logger,
    };
    const failures: { contract: DiscoveredContract; code: number; message: string; category: string }[] = [];
    const end = await collectSnapshots(
      ib,
      toRequest.map((contract) => ({ key: contract.contractId, conId: contract.conId })),
      engine,
      {
        symbol: part.symbol,
        ...(signal ? { signal } : {}),
        onResult: async (outcome) => {
          writer.add(
            toQuoteRow(outcome, byId.get(outcome.key)!, part.date, type, row.underlyingPrice, pricing),
          );
          await writer.maybeFlush();
        },
        onFailure: (failure) => {
          failures.push({
            contract: byId.get(failure.key)!,
            code: failure.error.code,
            message: failure.error.message,
            category: failure.error.category === "info" ? "data" : failure.error.category,
          });
        },
      },
    );
    await writer.flush();
    const stored = already + writer.stored;
    if (end.notCollected > 0) {
      const why =
        end.gatewayUnavailable?.message ??
        (signal?.aborted ? `stopped (${String(signal.reason)})` : "the run stopped taking contracts");
      const error = `${end.notCollected} of ${toRequest.length} contracts not collected: ${why}; another attempt resumes`;
      await settleParts(
        db,
        key,
        { index: part.index, runId, status: "queued", stored, failed: failures.length, error },
        ib.now(),
      );
      throw new PartHandedBack(error);
    }
    for (const failure of failures) {
      await recordDeadLetter(db, {
        collectionDate: part.date,
        symbol: part.symbol,
        collectionType: part.type,
        contractId: failure.contract.contractId,
        contractSymbol: failure.contract.contractSymbol,
        category: failure.category as never,
        errorCode: failure.code,
        errorMessage: failure.message,
        attempts: config.collect.max_attempts,
        payload: { conId: failure.contract.conId, part: part.index },
        runId,
      });
    }
    if (FINAL_SNAPSHOT_TYPES.has(type))
      await markExpiryCollected(
        db,
        writer.storedIds.filter((id) => byId.get(id)?.expiry === part.date),
        part.date,
      );
    const status = failures.length > 0 ? "partial" : "completed";
    const collection = await settleParts(
      db,
      key,
      {
        index: part.index,
        runId,
        status,
        stored,
        failed: failures.length,
        error:
          failures.length > 0 ? `${failures.length} contracts failed (see collection_dead_letters)` : null,
      },
      ib.now(),
    );
    logger.info(
      { status, stored, requested: toRequest.length, collection: collection?.text },
      "part finished",
    );
    return { status, stored, requested: toRequest.length, collection };
  } finally {
    await lock.release();
  }
}

/** A part's end as settleParts records it: how its run finished, or that its retries ran out. */
export type PartEnd =
  | {
      index: number;
      runId: string;
      status: "completed" | "partial" | "queued";
      stored: number;
      failed: number;
      error: string | null;
    }
  | { index: number; planId: string; status: "failed"; error: string };

/**
 * Records a part's end (if given) and, once no part is left to run, the collection's outcome from all of them:
 * completed when every part is, else partial (or failed, nothing stored) naming the missing parts. One
 * transaction holding the collection's status row, so of two workers finishing the last two parts at once the
 * second sees the first's part and settles; a collection already completed is left as it is.
 */
export async function settleParts(
  db: Database,
  key: CollectionKey,
  end?: PartEnd,
  /** By the clock the collection's start was read from (the gateway's); default the database's. */
  completedAt?: Date,
): Promise<PartsAggregate | null> {
  return db.transaction(async (tx) => {
    const current = await lockCollection(tx, key);
    if (end?.status === "failed") await failPart(tx, key, end.index, end.planId, end.error);
    else if (end) await finishPart(tx, key, end.index, end.runId, end);
    const parts = await listParts(tx, key);
    if (parts.length === 0) return null;
    const aggregate = aggregateRows(parts);
    if (aggregate.state === "running" || current === null || current === "completed") return aggregate;
    await recordOutcome(tx, key, aggregate, parts, completedAt);
    return aggregate;
  });
}

async function recordOutcome(
  tx: Queryable,
  key: CollectionKey,
  aggregate: PartsAggregate,
  parts: readonly PartRow[],
  completedAt: Date | undefined,
): Promise<void> {
  const listed = Math.max(...parts.map((part) => part.contractsListed ?? 0));
  const counts = {
    contractsListed: parts.some((part) => part.contractsListed !== null) ? listed : null,
    contractsSelected: aggregate.selected,
    ...(completedAt ? { completedAt } : {}),
  };
  const why = parts
    .filter((part) => part.status !== "completed" && part.errorMessage !== null)
    .map((part) => `#${part.partIndex}: ${part.errorMessage}`);
  const text = [aggregate.text, ...why].join("; ");
  if (aggregate.state === "failed") {
    await failCollection(tx, key, text, aggregate.stored, counts);
    return;
  }
  await completeCollection(tx, key, {
    recordsCollected: aggregate.stored,
    status: aggregate.state === "completed" ? "completed" : "partial",
    errorMessage: aggregate.state === "completed" ? null : text,
    ...counts,
  });
}

/** The collection's standing from its part rows. */
export function aggregateRows(rows: readonly PartRow[]): PartsAggregate {
  return aggregateParts(
    rows.map((row) => ({
      index: row.partIndex,
      status: row.status,
      contractCount: row.contractCount,
      storedCount: row.storedCount,
    })),
  );
}
