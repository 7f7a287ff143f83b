import { EventName, OptionType, SecType, WhatToShow, BarSizeSetting } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OptionContract } from "../../src/sim/market/option-contracts.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { connect, simulator, waitForError, type TestClient } from "./helpers.ts";

const TODAY = "2026-01-14";

interface Bar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

function bars(client: TestClient, reqId: number, request: () => void): Promise<Bar[]> {
  return new Promise((resolve) => {
    const found: Bar[] = [];
    const listener = (
      id: number,
      date: string,
      open: number,
      high: number,
      low: number,
      close: number,
      volume: number,
    ) => {
      if (id !== reqId) return;
      if (date.startsWith("finished")) {
        client.api.off(EventName.historicalData, listener);
        resolve(found);
        return;
      }
      found.push({ date, open, high, low, close, volume });
    };
    client.api.on(EventName.historicalData, listener);
    request();
  });
}

describe("simulated gateway: historical daily bars", () => {
  let sim: Simulator;
  let client: TestClient;
  let option: OptionContract;
  beforeAll(async () => {
    sim = await simulator({ historicalPacing: { perTenMinutes: 10 }, historicalLatencyMs: 200 });
    client = await connect(sim, 51);
    const expiry = sim.market.expirations("TSLA", TODAY).find((date) => date > "2026-03-01") as string;
    const spot = sim.market.spot("TSLA", sim.clock.now());
    option = sim.market
      .chain("TSLA", TODAY)
      .filter((c) => c.expiry === expiry && c.right === "P")
      .reduce((best, c) => (Math.abs(c.strike - spot) < Math.abs(best.strike - spot) ? c : best));
  });
  afterAll(async () => {
    client.assertNoDecodeErrors();
    client.close();
    await sim.close();
  });

  it("serves TRADES bars of a stock matching the model", async () => {
    const received = await bars(client, 501, () =>
      client.api.reqHistoricalData(
        501,
        { symbol: "SPY", secType: SecType.STK, exchange: "SMART", currency: "USD" },
        "",
        "10 D",
        BarSizeSetting.DAYS_ONE,
        WhatToShow.TRADES,
        1,
        1,
        false,
      ),
    );
    const model = sim.market.dailyBars({ symbol: "SPY" }, "TRADES", "2026-01-05", TODAY);
    expect(received.map((bar) => bar.date)).toEqual(model.map((bar) => bar.date.replaceAll("-", "")));
    expect(received.at(-1)?.close).toBe(model.at(-1)?.close);
    expect(
      received.every(
        (bar) => bar.low <= bar.open && bar.open <= bar.high && bar.low <= bar.close && bar.close <= bar.high,
      ),
    ).toBe(true);
  });

  it.each([WhatToShow.MIDPOINT, WhatToShow.BID_ASK, WhatToShow.OPTION_IMPLIED_VOLATILITY, WhatToShow.TRADES])(
    "serves %s bars of a listed option",
    async (whatToShow) => {
      const reqId =
        510 +
        [
          WhatToShow.MIDPOINT,
          WhatToShow.BID_ASK,
          WhatToShow.OPTION_IMPLIED_VOLATILITY,
          WhatToShow.TRADES,
        ].indexOf(whatToShow);
      const received = await bars(client, reqId, () =>
        client.api.reqHistoricalData(
          reqId,
          { conId: option.conId, exchange: "SMART" },
          "20260113 23:59:59 US/Eastern",
          "2 W",
          BarSizeSetting.DAYS_ONE,
          whatToShow,
          1,
          1,
          false,
        ),
      );
      expect(received.length).toBeGreaterThan(5);
      expect(received.at(-1)?.date).toBe("20260113");
      if (whatToShow === WhatToShow.OPTION_IMPLIED_VOLATILITY) expect(received[0]?.close).toBeLessThan(2);
      else expect(received[0]?.close).toBeGreaterThan(0);
    },
  );

  it("answers an expired option with 162 and a cancel with 162 'query cancelled'", async () => {
    const expired = sim.market
      .chain("TSLA", "2026-01-02")
      .find((c) => c.expiry === "2026-01-09") as OptionContract;
    client.api.reqHistoricalData(
      520,
      { conId: expired.conId, exchange: "SMART" },
      "",
      "5 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    await waitForError(client, 520, 162);
    client.api.reqHistoricalData(
      521,
      { symbol: "TSLA", secType: SecType.STK, exchange: "SMART", currency: "USD" },
      "",
      "3 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.MIDPOINT,
      1,
      1,
      false,
    );
    client.api.cancelHistoricalData(521);
    const cancelled = await waitForError(client, 521, 162);
    expect(cancelled.message).toContain("cancelled");
  });

  it("rejects an option that does not exist with 200", async () => {
    client.api.reqHistoricalData(
      540,
      {
        symbol: "TSLA",
        secType: SecType.OPT,
        lastTradeDateOrContractMonth: "20260116",
        strike: 3.5,
        right: OptionType.Call,
        exchange: "SMART",
        currency: "USD",
      },
      "",
      "5 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    await waitForError(client, 540, 200);
  });

  it("enforces historical pacing with 162", async () => {
    const contract = { symbol: "PLTR", secType: SecType.STK, exchange: "SMART", currency: "USD" };
    client.api.reqHistoricalData(
      530,
      contract,
      "",
      "4 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    client.api.reqHistoricalData(
      531,
      contract,
      "",
      "4 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    const violation = await waitForError(client, 531, 162);
    // Nine requests so far; the tenth in ten minutes is the last one allowed.
    client.api.reqHistoricalData(
      532,
      { ...contract, symbol: "TSLA" },
      "",
      "4 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    client.api.reqHistoricalData(
      533,
      contract,
      "",
      "5 D",
      BarSizeSetting.DAYS_ONE,
      WhatToShow.TRADES,
      1,
      1,
      false,
    );
    await waitForError(client, 533, 162);
    expect(client.errors.some((error) => error.reqId === 532)).toBe(false);
    expect(violation.message).toContain("pacing violation");
  });
});
