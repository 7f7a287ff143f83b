import { describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import { parseFrames, rawClient } from "./raw-client.ts";
import { sleep } from "./helpers.ts";

/** One session of requests covering every answer type, returning the raw bytes the server sent. */
async function session(seed: number): Promise<Buffer> {
  const sim = await startSimulator({
    port: 0,
    seed,
    start: { date: "2026-01-14", timeEt: "14:05" },
    frozenClock: true,
    snapshotLatencyMs: 0,
    historicalLatencyMs: 0,
  });
  try {
    const client = await rawClient(sim.port, { clientId: 5 });
    const option = sim.market.chain("PLTR", "2026-01-14")[60];
    const requests: (string | number)[][] = [
      [49, 1],
      [78, 10, "SPY", "", "STK", 756733],
      [9, 8, 11, "", "TSLA", "OPT", "20260123", "", "C", "", "SMART", "", "USD", "", "", "", "", "", ""],
      [1, 11, 12, option?.conId ?? 0, "", "", "", "", "", "", "SMART", "", "", "", "", 0, "", 1, 0, ""],
      [
        1,
        11,
        13,
        0,
        "SPY",
        "STK",
        "",
        "",
        "",
        "",
        "SMART",
        "",
        "USD",
        "",
        "",
        0,
        "100,101,104,106",
        0,
        0,
        "",
      ],
      [
        20,
        14,
        option?.conId ?? 0,
        "",
        "",
        "",
        "",
        "",
        "",
        "SMART",
        "",
        "",
        "",
        "",
        0,
        "",
        "1 day",
        "5 D",
        1,
        "MIDPOINT",
        1,
        0,
        "",
      ],
    ];
    for (const request of requests) {
      client.send(request);
      await sleep(60);
    }
    await sleep(200);
    client.close();
    return client.received();
  } finally {
    await sim.close();
  }
}

describe("simulated gateway determinism", () => {
  it("gives byte-identical answers for the same seed, date and time", async () => {
    const first = await session(3);
    const second = await session(3);
    expect(first.length).toBeGreaterThan(10_000);
    expect(second.equals(first)).toBe(true);
    const ids = new Set(parseFrames(first).map((fields) => fields[0]));
    for (const id of ["49", "75", "10", "52", "1", "2", "21", "57", "17", "45"]) expect(ids).toContain(id);
  });

  it("gives a different market for another seed", async () => {
    const other = await session(4);
    const first = await session(3);
    expect(other.equals(first)).toBe(false);
  });
});
