import type { IsoDate } from "../../calendar/index.ts";
import type { Right } from "./option-pricing.ts";
import { OPTION_CLASS_CODES } from "./underlying-specs.ts";
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
const MAX_STRIKE_UNITS = 8192;

function dayIndex(date: IsoDate): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - DAY_ZERO) / DAY_MS);
}

function dateOfIndex(days: number): IsoDate {
  return new Date(DAY_ZERO + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * conIds are a reversible packing of (class, expiry, strike, right): stable for every contract on every run,
 * collision-free (SPX and SPXW of one third Friday differ by class), and decodable without any registry (also
 * for contracts that have expired). The class defaults to the symbol (equity options).
 */
export function optionConId(
  symbol: string,
  expiry: IsoDate,
  strike: number,
  right: Right,
  tradingClass: string = symbol,
): number {
  const entry = OPTION_CLASS_CODES[tradingClass];
  if (entry === undefined || entry.symbol !== symbol)
    throw new Error(`${symbol} has no options of class ${tradingClass} in the simulator`);
  const days = dayIndex(expiry);
  const units = Math.round(strike / entry.strikeUnit);
  if (
    days < 0 ||
    days >= MAX_DAYS ||
    units >= MAX_STRIKE_UNITS ||
    Math.abs(units * entry.strikeUnit - strike) > 1e-9
  )
    throw new Error(`cannot encode ${tradingClass} ${expiry} ${strike}`);
  return (
    CONID_BASE + ((entry.code * MAX_DAYS + days) * MAX_STRIKE_UNITS + units) * 2 + (right === "C" ? 0 : 1)
  );
}

export function decodeOptionConId(
  conId: number,
): { symbol: string; tradingClass: string; expiry: IsoDate; strike: number; right: Right } | undefined {
  let rest = conId - CONID_BASE;
  if (!Number.isInteger(rest) || rest < 0) return undefined;
  const right: Right = rest % 2 === 0 ? "C" : "P";
  rest = Math.floor(rest / 2);
  const units = rest % MAX_STRIKE_UNITS;
  rest = Math.floor(rest / MAX_STRIKE_UNITS);
  const expiry = dateOfIndex(rest % MAX_DAYS);
  const code = Math.floor(rest / MAX_DAYS);
  const tradingClass = Object.keys(OPTION_CLASS_CODES).find(
    (name) => OPTION_CLASS_CODES[name]!.code === code,
  );
  if (tradingClass === undefined) return undefined;
  const entry = OPTION_CLASS_CODES[tradingClass]!;
  return { symbol: entry.symbol, tradingClass, expiry, strike: units * entry.strikeUnit, right };
}

/** The OCC symbol; its root is the option's class ("SPXW  261218C05800000"). */
export function occSymbol(symbol: string, expiry: IsoDate, strike: number, right: Right): string {
  const yymmdd = expiry.slice(2).replaceAll("-", "");
  return `${symbol.padEnd(6, " ")}${yymmdd}${right}${String(Math.round(strike * 1000)).padStart(8, "0")}`;
}

/** "YYYY-MM-DD" → "YYYYMMDD" as IB writes expiries. */
export function ibDate(date: IsoDate): string {
  return date.replaceAll("-", "");
}
