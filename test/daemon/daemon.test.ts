import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { openDaemonDatabase } from "../../src/daemon/engine.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { COLLECTION_TYPES } from "../../src/core/collection.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { migrate } from "../../src/store/migrate.ts";
import { createServerDatabase } from "../helpers/db.ts";
import {
  CollectorProbe,
  runsPerKey,
  settle,
  slotInstants,
  startDaemon,
  testConfig,
  testPlan,
  TWO_WEEKS,
  useEmbeddedDaemon,
} from "./harness.ts";

const plan = testPlan();
/**
 * Messages per second: the simulator's limits are lifted, and at IB's 45 the 51 runs of two weeks would
 * take two seconds each. A run still lasts long enough for the kill to catch one in flight.
 */
const PACE = 400;
const keyOf = (slot: { type: string; symbol: string | null; date: string }) =>
  `${slot.type}:${slot.symbol ?? "*"}:${slot.date}`;

/**
 * Every planned slot of the range, plus the one the first gap check recovers: the daemon starts on
 * Sunday, and Friday's EOD may still be taken until Monday's open.
 */
const RECOVERED = "eod:SPY:2026-03-06";
const expectedKeys = [RECOVERED, ...plan(TWO_WEEKS.from, TWO_WEEKS.to).map(keyOf)];
const isCollection = (key: string) => (COLLECTION_TYPES as readonly string[]).includes(key.split(":")[0]!);

async function statusOf(db: DaemonDatabase["db"], key: string): Promise<string | null> {
  const [type, symbol, date] = key.split(":");
  const result = await db.query<{ status: string }>(
    "SELECT status FROM daily_collection_status WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3",
    [date, symbol, type],
  );
  return result.rows[0]?.status ?? null;
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

describe("daemon on PostgreSQL against the simulated gateway, two weeks on a virtual clock", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let sim: Simulator;
  const opened: DaemonDatabase[] = [];
  const open = async () => {
    const handle = await openDaemonDatabase({ url: server.url, dataDir: "unused", poolSize: 4 });
    opened.push(handle);
    return handle;
  };

  beforeAll(async () => {
    server = await createServerDatabase();
    await migrate((await open()).db);
    sim = await startSimulator({
      port: 0,
      start: { date: "2026-03-08", timeEt: "12:00" },
      rate: Infinity,
      lines: Infinity,
    });
  });
  afterAll(async () => {
    await sim?.close();
    for (const handle of opened) await handle.db.close().catch(() => undefined);
    await server?.drop();
  });

  it(
    "runs every slot once: two daemons on one database, one killed mid-run and restarted",
    { timeout: 600_000 },
    async () => {
      const clock = new ManualClock(TWO_WEEKS.from);
      const probe = new CollectorProbe();
      const a = await open();
      const b = await open();
      const start = (handle: DaemonDatabase, id: string, clientId: number) => {
        const collect = probe.collectFor(handle.db, testConfig(sim.port, clientId, 1, PACE));
        // Friday's EOD, recovered on Monday morning, looks three days ahead to find an expiry still listed
        // (Monday's): a run that finds no contract fails, and would be retried until dead-lettered.
        const recover = probe.collectFor(handle.db, testConfig(sim.port, clientId, 3, PACE));
        return startDaemon({
          ...handle,
          clock,
          plan,
          collect: (request, control) =>
            (keyOf({ ...request, symbol: request.symbols[0] ?? null }) === RECOVERED ? recover : collect)(
              request,
              control,
            ),
          daemonId: id,
        });
      };
      let daemonA = await start(a, "A", 11);
      const daemonB = await start(b, "B", 12);
      const daemons = () => [daemonA, daemonB];
      const instants = slotInstants(plan, TWO_WEEKS.from, TWO_WEEKS.to);
      let killedInFlight: string[] = [];
      try {
        // The first look at the plan only records where planning begins.
        sim.clock.set(clock.now());
        await Promise.all(daemons().map((daemon) => daemon.scheduler.tick()));
        for (const [index, instant] of instants.entries()) {
          // The gateway's clock moves with the daemons': a run at 16:45 ET sees the 16:45 market.
          clock.set(instant);
          sim.clock.set(instant);
          await Promise.all(daemons().map((daemon) => daemon.scheduler.tick()));
          if (index >= instants.length / 2 && killedInFlight.length === 0) {
            // Killed while running a collection: no graceful stop, connections cut, nothing waited for.
            if (await waitFor(() => daemonA.inFlight.some(isCollection), 1_500)) {
              killedInFlight = [...daemonA.inFlight];
              await daemonA.kill();
              await a.db.close();
              const restarted = await open();
              daemonA = await start(restarted, "A-restarted", 13);
            }
          }
          await settle(daemons(), 120_000);
        }
        expect(killedInFlight.length).toBeGreaterThan(0);

        const runs = await runsPerKey(b.db);
        expect([...runs.keys()].sort()).toEqual([...new Set(expectedKeys)].sort());
        for (const key of expectedKeys) {
          expect(runs.get(key)?.completed, `completed runs of ${key}`).toBe(1);
          expect(await statusOf(b.db, key), `status of ${key}`).toBe("completed");
        }
        // The collector ran each collection slot to completion once; the run cut by the kill
        // resumed (its stored quotes were not taken again) rather than starting over.
        const collections = [...new Set(expectedKeys.filter(isCollection))];
        expect([...probe.collected.keys()].sort()).toEqual(collections.sort());
        for (const key of collections) {
          const count = probe.collected.get(key);
          if (!killedInFlight.includes(key)) expect(count, `collector runs of ${key}`).toBe(1);
          // The killed process's run may still have finished its last writes before its connections
          // closed; the retry then resumes or finds it done. Never more than those two.
          else expect(count, `collector runs of ${key}`).toBeLessThanOrEqual(2);
        }
        // Nothing lost, nothing twice: the rows stored per run are exactly what its completed run reports
        // (including those an interrupted attempt stored first), and none is empty.
        const stored = await b.db.query<{ collection_type: string; collection_date: string; n: number }>(
          "SELECT collection_type, collection_date::text, count(*)::int AS n FROM market_data_ticks GROUP BY 1, 2",
        );
        for (const key of collections) {
          const [type, , date] = key.split(":");
          const n = stored.rows.find((r) => r.collection_type === type && r.collection_date === date)?.n ?? 0;
          expect(n, `quotes of ${key}`).toBe(probe.quotes.get(key));
          expect(n, `quotes of ${key}`).toBeGreaterThan(0);
        }
        const byDaemon = new Set([...runs.values()].flatMap((entry) => [...entry.daemons]));
        expect(byDaemon).toContain("B");
        expect(byDaemon).toContain("A-restarted");
        const cursor = await b.db.query<{ planned_through: Date }>(
          "SELECT planned_through FROM daemon_state",
        );
        expect(new Date(cursor.rows[0]!.planned_through).getTime()).toBe(instants.at(-1)!.getTime());
        expect(await daemonB.queue.deadLetters()).toEqual([]);
      } finally {
        await daemonA.stop(1_000);
        await daemonB.stop(1_000);
      }
    },
  );
});

