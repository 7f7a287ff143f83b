import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { ManualClock } from "../../src/core/clock.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { discoverWithGateway } from "../../src/daemon/discover-with-gateway.ts";
import { openHistoricalSession } from "../../src/ib/historical-session.ts";
import {
  openEmbeddedDaemonDatabase,
  CollectorProbe,
  logger,
  settle,
  startDaemon,
  testConfig,
  testPlan,
  useEmbeddedDaemon,
} from "./harness.ts";

describe("gap check", () => {
  const fixture = useEmbeddedDaemon({ date: "2026-03-09", timeEt: "16:44" });

  it(
    "fills a missed EOD from daily bars of the contracts that have not expired",
    { timeout: 120_000 },
    async () => {
      const clock = new ManualClock(etInstant("2026-03-09", "16:44"));
      const move = (instant: Date) => {
        clock.set(instant);
        fixture.sim.clock.set(instant);
      };
      const probe = new CollectorProbe();
      const daemon = await startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: probe.collectFor(fixture.handle.db, testConfig(fixture.sim.port, 41, 7, 1000)),
        daemonId: "gaps",
        openHistorical: () =>
          openHistoricalSession({ host: fixture.sim.host, port: fixture.sim.port, clientId: 42 }),
        discover: discoverWithGateway(fixture.handle.db, testConfig(fixture.sim.port, 43, 7, 1000), logger),
      });
      try {
        await daemon.scheduler.tick();
        move(etInstant("2026-03-09", "16:45"));
        await daemon.scheduler.tick();
        await settle([daemon]);
        expect(probe.collected.get("eod:SPY:2026-03-09")).toBe(1);

        // Off all Tuesday: Tuesday's EOD window closes at Wednesday's open, before the daemon is back.
        move(etInstant("2026-03-11", "10:00"));
        await daemon.scheduler.tick();
        await settle([daemon]);

        const eod = await fixture.handle.db.query<{ status: string }>(
          "SELECT status FROM daily_collection_status WHERE collection_type = 'eod' AND collection_date = '2026-03-10'",
        );
        expect(eod.rows).toEqual([{ status: "missed" }]);
        const gapCheck = await fixture.handle.db.query<{ status: string; error_message: string }>(
          "SELECT status, error_message FROM daily_collection_status WHERE collection_type = 'gap_check' AND collection_date = '2026-03-11'",
        );
        expect(gapCheck.rows[0]?.status).toBe("completed");
        expect(gapCheck.rows[0]?.error_message).toMatch(/2026-03-10/);
        const bars = await fixture.handle.db.query<{ n: number; priced: number; at: Date }>(
          `SELECT count(*)::int AS n, count(close_price_e4)::int AS priced, min(time) AS at
           FROM market_data_ticks WHERE collection_type = 'hist_daily' AND collection_date = '2026-03-10'`,
        );
        expect(bars.rows[0]!.n).toBe(5);
        expect(bars.rows[0]!.priced).toBe(5);
        expect(new Date(bars.rows[0]!.at).toISOString()).toBe(etInstant("2026-03-10", "16:00").toISOString());
        // Thursday's weekly discovery, queued and run on its own: the chain (records = contracts listed), no quotes.
        move(etInstant("2026-03-12", "17:00"));
        await daemon.scheduler.tick();
        await settle([daemon]);
        const discovery = await fixture.handle.db.query<{ status: string; records_collected: number }>(
          "SELECT status, records_collected FROM daily_collection_status WHERE collection_type = 'weekly_discovery' AND collection_date = '2026-03-12'",
        );
        expect(discovery.rows[0]?.status).toBe("completed");
        expect(discovery.rows[0]?.records_collected).toBeGreaterThan(0);
        const issue = await fixture.handle.db.query<{ rule: string }>(
          "SELECT rule FROM data_quality_issues WHERE collection_type = 'eod' AND collection_date = '2026-03-10'",
        );
        expect(issue.rows).toEqual([{ rule: "collection_gap" }]);
      } finally {
        await daemon.stop(1_000);
      }
    },
  );
});

describe("retries and the dead-letter queue", () => {
  let handle: DaemonDatabase;
  beforeAll(async () => {
    handle = await openEmbeddedDaemonDatabase();
  });
  afterAll(async () => {
    await handle?.db.close();
  });

  it("retries a failing slot with backoff, then dead-letters it once", { timeout: 60_000 }, async () => {
    const clock = new ManualClock(etInstant("2026-03-09", "16:44"));
    let attempts = 0;
    const daemon = await startDaemon({
      ...handle,
      clock,
      plan: testPlan(),
      collect: async () => {
        attempts += 1;
        throw new Error("gateway unreachable (test)");
      },
      daemonId: "failing",
      retryLimit: 2,
    });
    try {
      await daemon.scheduler.tick();
      clock.set(etInstant("2026-03-09", "16:45"));
      await daemon.scheduler.tick();
      await settle([daemon]);
      const deadline = Date.now() + 20_000;
      let rows: { error_message: string; attempts: number; collection_type: string }[] = [];
      while (rows.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        daemon.queue.wake();
        rows = (
          await handle.db.query<{ error_message: string; attempts: number; collection_type: string }>(
            "SELECT error_message, attempts, collection_type FROM collection_dead_letters",
          )
        ).rows;
      }
      expect(attempts).toBe(3);
      expect(rows).toEqual([
        {
          error_message: "retries exhausted: gateway unreachable (test)",
          attempts: 3,
          collection_type: "eod",
        },
      ]);
    } finally {
      await daemon.stop(1_000);
    }
  });
});
