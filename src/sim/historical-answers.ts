import { addDays, type IsoDate } from "../calendar/index.ts";
import { findContracts } from "./contract-lookup.ts";
import { etOf } from "./market/et-time.ts";
import type { BarKind, SyntheticMarket } from "./market/synthetic-market.ts";
import type { ContractFields } from "./protocol/fields.ts";
import type { Field } from "./protocol/framing.ts";
import { OUT } from "./protocol/ids.ts";

export interface HistoricalRequest {
  reqId: number;
  contract: ContractFields;
  endDateTime: string;
  barSize: string;
  duration: string;
  useRth: boolean;
  whatToShow: string;
}

const OPTION_KINDS: ReadonlySet<string> = new Set([
  "TRADES",
  "MIDPOINT",
  "BID_ASK",
  "OPTION_IMPLIED_VOLATILITY",
]);
const UNDERLYING_KINDS: ReadonlySet<string> = new Set([...OPTION_KINDS, "HISTORICAL_VOLATILITY"]);
const MAX_DURATION_DAYS = 20 * 365;
const DURATION_DAYS: Record<string, number> = { D: 1, W: 7, M: 30, Y: 365 };

type Answer = { message: Field[] } | { error: { code: number; message: string } };

function invalid(message: string): Answer {
  return { error: { code: 321, message: `Error validating request.-'bH' : cause - ${message}` } };
}

function ibDateTime(date: IsoDate, time: string): string {
  return `${date.replaceAll("-", "")} ${time}`;
}

/** Daily bars for a non-expired option or an underlying, as one HISTORICAL_DATA message, or the error IB sends. */
export function answerHistorical(market: SyntheticMarket, request: HistoricalRequest, now: Date): Answer {
  if (!/^1\s*(day|d)$/i.test(request.barSize))
    return invalid(`the simulated gateway serves daily bars ("1 day") only, not "${request.barSize}"`);
  const duration = /^(\d+)\s*([DWMY])$/i.exec(request.duration);
  if (!duration)
    return invalid(
      `Historical data duration "${request.duration}" is invalid; use e.g. "30 D", "2 W", "1 M", "1 Y"`,
    );
  const today = etOf(now).date;
  let end = today;
  const endMatch = /^(\d{4})(\d{2})(\d{2})/.exec(request.endDateTime);
  if (request.endDateTime !== "") {
    if (!endMatch) return invalid(`End date/time "${request.endDateTime}" is invalid; use yyyyMMdd HH:mm:ss`);
    end = `${endMatch[1]}-${endMatch[2]}-${endMatch[3]}`;
    if (end > today) end = today;
  }
  const days = Number(duration[1]) * (DURATION_DAYS[(duration[2] as string).toUpperCase()] as number);
  if (days > MAX_DURATION_DAYS)
    return invalid(`Historical data duration "${request.duration}" is longer than the 20 years served`);
  const start = addDays(end, -Math.max(days - 1, 0));
  const found = findContracts(market, request.contract, today);
  if (found.length !== 1) {
    const expired =
      request.contract.conId !== undefined ? market.contract(request.contract.conId) : undefined;
    if (expired && expired.expiry < today) {
      return {
        error: {
          code: 162,
          message:
            "Historical Market Data Service error message:HMDS query returned no data: the contract has expired",
        },
      };
    }
    return { error: { code: 200, message: "No security definition has been found for the request" } };
  }
  const target = found[0];
  const kinds = target?.kind === "option" ? OPTION_KINDS : UNDERLYING_KINDS;
  if (!kinds.has(request.whatToShow))
    return invalid(`whatToShow ${request.whatToShow} is not available for this contract`);
  const bars =
    target?.kind === "option"
      ? market.dailyBars(
          { symbol: target.contract.symbol, contract: target.contract },
          request.whatToShow as BarKind,
          start,
          end,
        )
      : market.dailyBars(
          { symbol: target?.kind === "underlying" ? target.spec.symbol : "" },
          request.whatToShow as BarKind,
          start,
          end,
        );
  if (bars.length === 0) {
    return {
      error: {
        code: 162,
        message: "Historical Market Data Service error message:HMDS query returned no data",
      },
    };
  }
  const fields: Field[] = [
    OUT.HISTORICAL_DATA,
    request.reqId,
    ibDateTime(start, "00:00:00"),
    ibDateTime(end, "23:59:59"),
    bars.length,
  ];
  for (const bar of bars) {
    const trades = request.whatToShow === "TRADES";
    const wap = trades ? Number(((bar.open + bar.high + bar.low + bar.close) / 4).toFixed(4)) : -1;
    const count = trades ? Math.max(1, Math.round(bar.volume / 7)) : -1;
    fields.push(bar.date.replaceAll("-", ""), bar.open, bar.high, bar.low, bar.close, bar.volume, wap, count);
  }
  return { message: fields };
}
