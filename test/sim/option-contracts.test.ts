import { EventName, OptionType, SecType, type Contract, type ContractDetails } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/sim/server.ts";
import { connect, emitterOf, simulator, waitForError, type TestClient } from "./helpers.ts";

const TODAY = "2026-01-14";

function contractDetails(client: TestClient, reqId: number, contract: Contract): Promise<ContractDetails[]> {
  return new Promise((resolve) => {
    const found: ContractDetails[] = [];
    const onDetails = (id: number, details: ContractDetails) => {
      if (id === reqId) found.push(details);
    };
    const onEnd = (id: number) => {
      if (id !== reqId) return;
      client.api.off(EventName.contractDetails, onDetails);
      client.api.off(EventName.contractDetailsEnd, onEnd);
      resolve(found);
    };
    client.api.on(EventName.contractDetails, onDetails);
    client.api.on(EventName.contractDetailsEnd, onEnd);
    client.api.reqContractDetails(reqId, contract);
  });
}

interface ChainRow {
  exchange: string;
  underlyingConId: number;
  tradingClass: string;
  multiplier: number;
  expirations: string[];
  strikes: number[];
}

function chainParameters(
  client: TestClient,
  reqId: number,
  symbol: string,
  conId: number,
): Promise<ChainRow[]> {
  return new Promise((resolve) => {
    const rows: ChainRow[] = [];
    const onRow = (
      id: number,
      exchange: string,
      underlyingConId: number,
      tradingClass: string,
      multiplier: number,
      expirations: string[],
      strikes: number[],
    ) => {
      if (id === reqId)
        rows.push({ exchange, underlyingConId, tradingClass, multiplier, expirations, strikes });
    };
    const onEnd = (id: number) => {
      if (id !== reqId) return;
      emitterOf(client.api).off(EventName.securityDefinitionOptionParameter, onRow);
      client.api.off(EventName.securityDefinitionOptionParameterEnd, onEnd);
      resolve(rows);
    };
    emitterOf(client.api).on(EventName.securityDefinitionOptionParameter, onRow);
    client.api.on(EventName.securityDefinitionOptionParameterEnd, onEnd);
    client.api.reqSecDefOptParams(reqId, symbol, "", "STK", conId);
  });
}

