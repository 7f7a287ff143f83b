import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/daemon/clock.ts";
import type { Daemon } from "../../src/daemon/daemon.ts";
import { openDaemonDatabase } from "../../src/daemon/engine.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { migrate } from "../../src/store/migrate.ts";
import { createServerDatabase } from "../helpers/db.ts";
import {
  CountingCollector,
  runsPerKey,
  settle,
  slotInstants,
  startDaemon,
  testPlan,
  TWO_WEEKS,
} from "./harness.ts";

const plan = testPlan();
/**
 * Every planned slot of the range, plus the one the first gap check recovers: the daemon starts on
 * Sunday, and Friday's EOD may still be taken until Monday's open.
 */
const RECOVERED = "eod:SPY:2026-03-06";
const expectedKeys = [
  RECOVERED,
  ...plan(TWO_WEEKS.from, TWO_WEEKS.to).map((slot) => `${slot.type}:${slot.symbol ?? "*"}:${slot.date}`),
];

/** Steps the clock to every slot instant of the range; `beforeStep` may swap daemons mid-way. */
async function drive(
  clock: ManualClock,
  daemons: () => Daemon[],
  instants: Date[],
  beforeStep?: (index: number) => Promise<void>,
): Promise<void> {
  // The first look at the plan, at the start instant, only records where planning begins.
  await Promise.all(daemons().map((daemon) => daemon.scheduler.tick()));
  for (const [index, instant] of instants.entries()) {
    await beforeStep?.(index);
    clock.set(instant);
    // Every daemon looks at the plan at the same moment, as two machines would.
    await Promise.all(daemons().map((daemon) => daemon.scheduler.tick()));
    await settle(daemons());
  }
}

async function expectEachSlotOnce(db: DaemonDatabase["db"], collector: CountingCollector): Promise<void> {
  const runs = await runsPerKey(db);
  for (const key of expectedKeys) {
    expect(runs.get(key)?.completed, `completed runs of ${key}`).toBe(1);
  }
  expect([...runs.keys()].sort()).toEqual([...new Set(expectedKeys)].sort());
  for (const [key, count] of collector.completed) expect(count, `collector completions of ${key}`).toBe(1);
  const collections = expectedKeys.filter((key) =>
    ["pre_market", "analytics", "eod", "pre_expiry", "settlement"].includes(key.split(":")[0]!),
  );
  expect(collector.completed.size).toBe(collections.length);
  const statuses = await db.query<{ status: string; n: number }>(
    "SELECT status, count(*)::int AS n FROM daily_collection_status GROUP BY status",
  );
  expect(statuses.rows).toEqual([{ status: "completed", n: new Set(expectedKeys).size }]);
}

describe("daemon on PostgreSQL, two simulated weeks", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  const opened: DaemonDatabase[] = [];
  const open = async () => {
    const handle = await openDaemonDatabase({ url: server.url, dataDir: "unused" });
    opened.push(handle);
    return handle;
  };

  beforeAll(async () => {
    server = await createServerDatabase();
    const first = await open();
    await migrate(first.db);
  });
  afterAll(async () => {
    for (const handle of opened) await handle.db.close().catch(() => undefined);
    await server.drop();
  });

  it(
    "runs every slot once with two daemons on one database, one of them killed and restarted mid-way",
    { timeout: 300_000 },
    async () => {
      // Reset between scenarios is not needed: this database is this test's alone.
      const clock = new ManualClock(TWO_WEEKS.from);
      const collector = new CountingCollector(20);
      const a = await open();
      const b = await open();
      let daemonA = await startDaemon({
        ...a,
        clock,
        plan,
        collect: collector.collectFor(a.db),
        daemonId: "A",
      });
      const daemonB = await startDaemon({
        ...b,
        clock,
        plan,
        collect: collector.collectFor(b.db),
        daemonId: "B",
      });
      const instants = slotInstants(plan, TWO_WEEKS.from, TWO_WEEKS.to);
      const middle = Math.floor(instants.length / 2);
      try {
        await drive(
          clock,
          () => [daemonA, daemonB],
          instants,
          async (index) => {
            if (index !== middle) return;
            // Killed: no graceful stop, its database connections cut, nothing waited for.
            await daemonA.kill();
            await a.db.close();
            const restarted = await open();
            daemonA = await startDaemon({
              ...restarted,
              clock,
              plan,
              collect: collector.collectFor(restarted.db),
              daemonId: "A2",
            });
          },
        );
        await expectEachSlotOnce(b.db, collector);
        const runs = await runsPerKey(b.db);
        const byDaemon = new Set([...runs.values()].flatMap((entry) => [...entry.daemons]));
        // Both daemons (and the restarted one) did real work: the guard was exercised, not bypassed.
        expect(byDaemon.size).toBeGreaterThanOrEqual(2);
        const cursor = await b.db.query<{ planned_through: Date }>(
          "SELECT planned_through FROM daemon_state",
        );
        expect(new Date(cursor.rows[0]!.planned_through).getTime()).toBe(instants.at(-1)!.getTime());
      } finally {
        await daemonA.stop(1_000);
        await daemonB.stop(1_000);
      }
    },
  );
});

describe("daemon on embedded PGlite", () => {
  let handle: DaemonDatabase;
  beforeAll(async () => {
    handle = await openDaemonDatabase({ dataDir: "memory://" });
    await migrate(handle.db);
  });
  afterAll(async () => {
    await handle.db.close();
  });

  it("after sleeping through slots, runs those still in their window and records the rest as missed", async () => {
    const clock = new ManualClock(new Date("2026-04-06T13:00:00Z")); // Monday 09:00 ET
    const collector = new CountingCollector();
    const daemon = await startDaemon({
      ...handle,
      clock,
      plan,
      collect: collector.collectFor(handle.db),
      daemonId: "sleeper",
      loop: true,
    });
    try {
      await settle([daemon]);
      // The laptop sleeps from Monday 09:00 ET to Tuesday 08:00 ET: Monday's analytics (window to the
      // close) is lost; Monday's EOD (window to Tuesday's open) and Tuesday's pre-market still run.
      clock.set(new Date("2026-04-07T12:00:00Z"));
      await waitFor(async () => (await statusOf(handle, "eod:SPY:2026-04-06")) === "completed");
      await settle([daemon]);
      expect(await statusOf(handle, "analytics:SPY:2026-04-06")).toBe("missed");
      expect(await statusOf(handle, "eod:SPY:2026-04-06")).toBe("completed");
      expect(await statusOf(handle, "pre_market:SPY:2026-04-07")).toBe("completed");
      expect(collector.completed.has("analytics:SPY:2026-04-06")).toBe(false);
      expect(collector.completed.get("eod:SPY:2026-04-06")).toBe(1);
      const health = await daemon.health();
      expect(health.nextDue).toEqual({ key: "analytics:SPY:2026-04-07", at: "2026-04-07T19:45:00.000Z" });
      expect(health.lastRun?.finishedAt).not.toBeNull();
    } finally {
      await daemon.stop(1_000);
    }
  });
});

async function statusOf(handle: DaemonDatabase, key: string): Promise<string | null> {
  const [type, symbol, date] = key.split(":");
  const result = await handle.db.query<{ status: string }>(
    "SELECT status FROM daily_collection_status WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3",
    [date, symbol, type],
  );
  return result.rows[0]?.status ?? null;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
