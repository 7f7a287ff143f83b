import type { Contract } from "@stoqey/ib";
import type { IbClient, MarketDataResult } from "../ib/client.ts";
import { GatewayUnavailableError, IbRequestError, NoAnswerError } from "../ib/client.ts";
import type { MarketDataType } from "../ib/client.ts";
import { byConId, underlyingContract } from "../ib/contract-objects.ts";
import type { UnderlyingSecType } from "../ib/contract-objects.ts";
import { NO_SUBSCRIPTION_CODES } from "../ib/error-codes.ts";
import { guardOf } from "../ib/gateway-guard.ts";
import { hasAny, readQuote, TICK } from "../ib/tick-set.ts";
import type { QuoteFields, TickSet } from "../ib/tick-set.ts";
import type { Logger } from "../logger.ts";
import { marketDataTypeFor } from "./market-data-type.ts";
import type { MarketDataTypeCode } from "./market-data-type.ts";
import { errorMessage } from "../core/errors.ts";

/**
 * The snapshot engine. Per contract ONE streaming request (generic ticks 100,101: open interest needs a
 * streaming request) that is cancelled as soon as the needed fields are in, or at a per-contract timeout:
 * two messages per contract, which is what the 50 msg/s limit makes the run cost. As many requests are in
 * flight as the connection has market-data lines.
 */

export interface SnapshotTarget {
  /** The caller's key (the contract's id in option_chains). */
  key: number;
  conId: number;
}

export interface SnapshotOutcome {
  key: number;
  quote: QuoteFields;
  /** Gateway time when the request completed. */
  time: Date;
  timedOut: boolean;
}

export interface SnapshotFailure {
  key: number;
  error: IbRequestError;
  attempts: number;
}

export interface SnapshotEngineOptions {
  timeoutMs: number;
  genericTicks: string;
  maxAttempts: number;
  logger?: Logger;
}

/** Which fields a contract's request waits for; a field the gateway turns out not to send stops being waited for. */
type Need = "quote" | "openInterest" | "greeks";

class NeedTracker {
  private readonly seen = new Map<Need, number>();
  private readonly missed = new Map<Need, number>();
  constructor(private readonly wanted: readonly Need[]) {}

  /** A need stays required until three timed-out requests lacked it while most requests never had it. */
  required(): Need[] {
    return this.wanted.filter((need) => {
      const missed = this.missed.get(need) ?? 0;
      const seen = this.seen.get(need) ?? 0;
      return missed < 3 || seen > missed;
    });
  }

  record(ticks: TickSet, timedOut: boolean): void {
    for (const need of this.wanted) {
      if (has(ticks, need)) this.seen.set(need, (this.seen.get(need) ?? 0) + 1);
      else if (timedOut) this.missed.set(need, (this.missed.get(need) ?? 0) + 1);
    }
  }
}

function has(ticks: TickSet, need: Need): boolean {
  switch (need) {
    case "quote":
      return hasAny(ticks, TICK.bid, "prices") && hasAny(ticks, TICK.ask, "prices");
    case "openInterest":
      return hasAny(ticks, [...TICK.callOpenInterest, ...TICK.putOpenInterest], "sizes");
    case "greeks":
      return hasAny(ticks, TICK.computation, "computations");
  }
}

export interface SymbolDataTypes {
  /** Symbols known to lack a live subscription (354 seen): they use delayed data from then on. */
  readonly withoutSubscription: Set<string>;
}

/** Remembered per gateway connection: a 354 for a symbol is not paid for twice. */
const memory = new WeakMap<IbClient, SymbolDataTypes>();
export function dataTypesOf(ib: IbClient): SymbolDataTypes {
  let entry = memory.get(ib);
  if (!entry) {
    entry = { withoutSubscription: new Set() };
    memory.set(ib, entry);
  }
  return entry;
}

/** Sets the connection's market-data type for the symbol at the gateway's time of day. */
export async function useMarketDataTypeFor(ib: IbClient, symbol: string): Promise<MarketDataTypeCode> {
  const type = marketDataTypeFor(ib.now(), symbol, !dataTypesOf(ib).withoutSubscription.has(symbol));
  await ib.setMarketDataType(type as MarketDataType);
  return type;
}

function isNoSubscription(error: IbRequestError | undefined): boolean {
  return error !== undefined && NO_SUBSCRIPTION_CODES.has(error.code);
}

/** One streaming request's fields, and how many attempts its transient failures get. */
interface StreamingRequest {
  genericTicks: string;
  timeoutMs: number;
  isComplete: (ticks: TickSet) => boolean;
  maxAttempts: number;
}

/**
 * One streaming request under the gateway's policies (ib/gateway-guard.ts: attempts with backoff, waits for
 * a reconnect or an open circuit, a breaker per gateway). Returns the result, or throws the last
 * IbRequestError (GatewayUnavailableError when the gateway stayed away longer than the run waits).
 */
function requestMarketData(
  ib: IbClient,
  symbol: string,
  contract: Contract,
  request: StreamingRequest,
  logger: Logger | undefined,
): Promise<MarketDataResult> {
  return guardOf(ib).execute(() => requestOnce(ib, symbol, contract, request, logger), {
    kind: "snapshots",
    maxAttempts: request.maxAttempts,
  });
}

/**
 * One attempt: the request, with the symbol's market-data type set first (a no-op once set; after 354 the
 * symbol switches to delayed data and asks again within the attempt). Its error, or its silence, is thrown.
 */
