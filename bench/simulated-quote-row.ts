import type { OptionQuote } from "../src/sim/market/synthetic-market.ts";
import type { QuoteRow } from "../src/store/repositories/quotes.ts";

/** Where a quote row belongs: its contract and the snapshot it was taken in. */
export interface SnapshotOf {
  contractId: number;
  time: Date;
  collectionDate: string;
  collectionType: string;
}

/** The simulated gateway's quote as a collection stores it when IB sends its greeks (the benches' seed data). */
export function simulatedQuoteRow(quote: OptionQuote, snapshot: SnapshotOf): QuoteRow {
  return {
    ...snapshot,
    bidPrice: quote.bid,
    askPrice: quote.ask,
    lastPrice: quote.last,
    closePrice: quote.close,
    bidSize: quote.bidSize,
    askSize: quote.askSize,
    volume: quote.volume,
    openInterest: quote.openInterest,
    impliedVolatility: quote.model.impliedVol,
    delta: quote.model.delta,
    gamma: quote.model.gamma,
    theta: quote.model.theta,
    vega: quote.model.vega,
    underlyingPrice: quote.underlyingPrice,
    marketDataType: 1,
    greeksSource: "ib",
  };
}
