import { parityBreach, parityValue } from "../pricing/parity.ts";
import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import type { CheckedQuote, CollectionRule, Finding } from "./types.ts";

/** A two-sided, uncrossed market: the only kind parity can be judged on (the others have rules of their own). */
function twoSided(quote: CheckedQuote): quote is CheckedQuote & { bid: number; ask: number } {
  return quote.bid !== null && quote.ask !== null && quote.bid > 0 && quote.ask > quote.bid;
}

/**
 * A call and a put of one expiry and strike whose C − P lies further from parity (S·e^(−qT) − K·e^(−rT), with
 * the configured rate and the symbol's dividend yield, as the project's pricing models them) than both
 * bid-ask spreads allow, by more than `threshold` × S. Such a pair is an arbitrage on paper; in stored data it
 * is more often one leg quoted at another moment, or a wrong underlying price. The model is European: an
 * American pair deep in the money can carry an early-exercise premium, which a wider threshold absorbs.
 */
export const parityBreachRule: CollectionRule = {
  name: "parity_breach",
  check(input, settings) {
    const { threshold } = settings.rules.parity_breach;
    const pairs = new Map<string, { call?: CheckedQuote; put?: CheckedQuote }>();
    for (const quote of input.quotes) {
      const key = `${quote.expiry}|${quote.strike}`;
      const pair = pairs.get(key) ?? {};
      if (quote.right === "C") pair.call = quote;
      else pair.put = quote;
      pairs.set(key, pair);
    }
    const findings: Finding[] = [];
    for (const { call, put } of pairs.values()) {
      if (!call || !put || !twoSided(call) || !twoSided(put)) continue;
      const spot = call.underlyingPrice ?? put.underlyingPrice ?? input.underlying.price;
      if (spot === null || !(spot > 0)) continue;
      const value = parityValue({
        spot,
        strike: call.strike,
        timeYears: timeToExpiryYears(call.time, call.expiry),
        rate: input.pricing.rate,
        dividendYield: input.pricing.dividendYield,
      });
      const quotes = { callBid: call.bid, callAsk: call.ask, putBid: put.bid, putAsk: put.ask };
      const breach = parityBreach(value, quotes);
      if (breach <= threshold * spot) continue;
      findings.push({
        contractId: call.contractId,
        message:
          `${call.contractSymbol}/${put.contractSymbol}: C − P outside ${round(quotes.callBid - quotes.putAsk)}..` +
          `${round(quotes.callAsk - quotes.putBid)} by ${round(breach)} (parity ${round(value)} at S ${spot})`,
        details: { putContractId: put.contractId, parity: value, breach, spot, ...quotes },
      });
    }
    return findings;
  },
};

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
