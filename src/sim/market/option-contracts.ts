import type { IsoDate } from "../../calendar/index.ts";
import type { Right } from "./option-pricing.ts";
import { OPTION_SYMBOL_CODES } from "./underlying-specs.ts";
import { DAY_MS } from "../../calendar/index.ts";

/** An option as the simulated gateway lists it. */
export interface OptionContract {
  conId: number;
  symbol: string;
  /** "YYYY-MM-DD". */
  expiry: IsoDate;
  strike: number;
  right: Right;
  tradingClass: string;
  multiplier: number;
  /** OCC symbol, e.g. "SPY   250117C00590000". */
  localSymbol: string;
}

const CONID_BASE = 400_000_000;
const DAY_ZERO = Date.UTC(2020, 0, 1);
const MAX_DAYS = 4096;
const MAX_HALF_STRIKES = 8192;

function dayIndex(date: IsoDate): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - DAY_ZERO) / DAY_MS);
}

function dateOfIndex(days: number): IsoDate {
  return new Date(DAY_ZERO + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * conIds are a reversible packing of (symbol, expiry, strike, right): stable for every contract on every run,
 * collision-free, and decodable without any registry (also for contracts that have expired).
 */
export function optionConId(symbol: string, expiry: IsoDate, strike: number, right: Right): number {
  const code = OPTION_SYMBOL_CODES[symbol];
  if (code === undefined) throw new Error(`${symbol} has no options in the simulator`);
  const days = dayIndex(expiry);
  const halfStrikes = Math.round(strike * 2);
  if (days < 0 || days >= MAX_DAYS || halfStrikes >= MAX_HALF_STRIKES)
    throw new Error(`cannot encode ${symbol} ${expiry} ${strike}`);
  return (
    CONID_BASE + ((code * MAX_DAYS + days) * MAX_HALF_STRIKES + halfStrikes) * 2 + (right === "C" ? 0 : 1)
  );
}

export function decodeOptionConId(
  conId: number,
): { symbol: string; expiry: IsoDate; strike: number; right: Right } | undefined {
  let rest = conId - CONID_BASE;
  if (!Number.isInteger(rest) || rest < 0) return undefined;
  const right: Right = rest % 2 === 0 ? "C" : "P";
  rest = Math.floor(rest / 2);
  const strike = (rest % MAX_HALF_STRIKES) / 2;
  rest = Math.floor(rest / MAX_HALF_STRIKES);
  const expiry = dateOfIndex(rest % MAX_DAYS);
  const code = Math.floor(rest / MAX_DAYS);
  const symbol = Object.keys(OPTION_SYMBOL_CODES).find((name) => OPTION_SYMBOL_CODES[name] === code);
  return symbol ? { symbol, expiry, strike, right } : undefined;
}

export function occSymbol(symbol: string, expiry: IsoDate, strike: number, right: Right): string {
  const yymmdd = expiry.slice(2).replaceAll("-", "");
  return `${symbol.padEnd(6, " ")}${yymmdd}${right}${String(Math.round(strike * 1000)).padStart(8, "0")}`;
}

/** "YYYY-MM-DD" → "YYYYMMDD" as IB writes expiries. */
export function ibDate(date: IsoDate): string {
  return date.replaceAll("-", "");
}
