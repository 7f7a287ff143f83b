import type { IsoDate } from "../calendar/index.ts";
import type { IbClient, OptionChainParams } from "../ib/client.ts";
import { GatewayUnavailableError, IbRequestError } from "../ib/client.ts";
import {
  ibDateFromIso,
  isoFromIbDate,
  optionExpiryQuery,
  readOptionDetails,
  underlyingContract,
} from "../ib/contract-objects.ts";
import type { QualifiedOption, UnderlyingSecType } from "../ib/contract-objects.ts";
import { guardOf } from "../ib/gateway-guard.ts";
import type { Logger } from "../logger.ts";
import type { Queryable } from "../store/database.ts";
import { expireLifecycle, touchLifecycle } from "../store/repositories/lifecycle.ts";
import { listContracts, upsertContracts } from "../store/repositories/option-chains.ts";
import { upsertUnderlying } from "../store/repositories/underlying-securities.ts";
import type { SecurityType } from "../store/repositories/underlying-securities.ts";
import { occSymbol } from "./occ.ts";
import { isIndexSymbol, settlementOf, symbolSpec } from "../config/symbols.ts";
import type { SymbolSpec } from "../config/symbols.ts";
import { errorMessage } from "../core/errors.ts";

export interface UnderlyingInfo {
  symbol: string;
  secType: UnderlyingSecType;
  securityType: SecurityType;
  conId: number;
  primaryExchange: string | null;
  underlyingId: number;
}

export interface DiscoveredContract extends QualifiedOption {
  contractSymbol: string;
  contractId: number;
}

export interface ChainDiscovery {
  underlying: UnderlyingInfo;
  /** The kept classes' parameters merged: every expiry any of them lists. */
  chain: OptionChainParams;
  /** One SMART row per trading class kept (SPX and SPXW for SPX). */
  chains: OptionChainParams[];
  /** Every contract listed for the expiries asked for, qualified to a conId and stored. */
  contracts: DiscoveredContract[];
  /** Contracts first seen by this run. */
  newListings: number;
  expiredMarked: number;
  /** Expiries whose contract details could not be read (kept for the error message; the rest is collected). */
  failedExpiries: string[];
}

export class UnknownSymbolError extends Error {
  override name = "UnknownSymbolError";
}

/** Attempts per discovery request for transient and pacing failures. */
const DISCOVERY_ATTEMPTS = 4;

/** One discovery request under the gateway's policies (retries, waits for a reconnect, the discovery breaker). */
function discoveryRequest<T>(ib: IbClient, request: () => Promise<T>): Promise<T> {
  return guardOf(ib).execute(request, { kind: "discovery", maxAttempts: DISCOVERY_ATTEMPTS });
}

/** Qualifies the underlying (one CONTRACT_DATA request) and upserts it. An unknown symbol throws UnknownSymbolError. */
export async function discoverUnderlying(
  db: Queryable,
  ib: IbClient,
  symbol: string,
): Promise<UnderlyingInfo> {
  const secType: UnderlyingSecType = isIndexSymbol(symbol) ? "IND" : "STK";
  let details;
  try {
    details = await discoveryRequest(ib, () => ib.contractDetails(underlyingContract(symbol, secType)));
  } catch (error) {
    if (error instanceof IbRequestError && error.code === 200) {
      throw new UnknownSymbolError(
        `IB knows no ${secType === "IND" ? "index" : "stock or ETF"} named ${symbol} (error 200)`,
      );
    }
    throw error;
  }
  const first = details[0];
  if (!first?.contract.conId) throw new UnknownSymbolError(`IB returned no contract for ${symbol}`);
  const securityType: SecurityType =
    secType === "IND" ? "IND" : String(first.stockType ?? "").toUpperCase() === "ETF" ? "ETF" : "STK";
  const primaryExchange = first.contract.primaryExch ?? null;
  const underlyingId = await upsertUnderlying(db, {
    symbol,
    securityType,
    ibConId: first.contract.conId,
    primaryExchange,
    exchange: secType === "IND" ? "CBOE" : "SMART",
  });
  return { symbol, secType, securityType, conId: first.contract.conId, primaryExchange, underlyingId };
}

/**
 * The SMART rows of the trading classes to collect: every configured class that is listed (SPX and SPXW for
 * SPX), else the class named like the symbol, else the class with the most expiries.
 */
export function pickChains(
  rows: readonly OptionChainParams[],
  symbol: string,
  tradingClasses: readonly string[] | null = null,
): OptionChainParams[] {
  const smart = rows.filter((row) => row.exchange === "SMART");
  if (tradingClasses !== null) return smart.filter((row) => tradingClasses.includes(row.tradingClass));
  const own =
    smart.find((row) => row.tradingClass === symbol) ??
    [...smart].sort((a, b) => b.expirations.length - a.expirations.length)[0];
  return own ? [own] : [];
}

/** The union of several classes' parameters (expiries and strikes), for what asks about the chain as a whole. */
function mergeChains(chains: readonly OptionChainParams[]): OptionChainParams {
  const first = chains[0]!;
  return {
    ...first,
    expirations: [...new Set(chains.flatMap((chain) => chain.expirations))].sort(),
    strikes: [...new Set(chains.flatMap((chain) => chain.strikes))].sort((a, b) => a - b),
  };
}

