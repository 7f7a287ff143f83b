import { OptionType, SecType } from "@stoqey/ib";
import type { Contract, ContractDetails } from "@stoqey/ib";

/**
 * Plain contract objects (never stoqey's helper classes: spreading an `Option` loses its expiry getter),
 * and the reading of CONTRACT_DATA replies around stoqey's decoding quirks.
 */

export type UnderlyingSecType = "STK" | "IND";

export function underlyingContract(symbol: string, secType: UnderlyingSecType): Contract {
  return secType === "IND"
    ? { symbol, secType: SecType.IND, exchange: "CBOE", currency: "USD" }
    : { symbol, secType: SecType.STK, exchange: "SMART", currency: "USD" };
}

/** A whole expiry and right (strike unset): one CONTRACT_DATA request lists every strike that exists. */
export function optionExpiryQuery(
  symbol: string,
  expiryYyyymmdd: string,
  right: "C" | "P",
  tradingClass: string,
): Contract {
  return {
    symbol,
    secType: SecType.OPT,
    lastTradeDateOrContractMonth: expiryYyyymmdd,
    right: right === "C" ? OptionType.Call : OptionType.Put,
    exchange: "SMART",
    currency: "USD",
    tradingClass,
  };
}

/** A qualified contract is addressed by conId + exchange only (avoids 478 from time-zone date shifts). */
export function byConId(conId: number, exchange = "SMART"): Contract {
  return { conId, exchange };
}

export interface QualifiedOption {
  conId: number;
  symbol: string;
  expiry: string; // YYYY-MM-DD
  strike: number;
  right: "C" | "P";
  multiplier: number;
  tradingClass: string;
  exchange: string;
  minTick: number | null;
}

/** "20250117", "20250117 16:00:00 US/Eastern" or "2025-01-17" → "2025-01-17". */
export function isoFromIbDate(value: string | undefined): string | null {
  if (!value) return null;
  const match = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : null;
}

export function ibDateFromIso(date: string): string {
  return date.replaceAll("-", "");
}

/**
 * At server version >= 182 the plain `lastTradeDate` (or realExpirationDate) is the expiry; the combined
 * lastTradeDateOrContractMonth can carry a time in the TWS login zone and be a day off, so it comes last.
 */
export function readOptionDetails(details: ContractDetails): QualifiedOption | null {
  const contract = details.contract;
  const expiry =
    isoFromIbDate(contract.lastTradeDate) ??
    isoFromIbDate(details.realExpirationDate) ??
    isoFromIbDate(contract.lastTradeDateOrContractMonth);
  const right = String(contract.right ?? "").toUpperCase();
  const normalizedRight =
    right === "C" || right === "CALL" ? "C" : right === "P" || right === "PUT" ? "P" : null;
  if (!contract.conId || !expiry || contract.strike === undefined || !normalizedRight) return null;
  const multiplier = Number(contract.multiplier ?? 100);
  return {
    conId: contract.conId,
    symbol: contract.symbol ?? "",
    expiry,
    strike: contract.strike,
    right: normalizedRight,
    multiplier: Number.isFinite(multiplier) && multiplier > 0 ? multiplier : 100,
    tradingClass: contract.tradingClass ?? contract.symbol ?? "",
    exchange: contract.exchange || "SMART",
    // Taken from CONTRACT_DATA: TICK_REQ_PARAMS' minTick is parsed as an integer by stoqey.
    minTick: details.minTick !== undefined && details.minTick > 0 ? details.minTick : null,
  };
}
