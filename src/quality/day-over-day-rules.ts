import { DAY_MS } from "../calendar/index.ts";
import { percent } from "./format.ts";
import type { CheckedQuote, CollectionRule, Finding } from "./types.ts";

/** Rules comparing a collection with the previous trading day's collection of the same type. */

/** Trading days a year: the VIX is an annualized 30-day volatility. */
const TRADING_DAYS_PER_YEAR = 252;

function byContract(quotes: readonly CheckedQuote[]): Map<number, CheckedQuote> {
  return new Map(quotes.map((quote) => [quote.contractId, quote]));
}

const cents = (price: number): number => Math.round(price * 100);

/**
 * How many spreads the day should have shifted a quote before an unchanged one is stale: what the Taylor
 * expansion leaves out (a volatility change, the higher terms) can offset about one spread, rarely two.
 */
const STALE_MOVE_SPREADS = 2;

/** A market wider than this fraction of its mid is not liquid, whatever traded: 0.02 / 0.04 is a quote for show. */
const MAX_LIQUID_SPREAD = 0.5;

/** How much a day should have moved an option: delta·ΔS + ½·gamma·ΔS² + theta·days (model units, per calendar day). */
function expectedChange(quote: CheckedQuote, spotMove: number, days: number): number | null {
  if (quote.delta === null) return null;
  return quote.delta * spotMove + 0.5 * (quote.gamma ?? 0) * spotMove ** 2 + (quote.theta ?? 0) * days;
}

/**
 * A liquid contract (its day's volume at least `threshold`, a two-sided market at most half its mid wide) quoting the very bid and ask,
 * to the cent, of the previous trading day although the day (the underlying's move and the time decay, by its
 * greeks) should have shifted it by more than twice its spread: the feed served a stale quote. A far
 * out-of-the-money 0.02 / 0.04 that rightly stays put, or a quiet day, is not one.
 */
export const staleQuote: CollectionRule = {
  name: "stale_quote",
  check(input, settings) {
    if (!input.previous) return [];
    const { threshold } = settings.rules.stale_quote;
    const yesterday = byContract(input.previous.quotes);
    const findings: Finding[] = [];
    for (const quote of input.quotes) {
      if (quote.volume === null || quote.volume < threshold) continue;
      const before = yesterday.get(quote.contractId);
      if (!before || quote.bid === null || quote.ask === null || before.bid === null || before.ask === null)
        continue;
      if (quote.bid <= 0 || quote.ask - quote.bid > (MAX_LIQUID_SPREAD * (quote.ask + quote.bid)) / 2)
        continue;
      if (cents(quote.bid) !== cents(before.bid) || cents(quote.ask) !== cents(before.ask)) continue;
      const spot = quote.underlyingPrice ?? input.underlying.price;
      const previousSpot = before.underlyingPrice ?? input.underlying.previousPrice;
      if (spot === null || previousSpot === null) continue;
      const days = (quote.time.getTime() - before.time.getTime()) / DAY_MS;
      const expected = expectedChange(quote, spot - previousSpot, days);
      if (expected === null || Math.abs(expected) <= STALE_MOVE_SPREADS * (quote.ask - quote.bid)) continue;
      findings.push({
        contractId: quote.contractId,
        message:
          `${quote.contractSymbol}: bid ${quote.bid} / ask ${quote.ask} unchanged since ${input.previous.date} ` +
          `with volume ${quote.volume}, though the underlying moved ${previousSpot} → ${spot} ` +
          `(expected change ${expected.toFixed(2)})`,
        details: {
          bid: quote.bid,
          ask: quote.ask,
          volume: quote.volume,
          previousDate: input.previous.date,
          expectedChange: expected,
        },
      });
    }
    return findings;
  },
};

/** A contract without open interest whose previous trading day's quote had at least `threshold`. */
export const openInterestMissing: CollectionRule = {
  name: "open_interest_missing",
  check(input, settings) {
    if (!input.previous) return [];
    const { threshold } = settings.rules.open_interest_missing;
    const yesterday = byContract(input.previous.quotes);
    const findings: Finding[] = [];
    for (const quote of input.quotes) {
      if (quote.openInterest !== null) continue;
      const before = yesterday.get(quote.contractId)?.openInterest ?? null;
      if (before === null || before < threshold) continue;
      findings.push({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: no open interest; ${input.previous.date} had ${before}`,
        details: { previousOpenInterest: before, previousDate: input.previous.date },
      });
    }
    return findings;
  },
};

/** The number of contracts stored falling by more than quality.max_contract_drop from the previous trading day. */
export const contractCountDrop: CollectionRule = {
  name: "contract_count_drop",
  check(input, settings) {
    const before = input.previous?.quotes.length ?? 0;
    if (!input.previous || before === 0) return [];
    const now = input.quotes.length;
    const drop = (before - now) / before;
    if (drop <= settings.max_contract_drop) return [];
    return [
      {
        contractId: null,
        message:
          `${input.symbol} ${input.type}: ${now} contracts stored, ${before} on ${input.previous.date} ` +
          `(down ${percent(drop)}, more than ${percent(settings.max_contract_drop)})`,
        details: { contracts: now, previousContracts: before, previousDate: input.previous.date, drop },
        affected: before - now,
      },
    ];
  },
};

/**
 * The underlying moved more than `threshold` standard deviations of the VIX-implied daily move
 * (VIX / 100 / √252, the market's own expectation) since the previous trading day's collection: a wrong
 * price (another instrument, a stale or a split-adjusted one) more often than a real crash. Needs both prices
 * and a VIX level; without them it stays silent.
 */
export const underlyingJump: CollectionRule = {
  name: "underlying_jump",
  check(input, settings) {
    const { price, previousPrice, vix } = input.underlying;
    if (!input.previous || price === null || previousPrice === null || vix === null) return [];
    if (!(price > 0 && previousPrice > 0 && vix > 0)) return [];
    const { threshold } = settings.rules.underlying_jump;
    const dailyMove = vix / 100 / Math.sqrt(TRADING_DAYS_PER_YEAR);
    const move = Math.log(price / previousPrice);
    const sigmas = Math.abs(move) / dailyMove;
    if (sigmas <= threshold) return [];
    return [
      {
        contractId: null,
        message:
          `${input.symbol}: ${previousPrice} on ${input.previous.date} to ${price} (${percent(Math.exp(move) - 1)}) ` +
          `is ${sigmas.toFixed(1)} standard deviations of the VIX-implied daily move (VIX ${vix})`,
        details: { price, previousPrice, previousDate: input.previous.date, vix, sigmas },
        affected: input.quotes.length,
      },
    ];
  },
};