export interface DiscoverChainOptions {
  date: IsoDate;
  /** Which listed expiries ("YYYY-MM-DD") of which trading class to qualify; default all from `date` on. */
  includeExpiry?: (expiry: IsoDate, tradingClass: string) => boolean;
  /** Contract-details requests in flight at once (each is one message; the pacer still rules). */
  concurrency?: number;
  logger?: Logger;
  /** The symbol's classes and exercise style (config `symbols:`); default: the symbol's own spec. */
  spec?: SymbolSpec;
}

/**
 * Chain parameters, then ONE contract-details request per expiry and right (strike unset): only strikes that
 * exist come back, so nonexistent expiry × strike pairs are never requested. Contracts are upserted with their
 * OCC symbols and the lifecycle is updated (first_seen / last_seen, listed → expired).
 */
export async function discoverChain(
  db: Queryable,
  ib: IbClient,
  underlying: UnderlyingInfo,
  options: DiscoverChainOptions,
): Promise<ChainDiscovery> {
  const { date } = options;
  const rows = await discoveryRequest(ib, () =>
    ib.secDefOptParams(underlying.symbol, underlying.secType, underlying.conId),
  );
  const spec = options.spec ?? symbolSpec(underlying.symbol);
  const chains = pickChains(rows, underlying.symbol, spec.tradingClasses);
  if (chains.length === 0) {
    const classes =
      spec.tradingClasses === null ? "" : ` in trading classes ${spec.tradingClasses.join(", ")}`;
    throw new UnknownSymbolError(`${underlying.symbol} has no option chain on SMART${classes}`);
  }
  const chain = mergeChains(chains);
  const expiriesOf = (params: OptionChainParams) =>
    params.expirations
      .map((expiry) => isoFromIbDate(expiry))
      .filter((expiry): expiry is string => expiry !== null && expiry >= date)
      .filter((expiry) => options.includeExpiry?.(expiry, params.tradingClass) ?? true)
      .sort();

  // One request per class, expiry and right: SPX and SPXW list the same third-Friday expiry separately.
  const queries = chains.flatMap((params) =>
    expiriesOf(params).flatMap((expiry) =>
      (["C", "P"] as const).map((right) => ({ expiry, right, tradingClass: params.tradingClass })),
    ),
  );
  const qualified: QualifiedOption[] = [];
  const failed = new Set<string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const query = queries[next++];
      if (!query) return;
      try {
        const details = await discoveryRequest(ib, () =>
          ib.contractDetails(
            optionExpiryQuery(
              underlying.symbol,
              ibDateFromIso(query.expiry),
              query.right,
              query.tradingClass,
            ),
          ),
        );
        for (const detail of details) {
          const option = readOptionDetails(detail);
          if (option && option.tradingClass === query.tradingClass) qualified.push(option);
        }
      } catch (error) {
        // An expiry that lists nothing (200) is not a failure of the run; anything else is reported.
        if (error instanceof IbRequestError && error.code === 200) continue;
        // Without the gateway, the other expiries cannot be listed either: the symbol stops here.
        if (error instanceof GatewayUnavailableError) throw error;
        failed.add(query.expiry);
        options.logger?.warn(
          {
            symbol: underlying.symbol,
            expiry: query.expiry,
            right: query.right,
            err: errorMessage(error),
          },
          "could not list an expiry",
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, () => worker()));

  const known = new Set((await listContracts(db, underlying.underlyingId)).map((row) => row.contractSymbol));
  const withSymbols = qualified
    .map((option) => ({
      ...option,
      // OCC roots are per class: SPXW's weeklies are "SPXW  …", its AM monthlies "SPX   …".
      contractSymbol: occSymbol(
        option.tradingClass || underlying.symbol,
        option.expiry,
        option.right,
        option.strike,
      ),
    }))
    .sort(
      (a, b) =>
        compare(a.expiry, b.expiry) ||
        a.strike - b.strike ||
        compare(a.right, b.right) ||
        compare(a.tradingClass, b.tradingClass),
    );
  const ids = await upsertContracts(
    db,
    withSymbols.map((option) => ({
      contractSymbol: option.contractSymbol,
      underlyingId: underlying.underlyingId,
      strikePrice: option.strike,
      optionType: option.right,
      expirationDate: option.expiry,
      ibConId: option.conId,
      multiplier: option.multiplier,
      exchange: "SMART",
      tradingClass: option.tradingClass,
      settlement: settlementOf(underlying.symbol, option.tradingClass, option.expiry),
      exerciseStyle: spec.exercise,
    })),
  );
  const contracts: DiscoveredContract[] = [];
  for (const option of withSymbols) {
    const contractId = ids.get(option.contractSymbol);
    if (contractId !== undefined) contracts.push({ ...option, contractId });
  }
  await touchLifecycle(
    db,
    contracts.map((contract) => contract.contractId),
    date,
  );
  const expiredMarked = await expireLifecycle(db, underlying.underlyingId, date);
  const newListings = contracts.filter((contract) => !known.has(contract.contractSymbol)).length;
  return {
    underlying,
    chain,
    chains,
    contracts,
    newListings,
    expiredMarked,
    failedExpiries: [...failed].sort(),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
