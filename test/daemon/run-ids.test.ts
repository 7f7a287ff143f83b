import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { openDaemonDatabase } from "../../src/daemon/engine.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { migrate } from "../../src/store/migrate.ts";
import { readInstall } from "../../src/store/repositories/install.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { waitUntil } from "../helpers/wait.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { CollectorProbe, settle, startDaemon, testConfig, testPlan } from "./harness.ts";

/**
 * For one describe block: a fresh PostgreSQL database (a server database is ready in a fraction of the time
 * the embedded engine takes to start and migrate) with chainvault's schema; the queue's is made by the daemon.
 */
function useServerDaemonDatabase(): { handle: DaemonDatabase } {
  const fixture = {} as { handle: DaemonDatabase };
  let drop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const server = await createServerDatabase();
    drop = server.drop;
    fixture.handle = await openDaemonDatabase({ url: server.url, dataDir: "unused" });
    await migrate(fixture.handle.db);
  });
  afterAll(async () => {
    await fixture.handle?.db.close();
    await drop();
  });
  return fixture;
}

type SlotFinished = Extract<ChainvaultEvent, { kind: "slot_finished" }>;

function recorder(): { bus: EventBus; events: ChainvaultEvent[]; slots: () => SlotFinished[] } {
  const bus = new EventBus();
  const events: ChainvaultEvent[] = [];
  bus.on((event) => void events.push(event));
  return {
    bus,
    events,
    slots: () => events.filter((event): event is SlotFinished => event.kind === "slot_finished"),
  };
}

describe("a slot attempt's run id, from the queue to the quotes", () => {
  const fixture = useServerDaemonDatabase() as { handle: DaemonDatabase; sim: Simulator };
  beforeAll(async () => {
    fixture.sim = await startSimulator({
      port: 0,
      start: { date: "2026-03-09", timeEt: "16:44" },
      rate: Infinity,
      lines: Infinity,
    });
  });
  afterAll(async () => {
    await fixture.sim?.close();
  });

  it(
    "is the id of the collection it runs, in every row and log line of it, and in both events",
    { timeout: 120_000 },
    async () => {
      const clock = new ManualClock(etInstant("2026-03-09", "16:44"));
      const log = capturedLog("info");
      const { bus, events, slots } = recorder();
      const probe = new CollectorProbe();
      const daemon = await startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: probe.collectFor(fixture.handle.db, testConfig(fixture.sim.port, 61), bus),
        daemonId: "ids",
        events: bus,
        logger: log.logger,
      });
      try {
        expect((await readInstall(fixture.handle.db))?.toISOString()).toBe(
          etInstant("2026-03-09", "16:44").toISOString(),
        );
        await daemon.scheduler.tick();
        clock.set(etInstant("2026-03-09", "16:45"));
        fixture.sim.clock.set(clock.now());
        await daemon.scheduler.tick();
        await settle([daemon]);

        const finished = slots().find((event) => event.slotKey === "eod:SPY:2026-03-09");
        expect(finished).toMatchObject({
          outcome: "completed",
          date: "2026-03-09",
          symbol: "SPY",
          type: "eod",
        });
        const runId = finished!.runId;
        const collection = events.find((event) => event.kind === "collection_finished");
        expect(collection).toMatchObject({ runId, symbol: "SPY", status: "completed", coverage: 1 });

        const attempt = await fixture.handle.db.query<{ run_id: string }>(
          "SELECT run_id FROM daemon_slot_runs WHERE slot_key = 'eod:SPY:2026-03-09'",
        );
        expect(attempt.rows).toEqual([{ run_id: runId }]);
        const row = await fixture.handle.db.query<{
          run_id: string;
          contracts_selected: number;
          records_collected: number;
        }>(
          `SELECT run_id, contracts_selected, records_collected FROM daily_collection_status
          WHERE collection_date = '2026-03-09' AND symbol = 'SPY' AND collection_type = 'eod'`,
        );
        expect(row.rows[0]!.run_id).toBe(runId);
        expect(row.rows[0]!.records_collected).toBe(row.rows[0]!.contracts_selected);
        const slotLines = log.lines.filter((line) => line.slot === "eod:SPY:2026-03-09");
        expect(slotLines.map((line) => line.msg)).toEqual(["slot queued", "slot started", "slot finished"]);
        // Queued by the scheduler before any attempt existed; the attempt's lines carry its id.
        expect(slotLines.slice(1).map((line) => line.runId)).toEqual([runId, runId]);
      } finally {
        await daemon.stop(1_000);
      }
    },
  );
});

