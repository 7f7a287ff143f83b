import type { ExerciseStyle } from "../../pricing/option-model.ts";

/** The underlyings the simulated gateway knows, with the parameters of their synthetic market. */

export type UnderlyingSecType = "STK" | "IND";

export interface UnderlyingSpec {
  symbol: string;
  secType: UnderlyingSecType;
  /** CONTRACT_DATA stockType: "ETF", "COMMON" or "" for an index. */
  stockType: string;
  /** IB's real conIds, so logs look familiar. */
  conId: number;
  primaryExchange: string;
  longName: string;
  /** Level the random walk reverts to. */
  referencePrice: number;
  /** Annualised volatility of the daily random walk. */
  realizedVol: number;
  /** ATM implied volatility at the short end and far out (term structure). */
  shortVol: number;
  longVol: number;
  /** Slope and curvature of the smile in standardised log-moneyness. */
  skew: number;
  smile: number;
  dividendYield: number;
  /** Listing cycle; undefined for the (non-optionable here) index. */
  options?: OptionListingSpec;
  /** Scale of open interest at the money. */
  openInterestScale: number;
  /** Shares (or index units) traded per day. */
  dailyVolume: number;
}

export interface OptionListingSpec {
  /** The class of the standard monthlies (AM-settled for an index with a pmClass). */
  tradingClass: string;
  /**
   * An index's PM-settled class (SPXW): it lists every expiry, the third Fridays too, while `tradingClass` (SPX)
   * lists only the standard monthlies. Undefined: one class lists everything.
   */
  pmClass?: string;
  /** Equity and ETF options are American: priced by the American model, never quoted below exercise value. */
  exercise: ExerciseStyle;
  /** Expiries on every trading day, listed this many calendar days ahead (SPY). 0 = none. */
  dailyLeadDays: number;
  /** Friday (Thursday before a holiday) expiries listed this many calendar days ahead. */
  weeklyLeadDays: number;
  /** Strike increment near the money for a given underlying price. */
  fineIncrement: (price: number) => number;
  /** Increment far from the money. */
  coarseIncrement: (fine: number) => number;
  /** Exchanges SECURITY_DEFINITION_OPTION_PARAMETER lists, one row each. */
  exchanges: string[];
  /** Options trade until 16:15 ET (broad ETF) instead of 16:00. */
  lateClose: boolean;
}

function equityFineIncrement(price: number): number {
  if (price < 25) return 0.5;
  if (price < 150) return 1;
  if (price < 500) return 2.5;
  return 5;
}

function equityCoarseIncrement(fine: number): number {
  return fine === 0.5 ? 1 : fine === 1 ? 2.5 : fine * 2;
}

const EQUITY_OPTION_EXCHANGES = [
  "SMART",
  "AMEX",
  "BATS",
  "BOX",
  "CBOE",
  "CBOE2",
  "EDGX",
  "EMERALD",
  "GEMINI",
  "IBUSOPT",
  "ISE",
  "MERCURY",
  "MEMX",
  "MIAX",
  "NASDAQOM",
  "PEARL",
  "PHLX",
  "PSE",
];

const EQUITY_AND_VIX: readonly UnderlyingSpec[] = [
  {
    symbol: "SPY",
    secType: "STK",
    stockType: "ETF",
    conId: 756733,
    primaryExchange: "ARCA",
    longName: "SPDR S&P 500 ETF TRUST",
    referencePrice: 590,
    realizedVol: 0.14,
    shortVol: 0.13,
    longVol: 0.19,
    skew: -0.22,
    smile: 0.04,
    dividendYield: 0.012,
    openInterestScale: 12000,
    dailyVolume: 60_000_000,
    options: {
      tradingClass: "SPY",
      exercise: "american",
      dailyLeadDays: 8,
      weeklyLeadDays: 28,
      fineIncrement: () => 1,
      coarseIncrement: () => 5,
      exchanges: EQUITY_OPTION_EXCHANGES,
      lateClose: true,
    },
  },
  {
    symbol: "PLTR",
    secType: "STK",
    stockType: "COMMON",
    conId: 444857009,
    primaryExchange: "NASDAQ",
    longName: "PALANTIR TECHNOLOGIES INC-A",
    referencePrice: 120,
    realizedVol: 0.55,
    shortVol: 0.6,
    longVol: 0.52,
    skew: -0.06,
    smile: 0.05,
    dividendYield: 0,
    openInterestScale: 4000,
    dailyVolume: 70_000_000,
    options: {
      tradingClass: "PLTR",
      exercise: "american",
      dailyLeadDays: 0,
      weeklyLeadDays: 28,
      fineIncrement: equityFineIncrement,
      coarseIncrement: equityCoarseIncrement,
      exchanges: EQUITY_OPTION_EXCHANGES,
      lateClose: false,
    },
  },
  {
    symbol: "TSLA",
    secType: "STK",
    stockType: "COMMON",
    conId: 76792991,
    primaryExchange: "NASDAQ",
    longName: "TESLA INC",
    referencePrice: 350,
    realizedVol: 0.5,
    shortVol: 0.55,
    longVol: 0.5,
    skew: -0.05,
    smile: 0.05,
    dividendYield: 0,
    openInterestScale: 6000,
    dailyVolume: 90_000_000,
    options: {
      tradingClass: "TSLA",
      exercise: "american",
      dailyLeadDays: 0,
      weeklyLeadDays: 28,
      fineIncrement: equityFineIncrement,
      coarseIncrement: equityCoarseIncrement,
      exchanges: EQUITY_OPTION_EXCHANGES,
      lateClose: false,
    },
  },
  {
    symbol: "VIX",
    secType: "IND",
    stockType: "",
    conId: 13455763,
    primaryExchange: "CBOE",
    longName: "CBOE Volatility Index",
    referencePrice: 16,
    realizedVol: 0.9,
    shortVol: 0.8,
    longVol: 0.6,
    skew: 0.1,
    smile: 0.05,
    dividendYield: 0,
    openInterestScale: 0,
    dailyVolume: 0,
  },
];

