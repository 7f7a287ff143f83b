import {
  addDays,
  etInstant,
  monthlyExpiry,
  nextTradingDay,
  priorSessionOf,
  weekdayOf,
} from "../../src/calendar/index.ts";
import type { IsoDate } from "../../src/calendar/index.ts";
import { occSymbol } from "../../src/collect/occ.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import type { ContractRow } from "../../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../../src/store/repositories/quotes.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { insertUnderlyingTicks } from "../../src/store/repositories/underlying-ticks.ts";

/**
 * Chains shaped like the simulator's (weekly Friday expiries, strikes around the spot in fixed steps, both
 * rights, an analytics snapshot at 15:45 and an end-of-day one at 16:15 New York) written straight through the
 * repositories: fast enough for export tests and for a year of data in bench/query.ts. Values are
 * deterministic; a few are NULL (no bid, no greeks) as real chains have.
 */
export interface SyntheticChainOptions {
  symbols: readonly string[];
  /** Trading days, oldest first. */
  days: readonly IsoDate[];
  /** Expiries listed each day (the next N Fridays). */
  expiries: number;
  /** Strikes per expiry (each with a call and a put). */
  strikes: number;
  /** Also list the December expiry of the next year (a LEAP: one contract quoted every day of a year). */
  leap?: boolean;
  types?: readonly ("analytics" | "eod")[];
  seed?: number;
  /** Called after each day is stored (progress for the benchmarks). */
  onDay?: (date: IsoDate, rows: number) => void;
}

const SNAPSHOT_TIME = { analytics: "15:45", eod: "16:15" } as const;
const SPOT: Record<string, number> = { SPY: 600, QQQ: 520, IWM: 220, PLTR: 80 };

/** Deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` trading days starting at `from` (or the next trading day after it). */
export function tradingDaysFrom(from: IsoDate, count: number): IsoDate[] {
  const days: IsoDate[] = [];
  let day = nextTradingDay(addDays(from, -1));
  while (days.length < count) {
    days.push(day);
    day = nextTradingDay(day);
  }
  return days;
}

function fridaysFrom(date: IsoDate, count: number): IsoDate[] {
  let friday = addDays(date, (5 - weekdayOf(date) + 7) % 7);
  const fridays: IsoDate[] = [];
  for (let i = 0; i < count; i += 1, friday = addDays(friday, 7)) fridays.push(friday);
  return fridays;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Stores the chains; returns how many quote rows were written. */
export async function seedSyntheticChains(db: Database, options: SyntheticChainOptions): Promise<number> {
  const next = random(options.seed ?? 42);
  const types = options.types ?? ["analytics", "eod"];
  let total = 0;
  const underlyings = new Map<string, number>();
  // A random walk (1 % a day) like the simulator's: strikes near the money stay listed for weeks.
  const spots = new Map<string, number>();
  for (const symbol of options.symbols) {
    underlyings.set(symbol, await upsertUnderlying(db, { symbol, securityType: "ETF" }));
    spots.set(symbol, SPOT[symbol] ?? 100);
  }
  for (const date of options.days) {
    let dayRows = 0;
    for (const symbol of options.symbols) {
      const underlyingId = underlyings.get(symbol)!;
      const spot = round(spots.get(symbol)! * (1 + (next() - 0.5) * 0.035), 2);
      spots.set(symbol, spot);
      const step = spot > 300 ? 5 : 1;
      const atm = Math.round(spot / step) * step;
      const contracts: ContractRow[] = [];
      const expiries = fridaysFrom(date, options.expiries);
      if (options.leap) expiries.push(monthlyExpiry(Number(date.slice(0, 4)) + 1, 12));
      for (const expiry of expiries) {
        for (let i = 0; i < options.strikes; i += 1) {
          // A LEAP lists fixed strikes (around the first spot), so the same contracts are quoted all year.
          const centre = expiry === expiries.at(-1) && options.leap ? (SPOT[symbol] ?? 100) : atm;
          const strike = centre + (i - Math.floor(options.strikes / 2)) * step;
          if (strike <= 0) continue;
          for (const right of ["C", "P"] as const) {
            contracts.push({
              contractSymbol: occSymbol(symbol, expiry, right, strike),
              underlyingId,
              strikePrice: strike,
              optionType: right,
              expirationDate: expiry,
              tradingClass: symbol,
              multiplier: 100,
            });
          }
        }
      }
      const ids = await upsertContracts(db, contracts);
      const quotes: QuoteRow[] = [];
      for (const type of types) {
        const time = etInstant(date, SNAPSHOT_TIME[type]);
        const drift = type === "eod" ? 1 + (next() - 0.5) * 0.002 : 1;
        const underlyingMid = round(spot * drift, 2);
        await insertUnderlyingTicks(db, [
          {
            underlyingId,
            time,
            collectionDate: date,
            collectionType: type,
            bidPrice: round(underlyingMid - 0.01, 2),
            askPrice: round(underlyingMid + 0.01, 2),
            lastPrice: underlyingMid,
            closePrice: round(spot * 0.995, 2),
            bidSize: 100 + Math.floor(next() * 900),
            askSize: 100 + Math.floor(next() * 900),
            volume: Math.floor(next() * 1e7),
            marketDataType: 1,
          },
        ]);
        for (const contract of contracts) {
          const intrinsic =
            contract.optionType === "C"
              ? Math.max(0, underlyingMid - contract.strikePrice)
              : Math.max(0, contract.strikePrice - underlyingMid);
          const mid = intrinsic + 0.05 + next() * 3;
          const spread = 0.01 + next() * 0.1;
          const noBid = next() < 0.03;
          const noGreeks = next() < 0.05;
          const delta = contract.optionType === "C" ? next() : -next();
          quotes.push({
            contractId: ids.get(contract.contractSymbol)!,
            time,
            collectionDate: date,
            collectionType: type,
            bidPrice: noBid ? null : round(Math.max(0.01, mid - spread / 2), 2),
            askPrice: round(mid + spread / 2, 2),
            lastPrice: next() < 0.5 ? round(mid, 2) : null,
            closePrice: round(mid * 0.98, 2),
            bidSize: noBid ? null : 1 + Math.floor(next() * 500),
            askSize: 1 + Math.floor(next() * 500),
            volume: Math.floor(next() * 5000),
            openInterest: Math.floor(next() * 50_000),
            openInterestDate: priorSessionOf(date),
            impliedVolatility: noGreeks ? null : round(0.1 + next() * 0.4, 4),
            delta: noGreeks ? null : round(delta, 4),
            gamma: noGreeks ? null : round(next() * 0.05, 6),
            theta: noGreeks ? null : round(-next() * 0.5, 4),
            vega: noGreeks ? null : round(next() * 0.8, 4),
            rho: noGreeks ? null : round((next() - 0.5) * 0.2, 4),
            underlyingPrice: underlyingMid,
            marketDataType: 1,
            greeksSource: noGreeks ? null : next() < 0.8 ? "ib" : "amer",
          });
        }
      }
      dayRows += await insertQuotes(db, quotes);
    }
    total += dayRows;
    options.onDay?.(date, dayRows);
  }
  return total;
}
