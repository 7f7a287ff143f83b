import type { CollectionRule, Finding } from "./types.ts";

/** Rules about one quote's bid and ask. */

/** bid >= ask − threshold with a bid: no market is crossed or locked for long, a feed that says so is wrong. */
export const crossedMarket: CollectionRule = {
  name: "crossed_market",
  check(input, settings) {
    const { threshold } = settings.rules.crossed_market;
    const findings: Finding[] = [];
    for (const quote of input.quotes) {
      if (quote.bid === null || quote.ask === null || quote.bid <= 0) continue;
      if (quote.ask - quote.bid > threshold) continue;
      findings.push({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: bid ${quote.bid} ${quote.bid === quote.ask ? "equals" : "above"} ask ${quote.ask}`,
        details: { bid: quote.bid, ask: quote.ask },
      });
    }
    return findings;
  },
};

/** A bid or an ask below the threshold (0): prices are never negative; IB's −1 "no price" must have become null. */
export const negativePrice: CollectionRule = {
  name: "negative_price",
  check(input, settings) {
    const { threshold } = settings.rules.negative_price;
    return input.quotes
      .filter(
        (quote) =>
          (quote.bid !== null && quote.bid < threshold) || (quote.ask !== null && quote.ask < threshold),
      )
      .map((quote) => ({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: negative price (bid ${quote.bid ?? "none"}, ask ${quote.ask ?? "none"})`,
        details: { bid: quote.bid, ask: quote.ask },
      }));
  },
};

/** A bid above the threshold with no ask: half a market, so no mid, no model IV and no spread to trade on. */
export const bidWithoutAsk: CollectionRule = {
  name: "bid_without_ask",
  check(input, settings) {
    const { threshold } = settings.rules.bid_without_ask;
    return input.quotes
      .filter((quote) => quote.bid !== null && quote.bid > threshold && quote.ask === null)
      .map((quote) => ({
        contractId: quote.contractId,
        message: `${quote.contractSymbol}: bid ${quote.bid} with no ask`,
        details: { bid: quote.bid },
      }));
  },
};
