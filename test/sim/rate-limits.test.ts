import { EventName, SecType } from "@stoqey/ib";
import { afterEach, describe, expect, it } from "vitest";
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

describe("simulated gateway: IB's limits", () => {
  let sim: Simulator | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await sim?.close();
    client = undefined;
    sim = undefined;
  });

  it("answers messages beyond the rate with 100, and disconnects a client that keeps going", async () => {
    sim = await simulator({ rate: 10 });
    client = await connect(sim, 61);
    const times: number[] = [];
    client.api.on(EventName.currentTime, (time: number) => times.push(time));
    for (let i = 0; i < 15; i++) client.api.reqCurrentTime();
    await eventually(() => client?.infos.some((info) => info.code === 100) ?? false, 3000, "error 100");
    await sleep(100);
    expect(times.length).toBe(10);
    const disconnected = new Promise<void>((resolve) =>
      client?.api.once(EventName.disconnected, () => resolve()),
    );
    for (let i = 0; i < 40; i++) client.api.reqCurrentTime();
    await disconnected;
    client.assertNoDecodeErrors();
  });

  it("limits concurrent market-data lines with 101 and frees a line on cancel", async () => {
    sim = await simulator({ lines: 3 });
    client = await connect(sim, 62);
    for (const id of [701, 702, 703]) client.api.reqMktData(id, SPY, "", false, false);
    client.api.reqMktData(704, SPY, "", false, false);
    await waitForError(client, 704, 101);
    client.api.cancelMktData(701);
    const collector = collectTicks(client.api, 705);
    client.api.reqMktData(705, SPY, "", false, false);
    await eventually(() => collector.ticks.prices.has(4), 3000, "ticks on the freed line");
    collector.stop();
    expect(client.errors.some((error) => error.reqId === 705)).toBe(false);
    client.assertNoDecodeErrors();
  });

  it("rejects a duplicate ticker id with 322 and a cancel of an unknown id with 300", async () => {
    sim = await simulator();
    client = await connect(sim, 63);
    client.api.reqMktData(710, SPY, "", false, false);
    client.api.reqMktData(710, SPY, "", false, false);
    const duplicate = await waitForError(client, 710, 322);
    expect(duplicate.message).toContain("Duplicate ticker id");
    client.api.cancelMktData(711);
    await waitForError(client, 711, 300);
    client.assertNoDecodeErrors();
  });

  it("answers snapshots after the configured latency; Infinity lifts rate and line limits", async () => {
    sim = await simulator({ snapshotLatencyMs: 300, rate: Infinity, lines: Infinity });
    client = await connect(sim, 64);
    const started = Date.now();
    const collectors = Array.from({ length: 150 }, (_, index) => {
      const collector = collectTicks(client!.api, 800 + index);
      client!.api.reqMktData(800 + index, SPY, "", true, false);
      return collector;
    });
    await Promise.all(collectors.map((collector) => collector.ended));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(client.errors).toEqual([]);
    for (const collector of collectors) collector.stop();
  });
});
