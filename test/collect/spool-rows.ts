import type { QuoteRow } from "../../src/store/repositories/quotes.ts";

/** A quote row of contract `contractId` with values that survive the round trip through JSON and COPY. */
export function quoteRow(contractId: number): QuoteRow {
  return {
    time: new Date(Date.UTC(2025, 0, 15, 21, 45, 0, contractId % 1000)),
    collectionDate: "2025-01-15",
    contractId,
    collectionType: "eod",
    bidPrice: 1.25,
    askPrice: 1.3,
    lastPrice: null,
    closePrice: 1.2,
    bidSize: 10,
    askSize: 12,
    volume: 100 + contractId,
    openInterest: 1000,
    delta: 0.5123,
    gamma: 0.012345,
    theta: -0.0312,
    vega: 0.1021,
    rho: 0.0102,
    impliedVolatility: 0.2512,
    underlyingPrice: 590.12,
    marketDataType: 2,
    greeksSource: "ib",
  };
}
