import { sessionKindForOption, sessionOf, toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";

/** IB market-data types (reqMarketDataType). */
export const LIVE = 1;
export const FROZEN = 2;
export const DELAYED = 3;
export const DELAYED_FROZEN = 4;
export type MarketDataTypeCode = 1 | 2 | 3 | 4;

/** Whether the gateway's clock is inside the symbol's option session (SPY & co. trade to 16:15). */
export function inOptionSession(now: Date, symbol: string): boolean {
  const { date, time } = toEt(now);
  const session = sessionOf(date as IsoDate, sessionKindForOption(symbol));
  return session !== null && time >= session.openEt && time < session.closeEt;
}

/**
 * Live in session, frozen (the last values of the close) outside it; a symbol without a live subscription
 * uses the delayed equivalents (delayed in session, delayed-frozen outside).
 */
export function marketDataTypeFor(now: Date, symbol: string, subscribed: boolean): MarketDataTypeCode {
  const open = inOptionSession(now, symbol);
  if (subscribed) return open ? LIVE : FROZEN;
  return open ? DELAYED : DELAYED_FROZEN;
}
