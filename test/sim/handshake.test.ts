import { EventName } from "@stoqey/ib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { connect, eventually, simulator, waitFor } from "./helpers.ts";

describe("simulated gateway handshake", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await simulator();
  });
  afterAll(() => sim.close());

  it("negotiates version 193, sends accounts, a valid id and the farm notices", async () => {
    const client = await connect(sim, 11);
    try {
      expect(client.api.serverVersion).toBe(193);
      await eventually(() => client.infos.some((info) => info.code === 2158), 5000, "notice 2158");
      const codes = client.infos.map((info) => info.code);
      expect(codes).toEqual(expect.arrayContaining([2104, 2106, 2158]));
      client.assertNoDecodeErrors();
    } finally {
      client.close();
    }
  });

  it("answers REQ_CURRENT_TIME with the simulated clock and REQ_IDS with NEXT_VALID_ID", async () => {
    const client = await connect(sim, 12);
    try {
      const time = waitFor<[number]>(client.api, EventName.currentTime);
      client.api.reqCurrentTime();
      const [seconds] = await time;
      const expected = etInstant("2026-01-14", "11:00").getTime() / 1000;
      expect(seconds).toBeGreaterThanOrEqual(expected);
      expect(seconds).toBeLessThan(expected + 60);
      const ids = waitFor<[number]>(client.api, EventName.nextValidId);
      client.api.reqIds(1);
      expect((await ids)[0]).toBeGreaterThan(0);
      client.assertNoDecodeErrors();
    } finally {
      client.close();
    }
  });

  it("follows clock.set: tests move simulated time by weeks", async () => {
    const client = await connect(sim, 13);
    try {
      const later = etInstant("2026-02-20", "15:00");
      sim.clock.set(later);
      const time = waitFor<[number]>(client.api, EventName.currentTime);
      client.api.reqCurrentTime();
      const [seconds] = await time;
      expect(Math.abs(seconds - later.getTime() / 1000)).toBeLessThan(5);
    } finally {
      sim.clock.set(etInstant("2026-01-14", "11:00"));
      client.close();
    }
  });
});
