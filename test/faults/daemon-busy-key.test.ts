import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CollectionLocks } from "../../src/store/collection-lock.ts";
import { CollectorProbe, startDaemon, testConfig, testPlan, useEmbeddedDaemon } from "../daemon/harness.ts";
import { statusOf, storedQuotes } from "./checks.ts";
import { waitFor } from "./fixture.ts";

/**
 * The daemon's slot comes due while another run (a manual `collect`) holds its key: the attempt
 * fails naming the holder, pg-boss retries it with backoff, and once the key is free the retry collects
 * it — once, with one row per contract.
 */

const DAY = "2026-03-09";

describe("a daemon slot whose key another run holds", () => {
  const fixture = useEmbeddedDaemon({ date: DAY, timeEt: "16:45" });

  it(
    "is retried with backoff until the other run lets go, then collected once",
    { timeout: 60_000 },
    async () => {
      const { db } = fixture.handle;
      const clock = new ManualClock(new Date("2026-03-09T20:44:00Z")); // 16:44 ET
      const probe = new CollectorProbe();
      const daemon = await startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: probe.collectFor(db, testConfig(fixture.sim.port, 51)),
        daemonId: "busy-key",
      });
      const other = await CollectionLocks.open(db);
      try {
        const claim = await other.claim({ collectionDate: DAY, symbol: "SPY", collectionType: "eod" });
        expect(claim.held).toBe(true);
        await daemon.scheduler.tick();
        clock.set(new Date("2026-03-09T20:45:00Z")); // the EOD slot
        const due = daemon.runDue(new AbortController().signal, 50);

        const attempts = () =>
          db.query<{ outcome: string | null; detail: string | null }>(
            "SELECT outcome, detail FROM daemon_slot_runs WHERE slot_key = 'eod:SPY:2026-03-09' ORDER BY id",
          );
        await waitFor("the slot's first attempt to fail", async () =>
          (await attempts()).rows.some((row) => row.outcome === "failed"),
        );
        expect((await storedQuotes(db, { symbol: "SPY", date: DAY })).rows).toBe(0);
        await other.close(); // the other run finishes
        await due;

        const outcomes = (await attempts()).rows;
        expect(outcomes[0]).toMatchObject({ outcome: "failed" });
        expect(outcomes[0]!.detail).toMatch(
          new RegExp(
            `SPY eod ${DAY} is being collected by another run \\(process ${process.pid} on .*; retried with backoff$`,
          ),
        );
        expect(outcomes.at(-1)).toMatchObject({ outcome: "completed", detail: "completed" });
        expect(outcomes.filter((row) => row.outcome === "completed")).toHaveLength(1);
        const stored = await storedQuotes(db, { symbol: "SPY", date: DAY });
        expect(stored.rows).toBe(probe.quotes.get(`eod:SPY:${DAY}`));
        expect(stored.rows).toBeGreaterThan(0);
        expect(stored.distinctKeys).toBe(stored.rows);
        expect(stored.distinctContracts).toBe(stored.rows);
        expect(await statusOf(db, "SPY", DAY)).toEqual({
          status: "completed",
          records_collected: stored.rows,
        });
      } finally {
        await other.close();
        await daemon.stop(30_000);
      }
    },
  );
});
