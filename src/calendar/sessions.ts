import { earlyCloseTimeOf, isTradingDay } from "./holidays.ts";
import { formatMinutes, minutesOfDay } from "./time.ts";
import type { IsoDate } from "./dates.ts";

/**
 * Which trading session a product follows:
 * - equity: NYSE stocks and ETFs, 09:30–16:00 (13:00 on early closes);
 * - equity_option: options on stocks and most ETFs, 09:30–16:00 (13:00 on early closes);
 * - broad_etf_option: options on broad-based index ETFs (SPY, QQQ, IWM, DIA) and on cash-settled indexes
 *   (SPX, XSP, NDX, RUT, VIX), 09:30–16:15, and 13:15 on early closes (Cboe trading-hours and holiday notices:
 *   these classes keep their 15 minutes after the equity close on half days too).
 */
export type SessionKind = "equity" | "equity_option" | "broad_etf_option";

/** Option classes that trade until 16:15 ET (Cboe "Trading Hours" for ETF and index options). */
export const LATE_CLOSE_OPTION_SYMBOLS: ReadonlySet<string> = new Set([
  "SPY",
  "QQQ",
  "IWM",
  "DIA",
  "SPX",
  "SPXW",
  "XSP",
  "NDX",
  "NDXP",
  "RUT",
  "VIX",
]);

export function sessionKindForOption(symbol: string): SessionKind {
  return LATE_CLOSE_OPTION_SYMBOLS.has(symbol.trim().toUpperCase()) ? "broad_etf_option" : "equity_option";
}

export const REGULAR_OPEN_ET = "09:30";
const REGULAR_CLOSE_ET: Record<SessionKind, string> = {
  equity: "16:00",
  equity_option: "16:00",
  broad_etf_option: "16:15",
};
/** Minutes the late-closing option classes trade after the equity close, on full and half days alike. */
const LATE_CLOSE_EXTRA_MINUTES = 15;

/** Regular-hours session of a product on a date, in New York time; null when the market is closed. */
export function sessionOf(date: IsoDate, kind: SessionKind): { openEt: string; closeEt: string } | null {
  if (!isTradingDay(date)) return null;
  const early = earlyCloseTimeOf(date);
  if (early === null) return { openEt: REGULAR_OPEN_ET, closeEt: REGULAR_CLOSE_ET[kind] };
  const extra = kind === "broad_etf_option" ? LATE_CLOSE_EXTRA_MINUTES : 0;
  return { openEt: REGULAR_OPEN_ET, closeEt: formatMinutes(minutesOfDay(early) + extra) };
}
