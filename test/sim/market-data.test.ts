import { EventName, MarketDataType, OptionType, SecType, type Contract } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OptionContract } from "../../src/sim/market/option-contracts.ts";
import type { Simulator } from "../../src/sim/server.ts";
import {
  collectTicks,
  connect,
  eventually,
  simulator,
  sleep,
  waitForError,
  type TestClient,
} from "./helpers.ts";

const TODAY = "2026-01-14";

function optionContract(contract: OptionContract): Contract {
  return { conId: contract.conId, exchange: "SMART" };
}

describe("simulated gateway: market data", () => {
  let sim: Simulator;
  let client: TestClient;
  let nearMoney: OptionContract;
  beforeAll(async () => {
    sim = await simulator({ snapshotLatencyMs: 5, streamIntervalMs: 50 });
    client = await connect(sim, 31);
    const spot = sim.market.spot("TSLA", sim.clock.now());
    const expiry = sim.market.expirations("TSLA", TODAY)[3] as string;
    nearMoney = sim.market
      .chain("TSLA", TODAY)
      .filter((contract) => contract.expiry === expiry && contract.right === "C")
      .reduce((best, contract) =>
        Math.abs(contract.strike - spot) < Math.abs(best.strike - spot) ? contract : best,
      );
  });
  afterAll(async () => {
    client.assertNoDecodeErrors();
    client.close();
    await sim.close();
  });

  it("answers an option snapshot with quotes, sizes and the four option computations matching the model", async () => {
    const collector = collectTicks(client.api, 301);
    client.api.reqMktData(301, optionContract(nearMoney), "", true, false);
    await collector.ended;
    collector.stop();
    const { ticks } = collector;
    expect(ticks.marketDataType).toBe(1);
    const quote = sim.market.optionQuote(nearMoney, sim.clock.now());
    expect(ticks.prices.get(1)).toBe(quote.bid);
    expect(ticks.prices.get(2)).toBe(quote.ask);
    expect(ticks.prices.get(9)).toBe(quote.close);
    expect(ticks.sizes.get(3)).toBe(quote.askSize);
    expect(ticks.sizes.get(8)).toBe(quote.volume);
    expect(ticks.strings.has(45)).toBe(true);
    const model = ticks.computations.get(13);
    expect(model?.iv).toBeCloseTo(quote.model.impliedVol, 6);
    expect(model?.delta).toBeCloseTo(quote.model.delta, 6);
    expect(model?.gamma).toBeCloseTo(quote.model.gamma, 6);
    expect(model?.vega).toBeCloseTo(quote.model.vega, 6);
    expect(model?.theta).toBeCloseTo(quote.model.theta, 6);
    expect(model?.undPrice).toBeCloseTo(quote.underlyingPrice, 4);
    for (const type of [10, 11, 12]) expect(ticks.computations.get(type)?.iv).toBeGreaterThan(0);
    // No generic ticks on a snapshot.
    expect(ticks.sizes.has(27)).toBe(false);
  });

  it("streams open interest and option volume with generic ticks 100/101 until cancelled", async () => {
    const collector = collectTicks(client.api, 302);
    client.api.reqMktData(302, optionContract(nearMoney), "100,101", false, false);
    await eventually(
      () => collector.ticks.sizes.has(27) && collector.ticks.sizes.has(29),
      3000,
      "OI and volume ticks",
    );
    expect(collector.ticks.sizes.get(27)).toBe(sim.market.openInterest(nearMoney, TODAY));
    expect(collector.ticks.sizes.get(27)).toBeGreaterThan(0);
    expect(collector.ticks.ended).toBe(false);
    client.api.cancelMktData(302);
    collector.stop();
  });

  it("streams the underlying with totals, historical and implied volatility (100/101/104/106)", async () => {
    const collector = collectTicks(client.api, 303);
    client.api.reqMktData(
      303,
      { symbol: "SPY", secType: SecType.STK, exchange: "SMART", currency: "USD" },
      "100,101,104,106",
      false,
      false,
    );
    await eventually(
      () => collector.ticks.generics.has(24) && collector.ticks.sizes.has(28),
      5000,
      "underlying generic ticks",
    );
    const quote = sim.market.underlyingQuote("SPY", sim.clock.now());
    expect(collector.ticks.prices.get(4)).toBe(quote.last);
    expect(collector.ticks.generics.get(23)).toBe(quote.historicalVol);
    expect(collector.ticks.generics.get(24)).toBe(quote.impliedVol);
    expect(collector.ticks.sizes.get(27)).toBeGreaterThan(1000);
    client.api.cancelMktData(303);
    collector.stop();
  });

  it("streams new quotes as simulated time moves", async () => {
    const collector = collectTicks(client.api, 308);
    const bids: number[] = [];
    const listener = (id: number, type: number, value: number) => {
      if (id === 308 && type === 1) bids.push(value);
    };
    client.api.on(EventName.tickPrice, listener);
    client.api.reqMktData(308, optionContract(nearMoney), "", false, false);
    await eventually(() => bids.length === 1, 3000, "first bid");
    const start = sim.clock.now();
    sim.clock.set(new Date(start.getTime() + 47 * 60_000));
    try {
      await eventually(() => bids.length >= 2, 3000, "an updated bid");
      expect(bids[1]).toBe(sim.market.optionQuote(nearMoney, sim.clock.now()).bid);
    } finally {
      sim.clock.set(start);
      client.api.off(EventName.tickPrice, listener);
      client.api.cancelMktData(308);
      collector.stop();
    }
  });

  it("quotes the VIX index without bid/ask", async () => {
    const collector = collectTicks(client.api, 304);
    client.api.reqMktData(
      304,
      { symbol: "VIX", secType: SecType.IND, exchange: "CBOE", currency: "USD" },
      "",
      true,
      false,
    );
    await collector.ended;
    collector.stop();
    expect(collector.ticks.prices.get(4)).toBeGreaterThan(5);
    expect(collector.ticks.prices.has(1)).toBe(false);
  });

  it("refuses generic ticks on a snapshot with 321 and an unknown contract with 200", async () => {
    client.api.reqMktData(305, optionContract(nearMoney), "101", true, false);
    await waitForError(client, 305, 321);
    client.api.reqMktData(
      306,
      {
        symbol: "TSLA",
        secType: SecType.OPT,
        lastTradeDateOrContractMonth: "20260116",
        strike: 1.5,
        right: OptionType.Call,
        exchange: "SMART",
        currency: "USD",
      },
      "",
      true,
      false,
    );
    await waitForError(client, 306, 200);
  });

  it("resolves a full description without conId", async () => {
    const collector = collectTicks(client.api, 307);
    client.api.reqMktData(
      307,
      {
        symbol: "TSLA",
        secType: SecType.OPT,
        lastTradeDateOrContractMonth: nearMoney.expiry.replaceAll("-", ""),
        strike: nearMoney.strike,
        right: OptionType.Call,
        multiplier: 100,
        exchange: "SMART",
        currency: "USD",
      },
      "",
      true,
      false,
    );
    await collector.ended;
    collector.stop();
    expect(collector.ticks.prices.get(2)).toBe(sim.market.optionQuote(nearMoney, sim.clock.now()).ask);
  });
});

