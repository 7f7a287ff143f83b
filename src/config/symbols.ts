import { isMonthlyExpiry, previousTradingDay } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { ExerciseStyle } from "../pricing/option-model.ts";

/**
 * What chainvault collects of one underlying: its option trading classes and their exercise style. Equity and
 * ETF options list one class named like the symbol and are American. Index options list several classes on one
 * index — SPX's AM-settled monthlies (class SPX) beside the PM-settled weeklies and dailies (class SPXW) — which
 * share expiry, strike and right on a third Friday, so a class is part of a contract's identity (its OCC root).
 */
export interface SymbolSpec {
  symbol: string;
  /** The trading classes discovery keeps; null: the class named like the symbol (or the only one listed). */
  tradingClasses: readonly string[] | null;
  exercise: ExerciseStyle;
}

interface IndexOptionDefaults {
  tradingClasses: readonly string[];
  /** The class whose standard monthlies settle AM (on the third Friday's opening prints); the others settle PM. */
  amClass: string | null;
}

/**
 * Whether the symbol's options expire (PM-settled) on every trading day: SPXW, XSP, NDXP and RUTW list dailies,
 * so each trading day has a settlement to collect, not only the week's expiry day.
 */
export function hasPmDailies(symbol: string): boolean {
  return Object.hasOwn(INDEX_OPTIONS, symbol);
}

/**
 * The cash-settled European index options chainvault knows: `symbols: [SPX]` means both classes. XSP (mini-SPX)
 * settles PM; NDX/NDXP and RUT/RUTW follow SPX/SPXW.
 */
export const INDEX_OPTIONS: Readonly<Record<string, IndexOptionDefaults>> = {
  SPX: { tradingClasses: ["SPX", "SPXW"], amClass: "SPX" },
  XSP: { tradingClasses: ["XSP"], amClass: null },
  NDX: { tradingClasses: ["NDX", "NDXP"], amClass: "NDX" },
  RUT: { tradingClasses: ["RUT", "RUTW"], amClass: "RUT" },
};

/** Whether the underlying is an index (IB secType IND) rather than a stock or ETF. */
export function isIndexSymbol(symbol: string): boolean {
  return Object.hasOwn(INDEX_OPTIONS, symbol) || symbol === "VIX" || symbol === "DJX";
}

/** A `symbols:` entry as configured: a ticker, or an object naming classes and exercise style. */
export type SymbolEntry =
  string | { symbol: string; trading_classes?: string[] | undefined; exercise?: ExerciseStyle | undefined };

/** The spec of an entry, the known index defaults filling what it leaves out. */
export function symbolSpec(entry: SymbolEntry): SymbolSpec {
  const given = typeof entry === "string" ? { symbol: entry } : entry;
  const index = Object.hasOwn(INDEX_OPTIONS, given.symbol) ? INDEX_OPTIONS[given.symbol] : undefined;
  return {
    symbol: given.symbol,
    tradingClasses: given.trading_classes ?? index?.tradingClasses ?? null,
    exercise: given.exercise ?? (index || isIndexSymbol(given.symbol) ? "european" : "american"),
  };
}

/** The spec of a configured symbol, or the defaults of one given on the command line. */
export function specOf(specs: readonly SymbolSpec[], symbol: string): SymbolSpec {
  return specs.find((spec) => spec.symbol === symbol) ?? symbolSpec(symbol);
}

export type Settlement = "AM" | "PM";

/**
 * The New York time a contract's value is fixed on its expiry date, the end of its time to expiry: an AM-settled
 * contract settles on the opening prints (trading in it stopped the day before), a PM-settled one at the close.
 */
export function settlementTimeEt(settlement: Settlement): string {
  return settlement === "AM" ? "09:30" : "16:00";
}

/**
 * When a contract settles: AM (on the expiry day's opening prints, trading having stopped the day before) for an
 * index's AM class on a standard monthly expiry; PM (the expiry day's close) for every other class and expiry, and
 * for equity and ETF options.
 */
export function settlementOf(symbol: string, tradingClass: string | null, expiry: IsoDate): Settlement {
  const index = Object.hasOwn(INDEX_OPTIONS, symbol) ? INDEX_OPTIONS[symbol] : undefined;
  if (!index || index.amClass === null) return "PM";
  return (tradingClass ?? symbol) === index.amClass && isMonthlyExpiry(expiry) ? "AM" : "PM";
}

/**
 * The last day a contract trades: the session before its expiry date for an AM-settled one (its value is fixed on
 * the expiry morning's opening prints, so its pre-expiry and settlement snapshots belong to the day before), the
 * expiry date itself for a PM-settled one.
 */
export function lastTradingDayOf(settlement: Settlement, expiry: IsoDate): IsoDate {
  return settlement === "AM" ? previousTradingDay(expiry) : expiry;
}

/** Whether a contract of the class and expiry trades for the last time on `date` (its pre-expiry and settlement day). */
export function tradesLastOn(
  symbol: string,
  tradingClass: string | null,
  expiry: IsoDate,
  date: IsoDate,
): boolean {
  return lastTradingDayOf(settlementOf(symbol, tradingClass, expiry), expiry) === date;
}

/** Whether the symbol lists an AM-settled monthly class (SPX, NDX, RUT), whose last trading day precedes its expiry. */
export function hasAmMonthlies(symbol: string): boolean {
  return Object.hasOwn(INDEX_OPTIONS, symbol) && INDEX_OPTIONS[symbol]!.amClass !== null;
}

/** The configured underlyings' names, in order. */
export function symbolNames(specs: readonly SymbolSpec[]): string[] {
  return specs.map((spec) => spec.symbol);
}

/** A spec as `symbols:` writes it: the plain ticker when the defaults give it, else the object form. */
export function symbolEntryOf(spec: SymbolSpec): SymbolEntry {
  const plain = symbolSpec(spec.symbol);
  const sameClasses = JSON.stringify(plain.tradingClasses) === JSON.stringify(spec.tradingClasses);
  if (sameClasses && plain.exercise === spec.exercise) return spec.symbol;
  return {
    symbol: spec.symbol,
    ...(spec.tradingClasses === null ? {} : { trading_classes: [...spec.tradingClasses] }),
    exercise: spec.exercise,
  };
}
