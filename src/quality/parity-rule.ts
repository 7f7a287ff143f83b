import { parityBreaches } from "../analytics/breaches.ts";
import { twoSided } from "../analytics/chain.ts";
import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import { settlementOf, settlementTimeEt } from "../config/symbols.ts";
import type { CheckedQuote, CollectionRule, Finding } from "./types.ts";

/**
 * A call and a put of one expiry and strike whose C − P lies further from parity (S·e^(−qT) − K·e^(−rT), with
 * the configured rate and the symbol's dividend yield, as the project's pricing models them) than both
 * bid-ask spreads allow, by more than `threshold` × S. Such a pair is an arbitrage on paper; in stored data it
 * is more often one leg quoted at another moment, or a wrong underlying price. The breach is the one the chain
 * analytics measure (analytics/breaches.ts), priced against the configured rate instead of the chain's own:
 * European, so an American pair deep in the money can carry an early-exercise premium, which a wider
 * threshold absorbs.
 */
export const parityBreachRule: CollectionRule = {
  name: "parity_breach",
  check(input, settings) {
    const { threshold } = settings.rules.parity_breach;
    const { rate, dividendYield } = input.pricing;
    const pairs = new Map<string, { call?: CheckedQuote; put?: CheckedQuote }>();
    for (const quote of input.quotes) {
      // The OCC root names the class: SPX and SPXW share expiry and strike on a third Friday.
      const key = `${quote.contractSymbol.slice(0, 6)}|${quote.expiry}|${quote.strike}`;
      const pair = pairs.get(key) ?? {};
      if (quote.right === "C") pair.call = quote;
      else pair.put = quote;
      pairs.set(key, pair);
    }
    const findings: Finding[] = [];
    for (const { call, put } of pairs.values()) {
      const callSide = call ? twoSided(call.bid, call.ask) : null;
      const putSide = put ? twoSided(put.bid, put.ask) : null;
      if (!call || !put || !callSide || !putSide) continue;
      const spot = call.underlyingPrice ?? put.underlyingPrice ?? input.underlying.price;
      if (spot === null || !(spot > 0)) continue;
      // The OCC root is the class: an AM-settled one (SPX's monthlies) runs to the expiry morning.
      const settlement = settlementOf(input.symbol, call.contractSymbol.slice(0, 6).trim(), call.expiry);
      const years = timeToExpiryYears(call.time, call.expiry, settlementTimeEt(settlement));
      const reference = {
        discountFactor: Math.exp(-rate * years),
        forward: spot * Math.exp((rate - dividendYield) * years),
        underlyingPrice: spot,
      };
      const strikes = [{ strike: call.strike, call: callSide, put: putSide }];
      const [breach] = parityBreaches(strikes, "european", reference, threshold * spot) ?? [];
      if (!breach) continue;
      const quotes = {
        callBid: breach.callBid,
        callAsk: breach.callAsk,
        putBid: breach.putBid,
        putAsk: breach.putAsk,
      };
      findings.push({
        contractId: call.contractId,
        message:
          `${call.contractSymbol}/${put.contractSymbol}: C − P outside ${round(quotes.callBid - quotes.putAsk)}..` +
          `${round(quotes.callAsk - quotes.putBid)} by ${round(breach.edge)} (parity ${round(breach.bound)} at S ${spot})`,
        details: {
          putContractId: put.contractId,
          parity: breach.bound,
          breach: breach.edge,
          spot,
          ...quotes,
        },
      });
    }
    return findings;
  },
};

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