function indexFineIncrement(step: number): () => number {
  return () => step;
}

/**
 * A cash-settled European index option market, kept small: dailies a week ahead, weeklies four, fine strikes
 * near the money and coarse ones further out (SPX: 5 and 25 points).
 */
function indexSpec(
  symbol: string,
  fields: {
    conId: number;
    longName: string;
    referencePrice: number;
    realizedVol: number;
    tradingClass: string;
    pmClass?: string;
    fine: number;
    coarse: number;
    dailyLeadDays: number;
  },
): UnderlyingSpec {
  return {
    symbol,
    secType: "IND",
    stockType: "",
    conId: fields.conId,
    primaryExchange: "CBOE",
    longName: fields.longName,
    referencePrice: fields.referencePrice,
    realizedVol: fields.realizedVol,
    shortVol: fields.realizedVol * 0.95,
    longVol: fields.realizedVol * 1.3,
    skew: -0.25,
    smile: 0.04,
    dividendYield: 0.013,
    openInterestScale: 9000,
    dailyVolume: 0,
    options: {
      tradingClass: fields.tradingClass,
      ...(fields.pmClass === undefined ? {} : { pmClass: fields.pmClass }),
      exercise: "european",
      dailyLeadDays: fields.dailyLeadDays,
      weeklyLeadDays: 21,
      fineIncrement: indexFineIncrement(fields.fine),
      coarseIncrement: () => fields.coarse,
      exchanges: ["SMART", "CBOE"],
      lateClose: true,
    },
  };
}

/** Index options: SPX (AM monthlies) with SPXW (PM weeklies and dailies), XSP, NDX/NDXP, RUT/RUTW. */
export const INDEX_UNDERLYINGS: readonly UnderlyingSpec[] = [
  indexSpec("SPX", {
    conId: 416904,
    longName: "S&P 500 Stock Index",
    referencePrice: 5900,
    realizedVol: 0.14,
    tradingClass: "SPX",
    pmClass: "SPXW",
    fine: 5,
    coarse: 25,
    dailyLeadDays: 6,
  }),
  indexSpec("XSP", {
    conId: 55235126,
    longName: "Mini-SPX Index",
    referencePrice: 590,
    realizedVol: 0.14,
    tradingClass: "XSP",
    fine: 1,
    coarse: 5,
    dailyLeadDays: 0,
  }),
  indexSpec("NDX", {
    conId: 416843,
    longName: "NASDAQ 100 Stock Index",
    referencePrice: 21000,
    realizedVol: 0.18,
    tradingClass: "NDX",
    pmClass: "NDXP",
    fine: 50,
    coarse: 250,
    dailyLeadDays: 0,
  }),
  indexSpec("RUT", {
    conId: 416888,
    longName: "Russell 2000 Stock Index",
    referencePrice: 2200,
    realizedVol: 0.2,
    tradingClass: "RUT",
    pmClass: "RUTW",
    fine: 10,
    coarse: 50,
    dailyLeadDays: 0,
  }),
];

/** Every underlying the simulated gateway knows. */
export const UNDERLYINGS: readonly UnderlyingSpec[] = [...EQUITY_AND_VIX, ...INDEX_UNDERLYINGS];

export function underlyingSpec(symbol: string): UnderlyingSpec | undefined {
  const wanted = symbol.trim().toUpperCase();
  return UNDERLYINGS.find((spec) => spec.symbol === wanted);
}

/**
 * Each option class's code in conId encoding (stable, never renumber) with its underlying and the strike unit
 * conIds count in: half a point for equities and XSP, 5 points for SPX/NDX/RUT, whose strikes are multiples of 5.
 */
export const OPTION_CLASS_CODES: Readonly<
  Record<string, { code: number; symbol: string; strikeUnit: number }>
> = {
  SPY: { code: 0, symbol: "SPY", strikeUnit: 0.5 },
  PLTR: { code: 1, symbol: "PLTR", strikeUnit: 0.5 },
  TSLA: { code: 2, symbol: "TSLA", strikeUnit: 0.5 },
  SPX: { code: 3, symbol: "SPX", strikeUnit: 5 },
  SPXW: { code: 4, symbol: "SPX", strikeUnit: 5 },
  XSP: { code: 5, symbol: "XSP", strikeUnit: 0.5 },
  NDX: { code: 6, symbol: "NDX", strikeUnit: 5 },
  NDXP: { code: 7, symbol: "NDX", strikeUnit: 5 },
  RUT: { code: 8, symbol: "RUT", strikeUnit: 5 },
  RUTW: { code: 9, symbol: "RUT", strikeUnit: 5 },
};

export const RISK_FREE_RATE = 0.04;
