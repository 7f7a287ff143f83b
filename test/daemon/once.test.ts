import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import { etInstant } from "../../src/calendar/index.ts";
import { daemonExitCode, failureLine, runDaemon } from "../../src/cli/daemon.ts";
import { EXIT_FAILURES_FOUND, EXIT_OK } from "../../src/cli/exit-codes.ts";
import { ManualClock } from "../../src/core/clock.ts";
import type { FaultConfig } from "../../src/sim/faults.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { createServerDatabase } from "../helpers/db.ts";
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

/**
 * `chainvault daemon --once` as cron runs it (src/cli/daemon.ts runDaemon, on a manual clock): its exit code
 * says whether a slot it ran failed. A fresh server database and a simulator per pass, each started on the
 * day under test; every slot but the EOD is switched off, so each pass runs exactly one.
 */
describe("`chainvault daemon --once` exit code", () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let dir: string;
  beforeAll(async () => {
    database = await createServerDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-once-"));
  });
  afterAll(async () => {
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function pass(date: string, faults: Partial<FaultConfig>) {
    const sim = await startSimulator({
      port: 0,
      start: { date, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    sim.faults.set(faults);
    const off = { enabled: false };
    const tier = { range: 0.01, min_strikes: 1 };
    const configFile = path.join(dir, `chainvault-${date}.yaml`);
    fs.writeFileSync(
      configFile,
      stringifyYaml({
        symbols: ["SPY"],
        database: { url: database.url },
        ib: { port: sim.port, client_id: 51 },
        selection: { max_days_to_expiry: 1, tiers: { low_iv: tier, normal_iv: tier, high_iv: tier } },
        collect: { include_vix: false, connect_attempts: 2 },
        schedule: {
          timezone: "America/New_York",
          ...Object.fromEntries(
            ["pre_market", "analytics", "weekly_discovery", "pre_expiry", "settlement", "monthly_discovery"]
              .concat([
                "expiry_processing",
                "post_expiry",
                "gap_check",
                "weekend_review",
                "weekend_prep",
                "backup",
                "archive",
              ])
              .map((slot) => [slot, off]),
          ),
        },
        // No retry: a failed attempt is final, so the pass ends within seconds.
        daemon: { retry_limit: 0, first_start_lookback_hours: 1, shutdown_grace_seconds: 30 },
        log: { level: "fatal" },
      }),
    );
    const clock = new ManualClock(etInstant(date, "16:45"));
    clock.set(new Date(clock.now().getTime() + 30_000));
    try {
      const result = await runDaemon({ once: true, config: configFile }, new Promise(() => undefined), clock);
      return { result, code: daemonExitCode(result) };
    } finally {
      await sim.close();
    }
  }

  it(
    "exits 3 naming the slot when the gateway refuses market data, then 0 for a night that completes",
    { timeout: 120_000 },
    async () => {
      // Every market-data request fails with 10197 (a competing live session): the EOD fails, no retry left.
      const failed = await pass("2026-03-10", { competingSession: true });
      expect(failed.code).toBe(EXIT_FAILURES_FOUND);
      expect(failed.code).toBe(3);
      expect(failed.result.outcome).toBe("stopped");
      expect(failed.result.failed).toEqual([
        expect.objectContaining({ key: "eod:SPY:2026-03-10", outcome: "failed", error: expect.any(String) }),
      ]);
      expect(failureLine(failed.result.failed)).toMatch(
        /^1 slot did not complete: eod:SPY:2026-03-10 failed \(/,
      );

      // The failure above is in the past: the next night's pass judges only what it ran.
      const completed = await pass("2026-03-11", {});
      expect(completed.result.failed).toEqual([]);
      expect(completed.code).toBe(EXIT_OK);
      const runs = await runsOn(database.url);
      expect(runs).toEqual([
        { slot_key: "eod:SPY:2026-03-10", outcome: "failed" },
        { slot_key: "eod:SPY:2026-03-11", outcome: "completed" },
      ]);
    },
  );
});

async function runsOn(url: string): Promise<{ slot_key: string; outcome: string }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ slot_key: string; outcome: string }>(
      "SELECT slot_key, outcome FROM daemon_slot_runs ORDER BY slot_key, id",
    );
    return result.rows;
  } finally {
    await client.end();
  }
}
