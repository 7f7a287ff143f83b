import { configSchema } from "../../src/config/schema.ts";
import { etInstant } from "../../src/calendar/index.ts";
import type { ManualClock } from "../../src/daemon/clock.ts";
import { Daemon, planFromSchedule } from "../../src/daemon/daemon.ts";
import type { Collect, CollectionRequest } from "../../src/daemon/handlers.ts";
import type { QueueConnection } from "../../src/daemon/queue.ts";
import type { Plan } from "../../src/daemon/slots.ts";
import { createLogger } from "../../src/logger.ts";
import type { Database } from "../../src/store/database.ts";
import { completeCollection, startCollection } from "../../src/store/repositories/collection-status.ts";

export const SYMBOLS = ["SPY"];
export const logger = createLogger({ level: process.env.CHAINVAULT_TEST_LOG_LEVEL ?? "silent" });

export function testPlan(): Plan {
  const config = configSchema.parse({ symbols: SYMBOLS, schedule: { timezone: "Asia/Jerusalem" } });
  return planFromSchedule({ symbols: config.symbols, schedule: config.schedule });
}

/** 2026-03-09..03-20: the weeks New York and Jerusalem are 6 hours apart, ending on a monthly expiry. */
export const TWO_WEEKS = { from: etInstant("2026-03-08", "12:00"), to: etInstant("2026-03-22", "12:00") };

/**
 * Stand-in for src/collect/run.ts (not in the tree when this test was written): it keeps the
 * status row through the store's real repository exactly as the collector's contract says, and
 * counts every run it is asked for, so a repeated run shows.
 */
export class CountingCollector {
  readonly started = new Map<string, number>();
  readonly completed = new Map<string, number>();

  constructor(private readonly delayMs = 0) {}

  collectFor(db: Database): Collect {
    return async (request: CollectionRequest) => {
      for (const symbol of request.symbols) {
        const key = `${request.type}:${symbol}:${request.date}`;
        const collectionKey = { collectionDate: request.date, symbol, collectionType: request.type };
        const row = await startCollection(db, collectionKey, { timezone: "America/New_York" });
        if (row.status === "completed") continue;
        this.started.set(key, (this.started.get(key) ?? 0) + 1);
        if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        await completeCollection(db, collectionKey, { recordsCollected: 1 });
        this.completed.set(key, (this.completed.get(key) ?? 0) + 1);
      }
    };
  }
}

export function startDaemon(options: {
  db: Database;
  queue: QueueConnection;
  clock: ManualClock;
  collect: Collect;
  plan: Plan;
  daemonId: string;
  loop?: boolean;
}): Promise<Daemon> {
  return Daemon.start({
    db: options.db,
    queue: options.queue,
    plan: options.plan,
    clock: options.clock,
    logger,
    symbols: SYMBOLS,
    gapCheckDays: 10,
    collect: options.collect,
    daemonId: options.daemonId,
    loop: options.loop ?? false,
    firstStartLookbackMs: 0,
    tickMs: 60_000,
    queueOptions: {
      pollingIntervalSeconds: 0.5,
      retryDelaySeconds: 1,
      retryDelayMaxSeconds: 2,
      heartbeatSeconds: 10,
      superviseIntervalSeconds: 1,
    },
  });
}

/** Waits until no daemon has a job queued, retrying or running. */
export async function settle(daemons: Daemon[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    for (const daemon of daemons) busy += daemon.inFlight.length;
    if (busy === 0) busy = await daemons[0]!.queue.unfinished();
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still unfinished after ${timeoutMs} ms`);
    for (const daemon of daemons) daemon.queue.wake();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The distinct instants at which slots fall in a range, in order. */
export function slotInstants(plan: Plan, from: Date, to: Date): Date[] {
  const seen = new Set<number>();
  for (const slot of plan(from, to)) seen.add(slot.at.getTime());
  return [...seen].sort((a, b) => a - b).map((ms) => new Date(ms));
}

export async function runsPerKey(
  db: Database,
): Promise<Map<string, { completed: number; started: number; daemons: Set<string> }>> {
  const result = await db.query<{ slot_key: string; outcome: string | null; daemon_id: string }>(
    "SELECT slot_key, outcome, daemon_id FROM daemon_slot_runs",
  );
  const map = new Map<string, { completed: number; started: number; daemons: Set<string> }>();
  for (const row of result.rows) {
    const entry = map.get(row.slot_key) ?? { completed: 0, started: 0, daemons: new Set<string>() };
    entry.started += 1;
    if (row.outcome === "completed") {
      entry.completed += 1;
      entry.daemons.add(row.daemon_id);
    }
    map.set(row.slot_key, entry);
  }
  return map;
}
