import { symbolNames } from "../../src/config/symbols.ts";
import type { LevelWithSilent } from "pino";
import { afterAll, beforeAll } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { etInstant } from "../../src/calendar/index.ts";
import type { ManualClock } from "../../src/core/clock.ts";
import { Daemon, planFromSchedule } from "../../src/daemon/daemon-process.ts";
import type { DaemonOptions } from "../../src/daemon/daemon-process.ts";
import type { Collect } from "../../src/daemon/handlers.ts";
import type { QueueConnection } from "../../src/daemon/queue.ts";
import type { PGliteLike } from "pg-boss";
import type { Plan } from "../../src/daemon/slots.ts";
import { createLogger } from "../../src/logger.ts";
import type { Database } from "../../src/store/database.ts";
import type { Config } from "../../src/config/schema.ts";
import type { EventSink } from "../../src/core/events.ts";
import type { Logger } from "../../src/logger.ts";
import { collectWithGateway } from "../../src/daemon/collect-with-gateway.ts";
import type { DaemonDatabase } from "../../src/daemon/engine.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { openMigratedPglite } from "../helpers/db.ts";

export const SYMBOLS = ["SPY"];
export const logger = createLogger({
  level: (process.env.CHAINVAULT_TEST_LOG_LEVEL ?? "silent") as LevelWithSilent,
});

export function testPlan(): Plan {
  const config = testConfig(7497, 0);
  return planFromSchedule({ symbols: symbolNames(config.symbols), schedule: config.schedule });
}

/** 2026-03-09..03-20: the weeks New York and Jerusalem are 6 hours apart, ending on a monthly expiry. */
export const TWO_WEEKS = { from: etInstant("2026-03-08", "12:00"), to: etInstant("2026-03-22", "12:00") };

/**
 * A small chain per run: the nearest expiries and one strike each side. At IB's pace (the default 45
 * messages/s) a run takes about two seconds; tests that need no run to be slow pass a faster pacer
 * (`messagesPerSecond`, the simulator's limits lifted), and one that interrupts a run keeps IB's.
 */
export function testConfig(
  ibPort: number,
  clientId: number,
  maxDaysToExpiry = 1,
  messagesPerSecond?: number,
): Config {
  const tier = { range: 0.01, min_strikes: 1 };
  return configSchema.parse({
    symbols: SYMBOLS,
    ib: {
      port: ibPort,
      client_id: clientId,
      ...(messagesPerSecond === undefined ? {} : { max_messages_per_second: messagesPerSecond }),
    },
    selection: {
      max_days_to_expiry: maxDaysToExpiry,
      tiers: { low_iv: tier, normal_iv: tier, high_iv: tier },
    },
    collect: { include_vix: false, connect_attempts: 2 },
    schedule: { timezone: "Asia/Jerusalem" },
  });
}

/**
 * The daemon's collector (src/daemon/collect-with-gateway.ts) against the simulated gateway, counting what each
 * run did so a repeated run shows.
 */
export class CollectorProbe {
  /** Runs that collected (status completed or partial), per slot key. */
  readonly collected = new Map<string, number>();
  /** Runs that found the key already completed and did nothing. */
  readonly skipped = new Map<string, number>();
  readonly quotes = new Map<string, number>();

  collectFor(db: Database, config: Config, events?: EventSink): Collect {
    const collect = collectWithGateway(db, config, logger, undefined, events);
    return async (request: Parameters<Collect>[0], control?: Parameters<Collect>[1]) => {
      const summary = await collect(request, control);
      for (const entry of summary.symbols) {
        const key = `${request.type}:${entry.symbol}:${summary.date}`;
        const bucket = entry.status === "skipped" ? this.skipped : this.collected;
        if (entry.status !== "failed") bucket.set(key, (bucket.get(key) ?? 0) + 1);
        if (entry.status === "completed") this.quotes.set(key, entry.quotes_stored);
      }
      return summary;
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
  openHistorical?: DaemonOptions["openHistorical"];
  retryLimit?: number;
  discover?: DaemonOptions["discover"];
  events?: EventSink;
  logger?: Logger;
  firstStartLookbackMs?: number;
}): Promise<Daemon> {
  return Daemon.start({
    db: options.db,
    queue: options.queue,
    plan: options.plan,
    clock: options.clock,
    logger: options.logger ?? logger,
    symbols: SYMBOLS,
    gapCheckDays: 10,
    collect: options.collect,
    daemonId: options.daemonId,
    loop: options.loop ?? false,
    openHistorical: options.openHistorical,
    discover: options.discover,
    historicalFillLimit: 5,
    firstStartLookbackMs: options.firstStartLookbackMs ?? 0,
    ...(options.events ? { events: options.events } : {}),
    tickMs: 60_000,
    queueOptions: {
      pollingIntervalSeconds: 0.5,
      retryLimit: options.retryLimit ?? 4,
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

/** What openDaemonDatabase gives for an embedded directory (pg-boss shares the PGlite session), migrated, in memory. */
export async function openEmbeddedDaemonDatabase(): Promise<DaemonDatabase> {
  const { db, pglite } = await openMigratedPglite();
  return { db, pglite, queue: { pglite: pglite as unknown as PGliteLike } };
}

/**
 * For one describe block: a migrated in-memory daemon database and a simulator with IB's limits lifted,
 * its clock starting at `start` (New York). The fields are set once beforeAll has run.
 */
export function useEmbeddedDaemon(start: { date: string; timeEt: string }): {
  handle: DaemonDatabase;
  sim: Simulator;
} {
  const fixture = {} as { handle: DaemonDatabase; sim: Simulator };
  beforeAll(async () => {
    fixture.handle = await openEmbeddedDaemonDatabase();
    fixture.sim = await startSimulator({ port: 0, start, rate: Infinity, lines: Infinity });
  });
  afterAll(async () => {
    await fixture.sim?.close();
    await fixture.handle?.db.close();
  });
  return fixture;
}
