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
  tradingClass: string;
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

export const UNDERLYINGS: readonly UnderlyingSpec[] = [
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

export function underlyingSpec(symbol: string): UnderlyingSpec | undefined {
  const wanted = symbol.trim().toUpperCase();
  return UNDERLYINGS.find((spec) => spec.symbol === wanted);
}

/** Index of an optionable underlying in conId encoding; stable, never reorder. */
export const OPTION_SYMBOL_CODES: Readonly<Record<string, number>> = { SPY: 0, PLTR: 1, TSLA: 2 };

export const RISK_FREE_RATE = 0.04;
