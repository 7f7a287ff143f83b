import type { ContractDetails } from "@stoqey/ib";
import { describe, expect, it } from "vitest";
import { isoFromIbDate, readOptionDetails } from "../../src/ib/contract-objects.ts";
import { cleanComputation, readQuote, TickSet } from "../../src/ib/tick-set.ts";

describe("reading CONTRACT_DATA", () => {
  it("takes the expiry from lastTradeDate, not the combined field with a time, and minTick from details", () => {
    const details = {
      contract: {
        conId: 123,
        symbol: "SPY",
        lastTradeDateOrContractMonth: "20250116 16:00:00 US/Eastern",
        lastTradeDate: "20250117",
        strike: 585,
        right: "P",
        multiplier: 100,
        tradingClass: "SPY",
        exchange: "SMART",
      },
      minTick: 0.01,
    } as unknown as ContractDetails;
    expect(readOptionDetails(details)).toEqual({
      conId: 123,
      symbol: "SPY",
      expiry: "2025-01-17",
      strike: 585,
      right: "P",
      multiplier: 100,
      tradingClass: "SPY",
      exchange: "SMART",
      minTick: 0.01,
    });
    expect(isoFromIbDate("20250117 16:00:00 US/Eastern")).toBe("2025-01-17");
  });
});

describe("reading ticks", () => {
  it("turns -1 prices and -1/-2/MAX computation values into null, keeps a zero bid, sizes from TICK_SIZE", () => {
    const ticks = new TickSet();
    ticks.prices.set(1, 0);
    ticks.prices.set(2, -1);
    ticks.sizes.set(0, 7);
    ticks.sizes.set(3, 0);
    ticks.sizes.set(28, 1234);
    ticks.computations.set(
      13,
      cleanComputation({
        impliedVolatility: -1,
        delta: -2,
        gamma: 0.01,
        vega: 1.7976931348623157e308,
        undPrice: 500,
      }),
    );
    const quote = readQuote(ticks);
    expect(quote.bid).toBe(0);
    expect(quote.bidSize).toBe(7);
    expect(quote.ask).toBeNull();
    expect(quote.askSize).toBeNull();
    expect(quote.openInterest).toBe(1234);
    expect(quote.computation).toMatchObject({
      impliedVolatility: null,
      delta: null,
      gamma: 0.01,
      vega: null,
      underlyingPrice: 500,
    });
  });
});