describe("simulated gateway: market hours and data types", () => {
  let sim: Simulator;
  let client: TestClient;
  let contract: OptionContract;
  beforeAll(async () => {
    sim = await simulator({
      start: { date: "2026-01-14", timeEt: "18:30" },
      snapshotLatencyMs: 5,
      faults: { unsubscribedSymbols: ["PLTR"] },
    });
    client = await connect(sim, 32);
    contract = sim.market
      .chain("SPY", TODAY)
      .find(
        (c) =>
          c.expiry === "2026-01-16" &&
          c.strike === Math.round(sim.market.spot("SPY", sim.clock.now())) &&
          c.right === "P",
      ) as OptionContract;
  });
  afterAll(async () => {
    client.assertNoDecodeErrors();
    client.close();
    await sim.close();
  });

  it("after the close, live data has no bid/ask (-1) and no greeks", async () => {
    client.api.reqMarketDataType(MarketDataType.REALTIME);
    const collector = collectTicks(client.api, 401);
    client.api.reqMktData(401, optionContract(contract), "", true, false);
    await collector.ended;
    collector.stop();
    expect(collector.ticks.marketDataType).toBe(1);
    expect(collector.ticks.prices.get(1)).toBe(-1);
    expect(collector.ticks.prices.get(2)).toBe(-1);
    expect(collector.ticks.prices.get(9)).toBeGreaterThan(0);
    expect(collector.ticks.computations.size).toBe(0);
  });

  it("frozen data (type 2) returns the values at the close", async () => {
    client.api.reqMarketDataType(MarketDataType.FROZEN);
    await sleep(20);
    const collector = collectTicks(client.api, 402);
    client.api.reqMktData(402, optionContract(contract), "", true, false);
    await collector.ended;
    collector.stop();
    expect(collector.ticks.marketDataType).toBe(2);
    // SPY options close at 16:15; the quote is that of the last minute of the session.
    const atClose = sim.market.optionQuote(contract, new Date(Date.parse("2026-01-14T21:14:00Z")));
    expect(collector.ticks.prices.get(1)).toBe(atClose.bid);
    expect(collector.ticks.prices.get(2)).toBe(atClose.ask);
    expect(collector.ticks.computations.get(13)?.delta).toBeCloseTo(atClose.model.delta, 6);
  });

  it("a symbol without a subscription gets 354 on live/frozen data", async () => {
    client.api.reqMarketDataType(MarketDataType.FROZEN);
    client.api.reqMktData(
      403,
      { symbol: "PLTR", secType: SecType.STK, exchange: "SMART", currency: "USD" },
      "",
      true,
      false,
    );
    await waitForError(client, 403, 354);
  });

  it("and delayed data with 10167 on delayed-frozen (type 4), on the delayed tick ids", async () => {
    client.api.reqMarketDataType(MarketDataType.DELAYED_FROZEN);
    await sleep(20);
    const pltr = sim.market.chain("PLTR", TODAY)[100] as OptionContract;
    const collector = collectTicks(client.api, 404);
    client.api.reqMktData(404, optionContract(pltr), "", true, false);
    await collector.ended;
    collector.stop();
    await waitForError(client, 404, 10167);
    expect(collector.ticks.marketDataType).toBe(4);
    expect(collector.ticks.prices.has(66)).toBe(true);
    expect(collector.ticks.prices.has(1)).toBe(false);
    expect(collector.ticks.computations.has(83)).toBe(true);
  });
});