describe("slots the daemon gives up on, misses, or was never asked to run", () => {
  const fixture = useServerDaemonDatabase();

  it(
    "reports a dead-lettered slot with its last attempt's id, and a missed one with the id on its row",
    { timeout: 60_000 },
    async () => {
      const clock = new ManualClock(etInstant("2026-03-09", "16:44"));
      const { bus, slots } = recorder();
      const daemon = await startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: () => Promise.reject(new Error("gateway unreachable (test)")),
        daemonId: "gives-up",
        retryLimit: 1,
        events: bus,
      });
      try {
        await daemon.scheduler.tick();
        clock.set(etInstant("2026-03-09", "16:45"));
        await daemon.scheduler.tick();
        await waitUntil(
          () => {
            daemon.queue.wake();
            return slots().some((event) => event.outcome === "dead_lettered");
          },
          { what: "the EOD slot to be dead-lettered", timeoutMs: 30_000 },
        );
        const eod = slots().filter((event) => event.slotKey === "eod:SPY:2026-03-09");
        expect(eod.map((event) => event.outcome)).toEqual(["failed", "failed", "dead_lettered"]);
        expect(eod[2]!.error).toBe("retries exhausted: gateway unreachable (test)");
        // Each attempt has its own id; the dead letter names the last.
        expect(new Set(eod.map((event) => event.runId)).size).toBe(2);
        expect(eod[2]!.runId).toBe(eod[1]!.runId);
        const letter = await fixture.handle.db.query<{ run_id: string }>(
          "SELECT run_id FROM collection_dead_letters",
        );
        expect(letter.rows).toEqual([{ run_id: eod[1]!.runId }]);

        // The daemon is away all Tuesday: Tuesday's slots are found missed when it is back.
        clock.set(etInstant("2026-03-11", "10:00"));
        const tick = await daemon.scheduler.tick();
        expect(tick.missed.map((slot) => `${slot.type}:${slot.date}`)).toContain("eod:2026-03-10");
        const missed = slots().find((event) => event.slotKey === "eod:SPY:2026-03-10");
        expect(missed).toMatchObject({ outcome: "missed" });
        expect(missed!.error).toMatch(/^not run by 2026-03-11T13:30:00.000Z/);
        const row = await fixture.handle.db.query<{ status: string; run_id: string }>(
          "SELECT status, run_id FROM daily_collection_status WHERE collection_date = '2026-03-10' AND collection_type = 'eod'",
        );
        expect(row.rows).toEqual([{ status: "missed", run_id: missed!.runId }]);
      } finally {
        await daemon.stop(1_000);
      }
    },
  );
});

describe("the first start", () => {
  const fixture = useServerDaemonDatabase();

  it(
    "records no slot from before it as missed, however far its first look-back reaches",
    { timeout: 60_000 },
    async () => {
      // Tuesday 10:00 ET, looking back a day: Monday's analytics and EOD and Tuesday's pre-market have all closed.
      const clock = new ManualClock(etInstant("2026-03-10", "10:00"));
      const { bus, events } = recorder();
      const daemon = await startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: () => Promise.reject(new Error("not expected to run")),
        daemonId: "first",
        events: bus,
        firstStartLookbackMs: 24 * 3_600_000,
      });
      try {
        const tick = await daemon.scheduler.tick();
        expect(tick.from.toISOString()).toBe(etInstant("2026-03-09", "10:00").toISOString());
        expect(tick.missed).toEqual([]);
        // Only what is still inside its window is queued: Tuesday's backup (02:00 ET, open until Wednesday's) and
        // gap check (set in Jerusalem time).
        expect(tick.queued.map((slot) => slot.type)).toEqual(["backup", "gap_check"]);
        await settle([daemon]);
        expect(
          events.filter((event) => event.kind === "slot_finished" && event.outcome === "missed"),
        ).toEqual([]);
        const rows = await fixture.handle.db.query(
          "SELECT 1 FROM daily_collection_status WHERE status = 'missed'",
        );
        expect(rows.rows).toEqual([]);
        expect((await readInstall(fixture.handle.db))?.toISOString()).toBe(clock.now().toISOString());
      } finally {
        await daemon.stop(1_000);
      }
    },
  );
});
