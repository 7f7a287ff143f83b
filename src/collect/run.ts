import { isTradingDay, previousTradingDay, toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { CollectionRequest, CollectionType } from "../core/collection.ts";
import { errorMessage } from "../core/errors.ts";
import { guardOf } from "../ib/gateway-guard.ts";
import { hasUnderlyingTick } from "../store/repositories/underlying-ticks.ts";
import { discoverUnderlying } from "./discovery.ts";
import { writeUnderlyingTick } from "./quote-writer.ts";
import { quoteUnderlying } from "./snapshots.ts";
import type { SnapshotEngineOptions } from "./snapshots.ts";
import { pacingLowerBoundSeconds, secondsSince } from "./summary.ts";
import type { CollectionSummary, SymbolSummary } from "./summary.ts";
import { collectSymbol } from "./collect-symbol.ts";
import { prepareSymbol } from "./prepare-symbol.ts";
import type { CollectionDeps, Preparation } from "./prepare-symbol.ts";

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
  await refreshClock(deps);
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
  const start = (symbol: string): Preparation =>
    prepareSymbol({ symbol, date, type: request.type, force: request.force ?? false }, deps);
  let next = request.symbols[0] === undefined ? undefined : start(request.symbols[0]);
  for (let index = 0; next; index++) {
    const current = next;
    const outcome = await current.outcome;
    const following = request.symbols[index + 1];
    next = following === undefined ? undefined : start(following);
    symbols.push(await collectSymbol(current, outcome, deps, engine));
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

/**
 * Reads the gateway's clock again (the date and the market-data type depend on it). It was read when the
 * connection opened: a run that starts during an outage keeps that reading instead of failing.
 */
async function refreshClock(deps: CollectionDeps): Promise<void> {
  try {
    await guardOf(deps.ib).execute(() => deps.ib.syncClock(), { kind: "discovery", maxAttempts: 2 });
  } catch (error) {
    deps.logger.warn(
      { err: errorMessage(error) },
      "could not read the gateway's clock again; using the reading taken when the connection opened",
    );
  }
}

async function collectVix(
  deps: CollectionDeps,
  date: IsoDate,
  type: CollectionType,
  engine: SnapshotEngineOptions,
): Promise<void> {
  try {
    const vix = await discoverUnderlying(deps.db, deps.ib, "VIX");
    if (await hasUnderlyingTick(deps.db, vix.underlyingId, date, type)) return;
    const quote = await quoteUnderlying(deps.ib, "VIX", "IND", vix.conId, engine);
    await writeUnderlyingTick(deps.db, vix, quote, date, type);
  } catch (error) {
    deps.logger.warn({ err: errorMessage(error) }, "could not record VIX; the option collection goes on");
  }
}

/** The gateway's New York date; on a weekend or holiday the last trading day, whose frozen data it serves. */
export function defaultCollectionDate(gatewayNow: Date): IsoDate {
  const { date } = toEt(gatewayNow);
  return isTradingDay(date) ? date : previousTradingDay(date);
}