async function requestOnce(
  ib: IbClient,
  symbol: string,
  contract: Contract,
  request: StreamingRequest,
  logger: Logger | undefined,
): Promise<MarketDataResult> {
  for (let switches = 0; ; switches++) {
    await useMarketDataTypeFor(ib, symbol);
    const result = await ib.marketData({
      contract,
      genericTicks: request.genericTicks,
      snapshot: false,
      isComplete: request.isComplete,
      timeoutMs: request.timeoutMs,
    });
    if (!result.error) {
      // A request that timed out without a single tick is the gateway's silence, not an empty quote.
      if (result.timedOut && result.ticks.prices.size === 0 && result.ticks.sizes.size === 0)
        throw new NoAnswerError(`no market data within ${request.timeoutMs} ms`);
      return result;
    }
    if (!isNoSubscription(result.error) || switches >= 2) throw result.error;
    const memoryOfIb = dataTypesOf(ib);
    if (!memoryOfIb.withoutSubscription.has(symbol)) {
      memoryOfIb.withoutSubscription.add(symbol);
      logger?.warn(
        { symbol, code: result.error.code },
        "no live market-data subscription: switching to delayed data",
      );
    }
  }
}

export interface CollectSnapshotsOptions {
  symbol: string;
  onResult: (outcome: SnapshotOutcome) => void | Promise<void>;
  onFailure: (failure: SnapshotFailure) => void | Promise<void>;
  /** Stops taking new contracts (already running ones finish). */
  signal?: AbortSignal;
}

/** How a snapshot phase ended short of its targets, when it did. */
export interface SnapshotsEnd {
  /** Targets neither stored nor failed: the gateway went away (or the signal fired) before they were done. */
  notCollected: number;
  /** Why the phase stopped early: the gateway stayed away longer than the run waits. */
  gatewayUnavailable?: GatewayUnavailableError;
}

/**
 * Takes one snapshot of every target, as many at once as the connection has market-data lines. Stops
 * taking targets once the gateway is unavailable: those left are reported, not failed one by one.
 */
export async function collectSnapshots(
  ib: IbClient,
  targets: readonly SnapshotTarget[],
  engine: SnapshotEngineOptions,
  options: CollectSnapshotsOptions,
): Promise<SnapshotsEnd> {
  const wanted: Need[] = ["quote", "greeks"];
  if (/\b101\b/.test(engine.genericTicks)) wanted.push("openInterest");
  const needs = new NeedTracker(wanted);
  let next = 0;
  let finished = 0;
  let gatewayUnavailable: GatewayUnavailableError | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted || gatewayUnavailable) return;
      const target = targets[next++];
      if (!target) return;
      const required = needs.required();
      try {
        const result = await requestMarketData(
          ib,
          options.symbol,
          byConId(target.conId),
          {
            genericTicks: engine.genericTicks,
            timeoutMs: engine.timeoutMs,
            maxAttempts: engine.maxAttempts,
            isComplete: (ticks) => required.every((need) => has(ticks, need)),
          },
          engine.logger,
        );
        needs.record(result.ticks, result.timedOut);
        finished++;
        await options.onResult({
          key: target.key,
          quote: readQuote(result.ticks),
          time: ib.now(),
          timedOut: result.timedOut,
        });
      } catch (error) {
        if (error instanceof GatewayUnavailableError) {
          gatewayUnavailable ??= error;
          return;
        }
        const failure =
          error instanceof IbRequestError
            ? error
            : new IbRequestError(-1, errorMessage(error), undefined, "transient");
        finished++;
        await options.onFailure({ key: target.key, error: failure, attempts: engine.maxAttempts });
      }
    }
  };
  const workers = Math.max(1, Math.min(targets.length, ib.marketDataLines + 2));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  return {
    notCollected: targets.length - finished,
    ...(gatewayUnavailable ? { gatewayUnavailable } : {}),
  };
}

export interface UnderlyingQuote {
  quote: QuoteFields;
  time: Date;
}

/**
 * The underlying's quote (with its option IV and HV: generic ticks 104,106) or an index's level, through the
 * same paced streaming request. Returns null when the gateway sent nothing usable.
 */
export async function quoteUnderlying(
  ib: IbClient,
  symbol: string,
  secType: UnderlyingSecType,
  conId: number | undefined,
  engine: SnapshotEngineOptions,
): Promise<UnderlyingQuote> {
  const contract = conId
    ? { ...underlyingContract(symbol, secType), conId }
    : underlyingContract(symbol, secType);
  const isIndex = secType === "IND";
  const result = await requestMarketData(
    ib,
    symbol,
    contract,
    {
      genericTicks: isIndex ? "" : "104,106",
      timeoutMs: engine.timeoutMs,
      maxAttempts: engine.maxAttempts,
      isComplete: (ticks) =>
        isIndex
          ? hasAny(ticks, [...TICK.last, ...TICK.close], "prices")
          : hasAny(ticks, TICK.bid, "prices") &&
            hasAny(ticks, TICK.ask, "prices") &&
            hasAny(ticks, [...TICK.last, ...TICK.close], "prices") &&
            ticks.generics.has(24),
    },
    engine.logger,
  );
  return { quote: readQuote(result.ticks), time: ib.now() };
}

/** The underlying price a snapshot is valued against: mid of a two-sided quote, else last, else close. */
export function underlyingPriceOf(quote: Pick<QuoteFields, "bid" | "ask" | "last" | "close">): number | null {
  if (quote.bid !== null && quote.ask !== null && quote.bid > 0 && quote.ask >= quote.bid) {
    return (quote.bid + quote.ask) / 2;
  }
  return quote.last ?? quote.close ?? null;
}
