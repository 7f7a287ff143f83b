import { ConnectionState, IBApiNextTickType, IBApiTickType, SecType, type IBApiNext } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OptionContract } from "../../src/sim/market/option-contracts.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { connectNext, simulator, type ClientError } from "./helpers.ts";

const TODAY = "2026-01-14";

describe("simulated gateway through IBApiNext", () => {
  let sim: Simulator;
  let next: IBApiNext;
  let errors: ClientError[];
  beforeAll(async () => {
    sim = await simulator({ snapshotLatencyMs: 5 });
    ({ next, errors } = connectNext(sim, 81));
    await new Promise<void>((resolve) => {
      const subscription = next.connectionState.subscribe((state) => {
        if (state !== ConnectionState.Connected) return;
        resolve();
        queueMicrotask(() => subscription.unsubscribe());
      });
    });
  });
  afterAll(async () => {
    expect(errors.filter((error) => error.code === 505)).toEqual([]);
    next.disconnect();
    await sim.close();
  });

  it("reads chain parameters, contract details and the current time", async () => {
    const rows = await next.getSecDefOptParams("PLTR", "", SecType.STK, 444857009);
    expect(rows.some((row) => row.exchange === "SMART" && row.tradingClass === "PLTR")).toBe(true);
    const details = await next.getContractDetails({
      symbol: "SPY",
      secType: SecType.OPT,
      lastTradeDateOrContractMonth: "20260116",
      exchange: "SMART",
      currency: "USD",
    });
    expect(details.length).toBe(
      sim.market.chain("SPY", TODAY).filter((c) => c.expiry === "2026-01-16").length,
    );
    await expect(
      next.getContractDetails({ symbol: "XYZ", secType: SecType.STK, exchange: "SMART", currency: "USD" }),
    ).rejects.toMatchObject({ code: 200 });
    expect(await next.getCurrentTime()).toBeGreaterThan(Date.parse("2026-01-14T00:00:00Z") / 1000);
  });

  it("resolves an option snapshot with bid/ask and model greeks equal to the model", async () => {
    const contract = sim.market.chain("SPY", TODAY)[300] as OptionContract;
    const data = await next.getMarketDataSnapshot({ conId: contract.conId, exchange: "SMART" }, "", false);
    const quote = sim.market.optionQuote(contract, sim.clock.now());
    expect(data.get(IBApiTickType.BID)?.value).toBe(quote.bid);
    expect(data.get(IBApiTickType.ASK)?.value).toBe(quote.ask);
    expect(data.get(IBApiNextTickType.MODEL_OPTION_DELTA)?.value).toBeCloseTo(quote.model.delta, 6);
    expect(data.get(IBApiNextTickType.MODEL_OPTION_IV)?.value).toBeCloseTo(quote.model.impliedVol, 6);
  });

  it("rejects a snapshot with generic ticks (321)", async () => {
    await expect(
      next.getMarketDataSnapshot(
        { symbol: "SPY", secType: SecType.STK, exchange: "SMART", currency: "USD" },
        "101",
        false,
      ),
    ).rejects.toMatchObject({ code: 321 });
  });
});
