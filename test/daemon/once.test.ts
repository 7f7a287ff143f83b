import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CollectorProbe, startDaemon, testConfig, testPlan, useEmbeddedDaemon } from "./harness.ts";

describe("one pass of the daemon (`chainvault daemon --once`)", () => {
  const fixture = useEmbeddedDaemon({ date: "2026-03-09", timeEt: "16:45" });

  it("runs what is due now and returns once it has finished", { timeout: 60_000 }, async () => {
    const clock = new ManualClock(new Date("2026-03-09T20:44:00Z")); // 16:44 ET
    const probe = new CollectorProbe();
    const daemon = await startDaemon({
      ...fixture.handle,
      clock,
      plan: testPlan(),
      collect: probe.collectFor(fixture.handle.db, testConfig(fixture.sim.port, 41)),
      daemonId: "once",
    });
    try {
      await daemon.scheduler.tick();
      clock.set(new Date("2026-03-09T20:45:00Z")); // the EOD slot
      const tick = await daemon.runDue(new AbortController().signal, 50);
      expect(tick.queued.map((slot) => `${slot.type}:${slot.symbol}:${slot.date}`)).toContain(
        "eod:SPY:2026-03-09",
      );
      expect(await daemon.queue.unfinished()).toBe(0);
      expect(probe.collected.get("eod:SPY:2026-03-09")).toBe(1);
    } finally {
      await daemon.stop(30_000);
    }
  });
});