describe("daemon on embedded PGlite", () => {
  const fixture = useEmbeddedDaemon({ date: "2026-04-06", timeEt: "09:00" });

  it("after sleeping through slots, runs those still in their window and records the rest as missed", async () => {
    const clock = new ManualClock(new Date("2026-04-06T13:00:00Z")); // Monday 09:00 ET
    const probe = new CollectorProbe();
    const daemon = await startDaemon({
      ...fixture.handle,
      clock,
      plan,
      collect: probe.collectFor(fixture.handle.db, testConfig(fixture.sim.port, 21, 1, PACE)),
      daemonId: "sleeper",
      loop: true,
    });
    try {
      await settle([daemon]);
      // The laptop sleeps from Monday 09:00 ET to Tuesday 08:00 ET. Monday's analytics (window to
      // the close) is lost; Monday's EOD (window to Tuesday's open) and Tuesday's pre-market still run.
      clock.set(new Date("2026-04-07T12:00:00Z"));
      fixture.sim.clock.set(clock.now());
      expect(
        await waitFor(
          async () => (await statusOf(fixture.handle.db, "pre_market:SPY:2026-04-07")) === "completed",
          60_000,
        ),
      ).toBe(true);
      await settle([daemon]);
      expect(await statusOf(fixture.handle.db, "analytics:SPY:2026-04-06")).toBe("missed");
      expect(await statusOf(fixture.handle.db, "eod:SPY:2026-04-06")).toBe("completed");
      expect(probe.collected.has("analytics:SPY:2026-04-06")).toBe(false);
      expect(probe.collected.get("eod:SPY:2026-04-06")).toBe(1);
      expect(probe.collected.get("pre_market:SPY:2026-04-07")).toBe(1);
      const health = await daemon.health();
      expect(health.nextDue).toEqual({ key: "analytics:SPY:2026-04-07", at: "2026-04-07T19:45:00.000Z" });
      expect(health.lastRun?.finishedAt).not.toBeNull();
      expect(health.plannedThrough).toBe("2026-04-07T12:00:00.000Z");
    } finally {
      await daemon.stop(1_000);
    }
  });
});
