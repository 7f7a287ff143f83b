import { EventName, IBApi, SecType } from "@stoqey/ib";
import { afterEach, describe, expect, it } from "vitest";
import { parseFaultConfig } from "../../src/sim/faults.ts";
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

const SPY = { symbol: "SPY", secType: SecType.STK, exchange: "SMART", currency: "USD" };
const TSLA = { symbol: "TSLA", secType: SecType.STK, exchange: "SMART", currency: "USD" };

function disconnected(client: TestClient): Promise<void> {
  return new Promise((resolve) => client.api.once(EventName.disconnected, () => resolve()));
}

describe("simulated gateway: faults on demand", () => {
  let sim: Simulator | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await sim?.close();
    sim = undefined;
  });
  const open = async (clientId: number) => {
    const client = await connect(sim as Simulator, clientId);
    clients.push(client);
    return client;
  };

  it("drops the connection mid-stream, by control call and after N messages", async () => {
    sim = await simulator({ streamIntervalMs: 20 });
    const first = await open(71);
    const gone = disconnected(first);
    first.api.reqMktData(1, SPY, "", false, false);
    await sleep(50);
    sim.faults.dropConnections();
    await gone;
    sim.faults.set({ dropAfterMessages: 12 });
    const second = await open(72);
    const secondGone = disconnected(second);
    const collector = collectTicks(second.api, 2);
    second.api.reqMktData(2, SPY, "", false, false);
    await secondGone;
    collector.stop();
    expect(collector.ticks.prices.size).toBeGreaterThan(0);
    second.assertNoDecodeErrors();
  });

  it("reports connectivity loss and restore (1100, 1102, 1101)", async () => {
    sim = await simulator();
    const client = await open(73);
    sim.faults.connectivityLost();
    await eventually(() => client.infos.some((info) => info.code === 1100), 3000, "1100");
    sim.faults.connectivityRestored(true);
    await eventually(() => client.infos.some((info) => info.code === 1102), 3000, "1102");
    sim.faults.connectivityLost();
    sim.faults.connectivityRestored(false);
    await eventually(() => client.infos.some((info) => info.code === 1101), 3000, "1101");
    client.assertNoDecodeErrors();
  });

  it("answers market data with 10197 during a competing session and 354 for a failing symbol", async () => {
    sim = await simulator();
    const client = await open(74);
    sim.faults.set({ competingSession: true });
    client.api.reqMktData(3, SPY, "", true, false);
    await waitForError(client, 3, 10197);
    sim.faults.set({ competingSession: undefined, unsubscribedSymbols: ["TSLA"] });
    client.api.reqMktData(4, TSLA, "", true, false);
    await waitForError(client, 4, 354);
    const collector = collectTicks(client.api, 5);
    client.api.reqMktData(5, SPY, "", true, false);
    await collector.ended;
    collector.stop();
    client.assertNoDecodeErrors();
  });

  it("leaves snapshots unanswered or slow on demand", async () => {
    sim = await simulator({ snapshotLatencyMs: 1 });
    const client = await open(75);
    sim.faults.set({ unansweredSnapshotSymbols: ["SPY"] });
    const never = collectTicks(client.api, 6);
    client.api.reqMktData(6, SPY, "", true, false);
    sim.faults.set({ snapshotLatencyMs: 400 });
    const slow = collectTicks(client.api, 7);
    const started = Date.now();
    client.api.reqMktData(7, TSLA, "", true, false);
    await slow.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(never.ticks.ended).toBe(false);
    expect(never.ticks.marketDataType).toBe(1);
    never.stop();
    slow.stop();
    client.assertNoDecodeErrors();
  });

  it("sends option computations as IB's 'not computed' values for greekless symbols, quotes as usual", async () => {
    sim = await simulator({ snapshotLatencyMs: 1, faults: { greeklessOptionSymbols: ["TSLA"] } });
    const client = await open(81);
    const today = "2026-01-14";
    const option = (symbol: string) => {
      const spot = sim!.market.spot(symbol, sim!.clock.now());
      const expiry = sim!.market.expirations(symbol, today)[2]!;
      return sim!.market
        .chain(symbol, today)
        .filter((contract) => contract.expiry === expiry && contract.right === "P")
        .reduce((best, contract) =>
          Math.abs(contract.strike - spot) < Math.abs(best.strike - spot) ? contract : best,
        );
    };
    const snapshot = async (reqId: number, conId: number) => {
      const collector = collectTicks(client.api, reqId);
      client.api.reqMktData(reqId, { conId, exchange: "SMART" }, "", true, false);
      await collector.ended;
      collector.stop();
      return collector.ticks;
    };
    const tsla = await snapshot(8, option("TSLA").conId);
    expect(tsla.prices.get(1)).toBeGreaterThan(0);
    expect(tsla.prices.get(2)).toBeGreaterThan(tsla.prices.get(1)!);
    for (const type of [10, 11, 12, 13]) {
      const computation = tsla.computations.get(type);
      expect(computation, `tick ${type}`).toBeDefined();
      expect(computation?.iv ?? -1).toBeLessThanOrEqual(0);
      expect(computation?.delta ?? -2).toBe(-2);
    }
    const spy = await snapshot(9, option("SPY").conId);
    expect(spy.computations.get(13)?.iv).toBeGreaterThan(0);
    sim.faults.set({ greeklessOptionSymbols: undefined });
    expect((await snapshot(10, option("TSLA").conId)).computations.get(13)?.iv).toBeGreaterThan(0);
    client.assertNoDecodeErrors();
  });

  it("sends malformed messages the client reports as decode errors (505)", async () => {
    sim = await simulator();
    const client = await open(76);
    sim.faults.sendMalformed();
    await eventually(() => client.errors.some((error) => error.code === 505), 3000, "505");
    // The connection survives and keeps working.
    const time = new Promise<number>((resolve) => client.api.once(EventName.currentTime, resolve));
    client.api.reqCurrentTime();
    expect(await time).toBeGreaterThan(0);
  });

  it("refuses a client id already in use with 326 and closes the socket", async () => {
    sim = await simulator({ faults: { clientIdsInUse: [99] } });
    await open(77);
    for (const clientId of [77, 99]) {
      const api = new IBApi({ host: sim.host, port: sim.port, clientId });
      const codes: number[] = [];
      api.on(EventName.info, (_message: string, code: number) => codes.push(code));
      api.on(EventName.error, (_error: Error, code: number) => codes.push(code));
      const closed = new Promise<void>((resolve) => api.once(EventName.disconnected, () => resolve()));
      api.connect(clientId);
      await closed;
      expect(codes).toContain(326);
    }
  });

  it("closes connections and refuses new ones during the nightly restart window", async () => {
    sim = await simulator({ start: { date: "2026-01-14", timeEt: "23:44" } });
    const client = await open(78);
    const gone = disconnected(client);
    sim.faults.set({ restartWindow: { startEt: "23:44", endEt: "00:30" } });
    await gone;
    const api = new IBApi({ host: sim.host, port: sim.port, clientId: 79 });
    let ready = false;
    api.once(EventName.nextValidId, () => (ready = true));
    const closed = new Promise<void>((resolve) => api.once(EventName.disconnected, () => resolve()));
    api.connect(79);
    await closed;
    expect(ready).toBe(false);
    sim.faults.set({ restartWindow: undefined });
    await open(80);
  });

  it("reads a faults file (YAML, snake_case)", () => {
    const config = parseFaultConfig(
      "unsubscribed_symbols: [pltr]\nsnapshot_latency_ms: 2000\ncompeting_session: true\ncrossed_quote_every: 7\nsilent_contract_every: 5\nrestart_window: { start_et: '23:45', end_et: '00:45' }\ngreekless_option_symbols: ['*']\n",
      "faults.yaml",
    );
    expect(config).toMatchObject({
      unsubscribedSymbols: ["PLTR"],
      snapshotLatencyMs: 2000,
      competingSession: true,
      crossedQuoteEvery: 7,
      silentContractEvery: 5,
      restartWindow: { startEt: "23:45", endEt: "00:45" },
      greeklessOptionSymbols: ["*"],
    });
    expect(() => parseFaultConfig("no_such_fault: 1\n", "faults.yaml")).toThrow(/faults.yaml/);
  });
});