describe("simulated gateway: contracts and chains", () => {
  let sim: Simulator;
  let client: TestClient;
  beforeAll(async () => {
    sim = await simulator();
    client = await connect(sim, 21);
  });
  afterAll(async () => {
    client.assertNoDecodeErrors();
    client.close();
    await sim.close();
  });

  it.each([
    ["SPY", 756733],
    ["PLTR", 444857009],
    ["TSLA", 76792991],
  ])(
    "lists the %s chain parameters once per exchange, SMART included, strikes the union over expiries",
    async (symbol, conId) => {
      const rows = await chainParameters(client, 100 + (conId % 97), symbol, conId);
      expect(rows.length).toBeGreaterThan(5);
      const smart = rows.find((row) => row.exchange === "SMART");
      expect(smart).toBeDefined();
      expect(smart?.underlyingConId).toBe(conId);
      expect(smart?.tradingClass).toBe(symbol);
      expect(smart?.multiplier).toBe(100);
      const model = sim.market.chainParameters(symbol, TODAY)[0];
      expect(smart?.expirations).toEqual(model?.expirations.map((date) => date.replaceAll("-", "")));
      expect(smart?.strikes).toEqual(model?.strikes);
      // The union over expiries contains pairs that do not exist: some expiry lacks some strike.
      const expiries = sim.market.expirations(symbol, TODAY);
      const missing = expiries.some(
        (expiry) => sim.market.strikes(symbol, expiry, TODAY).length < (smart?.strikes.length ?? 0),
      );
      expect(missing).toBe(true);
    },
  );

  it("SPY lists daily expiries; PLTR and TSLA weeklies, monthlies, quarterlies and January LEAPS", () => {
    const spy = sim.market.expirations("SPY", TODAY);
    expect(spy.slice(0, 5)).toEqual(["2026-01-14", "2026-01-15", "2026-01-16", "2026-01-20", "2026-01-21"]);
    const tsla = sim.market.expirations("TSLA", TODAY);
    expect(tsla).toContain("2026-01-16"); // monthly (third Friday)
    expect(tsla).toContain("2026-01-23"); // weekly
    expect(tsla).not.toContain("2026-01-15"); // no dailies
    expect(tsla).toContain("2026-06-18"); // June quarterly: Friday 19th is Juneteenth, so Thursday
    expect(tsla).toContain("2027-01-15"); // LEAPS
    expect(tsla).toContain("2028-01-21"); // LEAPS
  });

  it("returns a whole expiry and right when the strike is unset, matching the model chain", async () => {
    const expiry = sim.market.expirations("TSLA", TODAY)[2] as string;
    const details = await contractDetails(client, 201, {
      symbol: "TSLA",
      secType: SecType.OPT,
      lastTradeDateOrContractMonth: expiry.replaceAll("-", ""),
      right: OptionType.Put,
      exchange: "SMART",
      currency: "USD",
    });
    const model = sim.market
      .chain("TSLA", TODAY)
      .filter((contract) => contract.expiry === expiry && contract.right === "P");
    expect(details.map((detail) => detail.contract.conId)).toEqual(model.map((contract) => contract.conId));
    const first = details[0] as ContractDetails;
    expect(first.contract.lastTradeDate).toBe(expiry.replaceAll("-", ""));
    expect(first.realExpirationDate).toBe(expiry.replaceAll("-", ""));
    expect(first.contract.multiplier).toBe(100);
    expect(first.contract.tradingClass).toBe("TSLA");
    expect(first.underConId).toBe(76792991);
    expect(first.minTick).toBe(0.01);
  });

  it("finds an option by conId, stocks by symbol and VIX as an index", async () => {
    const contract = sim.market.chain("SPY", TODAY)[40];
    const [byConId] = await contractDetails(client, 202, { conId: contract?.conId, exchange: "SMART" });
    expect(byConId?.contract.localSymbol).toBe(contract?.localSymbol);
    expect(byConId?.contract.strike).toBe(contract?.strike);
    const [spy] = await contractDetails(client, 203, {
      symbol: "SPY",
      secType: SecType.STK,
      exchange: "SMART",
      currency: "USD",
    });
    expect(spy?.contract.conId).toBe(756733);
    expect(spy?.stockType).toBe("ETF");
    const [vix] = await contractDetails(client, 204, {
      symbol: "VIX",
      secType: SecType.IND,
      exchange: "CBOE",
      currency: "USD",
    });
    expect(vix?.contract.conId).toBe(13455763);
  });

  it("lists new expiries and strikes and drops expired ones as simulated weeks pass; conIds stay the same", async () => {
    const before = await chainParameters(client, 301, "TSLA", 76792991);
    const smartBefore = before.find((row) => row.exchange === "SMART") as ChainRow;
    const start = sim.clock.now();
    sim.clock.set(new Date(start.getTime() + 21 * 86_400_000));
    try {
      const after = await chainParameters(client, 302, "TSLA", 76792991);
      const smartAfter = after.find((row) => row.exchange === "SMART") as ChainRow;
      expect(smartAfter.expirations).not.toContain("20260116");
      expect(smartAfter.expirations.some((expiry) => !smartBefore.expirations.includes(expiry))).toBe(true);
      const kept = sim.market.chain("TSLA", TODAY).filter((c) => c.expiry === "2026-03-20");
      const later = sim.market.chain("TSLA", "2026-02-04").filter((c) => c.expiry === "2026-03-20");
      for (const contract of kept)
        expect(later.find((c) => c.conId === contract.conId)?.strike).toBe(contract.strike);
      expect(later.length).toBeGreaterThanOrEqual(kept.length);
    } finally {
      sim.clock.set(start);
    }
  });

  it("answers an unknown contract or a strike that does not exist with 200", async () => {
    client.api.reqContractDetails(205, {
      symbol: "NOPE",
      secType: SecType.STK,
      exchange: "SMART",
      currency: "USD",
    });
    await waitForError(client, 205, 200);
    client.api.reqContractDetails(206, {
      symbol: "SPY",
      secType: SecType.OPT,
      lastTradeDateOrContractMonth: "20260116",
      strike: 590.5,
      right: OptionType.Call,
      exchange: "SMART",
    });
    await waitForError(client, 206, 200);
    client.api.reqSecDefOptParams(207, "NOPE", "", "STK", 1);
    await waitForError(client, 207, 200);
    client.api.reqSecDefOptParams(208, "SPY", "", "STK", 0);
    await waitForError(client, 208, 321);
  });
});
