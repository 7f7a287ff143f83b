import type { IsoDate } from "../calendar/index.ts";
import type { OptionContract } from "./market/option-contracts.ts";
import type { SyntheticMarket } from "./market/synthetic-market.ts";
import type { UnderlyingSpec } from "./market/underlying-specs.ts";
import type { ContractFields } from "./protocol/fields.ts";

export type Resolved =
  { kind: "underlying"; spec: UnderlyingSpec } | { kind: "option"; contract: OptionContract };

function normalizeRight(right: string): string {
  if (right === "CALL") return "C";
  if (right === "PUT") return "P";
  return right;
}

/** "YYYYMMDD", "YYYYMMDD hh:mm:ss tz" or "YYYYMM" → a predicate on ISO expiries. */
function expiryMatcher(text: string): ((expiry: IsoDate) => boolean) | undefined {
  const digits = text.slice(0, 8);
  if (/^\d{8}$/.test(digits)) {
    const iso = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
    return (expiry) => expiry === iso;
  }
  if (/^\d{6}$/.test(text)) {
    const month = `${text.slice(0, 4)}-${text.slice(4, 6)}`;
    return (expiry) => expiry.startsWith(month);
  }
  return () => false;
}

/**
 * Every contract listed on date that matches a (possibly partial) description: by conId, or by symbol and
 * security type with expiry, strike and right as optional filters (a whole expiry when the strike is unset).
 */
export function findContracts(market: SyntheticMarket, fields: ContractFields, date: IsoDate): Resolved[] {
  if (fields.conId !== undefined) {
    const spec = market.underlyings().find((candidate) => candidate.conId === fields.conId);
    if (spec) return [{ kind: "underlying", spec }];
    const contract = market.contract(fields.conId, date);
    return contract ? [{ kind: "option", contract }] : [];
  }
  const spec = market.underlying(fields.symbol);
  if (!spec) return [];
  if (fields.currency && fields.currency !== "USD") return [];
  const secType = fields.secType || "STK";
  if (secType === "STK" || secType === "IND")
    return secType === spec.secType ? [{ kind: "underlying", spec }] : [];
  if (secType !== "OPT" || !spec.options) return [];
  if (fields.multiplier && Number(fields.multiplier) !== 100) return [];
  const right = normalizeRight(fields.right);
  if (right && right !== "C" && right !== "P") return [];
  const matchesExpiry = fields.lastTradeDateOrContractMonth
    ? expiryMatcher(fields.lastTradeDateOrContractMonth)
    : undefined;
  const found: Resolved[] = [];
  for (const contract of market.chain(spec.symbol, date)) {
    if (matchesExpiry && !matchesExpiry(contract.expiry)) continue;
    if (fields.strike !== undefined && Math.abs(contract.strike - fields.strike) > 1e-6) continue;
    if (right && contract.right !== right) continue;
    if (fields.tradingClass && contract.tradingClass !== fields.tradingClass) continue;
    if (
      fields.localSymbol &&
      fields.localSymbol.replaceAll(" ", "") !== contract.localSymbol.replaceAll(" ", "")
    )
      continue;
    found.push({ kind: "option", contract });
  }
  return found;
}
