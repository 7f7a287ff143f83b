import { EventName } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/sim/protocol/framing.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { connect, eventually, simulator, sleep, type TestClient } from "./helpers.ts";
import { parseFrames, rawClient } from "./raw-client.ts";

/** A small deterministic PRNG so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe("simulated gateway under hostile input", () => {
  let sim: Simulator;
  let witness: TestClient;
  beforeAll(async () => {
    sim = await simulator({ rate: Infinity });
    witness = await connect(sim, 90);
  });
  afterAll(async () => {
    witness.assertNoDecodeErrors();
    witness.close();
    await sim.close();
  });

  /** The well-behaved client still gets prompt answers. */
  async function witnessAnswers(): Promise<void> {
    const time = new Promise<number>((resolve) => witness.api.once(EventName.currentTime, resolve));
    witness.api.reqCurrentTime();
    expect(await time).toBeGreaterThan(0);
  }

  it("survives random frames and random field contents", async () => {
    const random = prng(42);
    const client = await rawClient(sim.port, { clientId: 91 });
    for (let i = 0; i < 300; i++) {
      const fieldCount = Math.floor(random() * 25);
      const fields = Array.from({ length: fieldCount }, () => {
        const kind = random();
        if (kind < 0.3) return String(Math.floor(random() * 100));
        if (kind < 0.5) return "";
        if (kind < 0.7) return String(random() * 1e12 - 5e11);
        return Buffer.from(
          Array.from({ length: Math.floor(random() * 12) }, () => 1 + Math.floor(random() * 254)),
        ).toString("latin1");
      });
      if (random() < 0.5) fields[0] = String([1, 2, 8, 9, 20, 25, 49, 59, 78][Math.floor(random() * 9)]);
      client.send(fields);
    }
    await sleep(300);
    await witnessAnswers();
    client.close();
  });

  it("answers a message with too few fields with an error and keeps the connection", async () => {
    const client = await rawClient(sim.port, { clientId: 92 });
    client.send([1, 11, 500]);
    client.send([49, 1]);
    await eventually(
      () => parseFrames(client.received()).some((fields) => fields[0] === "49"),
      3000,
      "current time after the bad message",
    );
    const errors = parseFrames(client.received()).filter(
      (fields) => fields[0] === "4" && fields[3] === "320",
    );
    expect(errors.length).toBe(1);
    client.close();
  });

  it("closes a connection that announces an absurd frame length or skips the handshake", async () => {
    const absurd = await rawClient(sim.port, { clientId: 93 });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xfffffff0);
    absurd.sendBytes(header);
    await absurd.closed;
    const noHandshake = await rawClient(sim.port, { handshake: false });
    noHandshake.sendBytes(encodeFrame([49, 1]));
    await noHandshake.closed;
    const randomBytes = await rawClient(sim.port, { handshake: false });
    randomBytes.sendBytes(Buffer.from([0x41, 0x50, 0x49, 0x00, 0xff, 0xff, 0xff, 0xff]));
    await randomBytes.closed;
    await witnessAnswers();
  });

  it("disconnects a client that stops reading without stalling the others", async () => {
    const stalled = await rawClient(sim.port, { clientId: 94, read: false });
    const before = sim.connections();
    // Each whole-chain contract-details answer is about 2 MB.
    for (let i = 0; i < 8; i++)
      stalled.send([
        9,
        8,
        100 + i,
        "",
        "SPY",
        "OPT",
        "",
        "",
        "",
        "",
        "SMART",
        "",
        "USD",
        "",
        "",
        "",
        "",
        "",
        "",
      ]);
    await witnessAnswers();
    await eventually(() => sim.connections() < before, 10_000, "the stalled client to be disconnected");
    await witnessAnswers();
    stalled.close();
  });
});
