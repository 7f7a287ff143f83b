import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { UsageError } from "../../src/core/errors.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { liveness } from "../../src/http/liveness.ts";
import { ChainvaultMetrics } from "../../src/http/metrics.ts";
import { Readiness } from "../../src/http/readiness.ts";
import { startHttpServer } from "../../src/http/server.ts";
import type { HttpServer } from "../../src/http/server.ts";
import { createLogger } from "../../src/logger.ts";
import { pingDatabase } from "../../src/store/outage.ts";
import { completeCollection, startCollection } from "../../src/store/repositories/collection-status.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";
import { Scrape, get, getJson } from "./scrape.ts";

const logger = createLogger({ level: "silent" });
const TOKEN = "s3cret-token-0123456789abcdef";

function collectionFinished(
  symbol: string,
  status: "completed" | "partial" | "failed" | "busy",
  stored: number,
  selected: number,
  durationSeconds: number,
): ChainvaultEvent {
  return {
    kind: "collection_finished",
    runId: `run-${symbol}-${status}`,
    date: "2026-03-09",
    symbol,
    type: "eod",
    status,
    listed: selected * 2,
    selected,
    stored,
    coverage: selected === 0 ? 0 : stored / selected,
    durationSeconds,
  };
}

describe("/metrics of a daemon's registry, fed by a real EventBus, over real HTTP", () => {
  let database: TestDatabase;
  let server: HttpServer;
  let bus: EventBus;
  let metrics: ChainvaultMetrics;
  let clock: ManualClock;
  const stored = new Map<string, Date>();

  beforeAll(async () => {
    database = await openTestDatabase("postgres");
    // Two collections completed before this "daemon" started: the gauges must start from them.
    for (const symbol of ["SPY", "TSLA"]) {
      const key = { collectionDate: "2026-03-06", symbol, collectionType: "eod" };
      await startCollection(database.db, key);
      const row = await completeCollection(database.db, key, { recordsCollected: 10 });
      stored.set(symbol, row.completedAt!);
    }
    // A partial run is no success.
    const partial = { collectionDate: "2026-03-06", symbol: "PLTR", collectionType: "eod" };
    await startCollection(database.db, partial);
    await completeCollection(database.db, partial, { recordsCollected: 3, status: "partial" });

    clock = new ManualClock(new Date(Date.now() + 3_600_000));
    bus = new EventBus(logger);
    const readiness = new Readiness({
      clock,
      maxAgeMs: 60_000,
      checks: { database: () => pingDatabase(database.db) },
    });
    metrics = new ChainvaultMetrics({
      clock,
      lastLoopAt: () => clock.now(),
      readiness: () => readiness.report(),
    });
    metrics.attach(bus);
    expect(await metrics.loadLastSuccesses(database.db)).toBe(2);
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness,
      liveness: () =>
        liveness({ now: clock.now(), lastLoopAt: clock.now(), startedAt: clock.now(), tickMs: 60_000 }),
      logger,
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it("starts from the database's last successes, with failure counters at zero and process metrics", async () => {
    const scrape = await Scrape.of(server.url);
    const lastSuccess = "chainvault_collection_last_success_timestamp_seconds";
    expect(scrape.family(lastSuccess).type).toBe("GAUGE");
    expect(scrape.value(lastSuccess, { symbol: "SPY", type: "eod" })).toBeCloseTo(
      stored.get("SPY")!.getTime() / 1000,
      3,
    );
    expect(scrape.value(lastSuccess, { symbol: "TSLA", type: "eod" })).toBeCloseTo(
      stored.get("TSLA")!.getTime() / 1000,
      3,
    );
    expect(scrape.value(lastSuccess, { symbol: "PLTR", type: "eod" })).toBeUndefined();
    // Pre-initialised so that increase() sees the first failure.
    expect(scrape.value("chainvault_slot_runs_total", { type: "eod", outcome: "dead_lettered" })).toBe(0);
    expect(scrape.value("chainvault_slot_runs_total", { type: "pre_market", outcome: "missed" })).toBe(0);
    expect(scrape.value("chainvault_quotes_stored_total")).toBe(0);
    expect(scrape.value("chainvault_ib_messages_sent_total")).toBe(0);
    expect(scrape.family("process_cpu_user_seconds_total").type).toBe("COUNTER");
    expect(scrape.value("process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(scrape.value("chainvault_scheduler_last_loop_timestamp_seconds")).toBe(
      clock.now().getTime() / 1000,
    );
    expect(scrape.value("chainvault_ready", { check: "database" })).toBe(1);
  });

  it("counts and sets what the events report", async () => {
    bus.emit(collectionFinished("SPY", "completed", 80, 80, 12.5));
    bus.emit(collectionFinished("PLTR", "partial", 40, 50, 30));
    bus.emit(collectionFinished("TSLA", "busy", 0, 0, 0.1));
    bus.emit({
      kind: "slot_finished",
      runId: "r1",
      slotKey: "eod:SPY:2026-03-09",
      date: "2026-03-09",
      symbol: "SPY",
      type: "eod",
      outcome: "completed",
    });
    bus.emit({
      kind: "slot_finished",
      runId: "r2",
      slotKey: "eod:PLTR:2026-03-09",
      date: "2026-03-09",
      symbol: "PLTR",
      type: "eod",
      outcome: "dead_lettered",
      error: "IB 10197",
    });
    bus.emit({
      kind: "slot_finished",
      runId: "r3",
      slotKey: "eod:TSLA:2026-03-09",
      date: "2026-03-09",
      symbol: "TSLA",
      type: "eod",
      outcome: "dead_lettered",
    });
    bus.emit({
      kind: "quality_checked",
      score: 1,
      contracts: 100,
      runId: "r1",
      date: "2026-03-09",
      symbol: "SPY",
      type: "eod",
      issues: [
        { rule: "crossed_quote", severity: "error", count: 3, message: "bid above ask" },
        { rule: "stale_quote", severity: "warning", count: 2, message: "same as yesterday" },
      ],
    });
    bus.emit({ kind: "ib_messages_sent", count: 5 });
    bus.emit({ kind: "ib_messages_sent", count: 7 });
    bus.emit({ kind: "ib_error", code: 100 });
    bus.emit({ kind: "ib_error", code: 100 });
    bus.emit({ kind: "ib_error", code: 10197 });

    const scrape = await Scrape.of(server.url);
    const now = clock.now().getTime() / 1000;
    expect(
      scrape.value("chainvault_collection_last_success_timestamp_seconds", { symbol: "SPY", type: "eod" }),
    ).toBe(now);
    // A partial run sets its coverage but is no success.
    expect(
      scrape.value("chainvault_collection_last_success_timestamp_seconds", { symbol: "PLTR", type: "eod" }),
    ).toBeUndefined();
    expect(scrape.value("chainvault_collection_coverage_ratio", { symbol: "SPY", type: "eod" })).toBe(1);
    expect(scrape.value("chainvault_collection_coverage_ratio", { symbol: "PLTR", type: "eod" })).toBe(0.8);
    // "busy" collected nothing of its own: no coverage, no duration.
    expect(
      scrape.value("chainvault_collection_coverage_ratio", { symbol: "TSLA", type: "eod" }),
    ).toBeUndefined();
    expect(scrape.value("chainvault_quotes_stored_total")).toBe(120);
    expect(scrape.value("chainvault_slot_runs_total", { type: "eod", outcome: "completed" })).toBe(1);
    expect(scrape.value("chainvault_slot_runs_total", { type: "eod", outcome: "dead_lettered" })).toBe(2);
    expect(
      scrape.value("chainvault_quality_issues_total", { rule: "crossed_quote", severity: "error" }),
    ).toBe(3);
    expect(
      scrape.value("chainvault_quality_issues_total", { rule: "stale_quote", severity: "warning" }),
    ).toBe(2);
    expect(scrape.value("chainvault_ib_messages_sent_total")).toBe(12);
    expect(scrape.value("chainvault_ib_errors_total", { code: "100" })).toBe(2);
    expect(scrape.value("chainvault_ib_errors_total", { code: "10197" })).toBe(1);

    const duration = scrape.family("chainvault_collection_duration_seconds");
    expect(duration.type).toBe("HISTOGRAM");
    const eod = duration.metrics[0]!;
    expect(Number(eod.count)).toBe(2);
    expect(Number(eod.sum)).toBe(42.5);
    expect(Number(eod.buckets!["5"])).toBe(0);
    expect(Number(eod.buckets!["15"])).toBe(1);
    expect(Number(eod.buckets!["30"])).toBe(2);
  });

  it("never moves a last success back when the database is read again later", async () => {
    await metrics.loadLastSuccesses(database.db);
    const scrape = await Scrape.of(server.url);
    expect(
      scrape.value("chainvault_collection_last_success_timestamp_seconds", { symbol: "SPY", type: "eod" }),
    ).toBe(clock.now().getTime() / 1000);
  });

  it("answers /healthz and /readyz with JSON bodies", async () => {
    const health = await getJson(server.url, "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", alive: true, limitSeconds: 180 });
    const ready = await getJson<{ ready: boolean; checks: Record<string, { ready: boolean }> }>(
      server.url,
      "/readyz",
    );
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database!.ready).toBe(true);
  });
});

describe("access to the endpoints", () => {
  const clock = new ManualClock(new Date("2026-03-09T21:00:00Z"));
  const parts = () => ({
    metrics: new ChainvaultMetrics({ clock, defaultMetrics: false }),
    readiness: new Readiness({ clock, maxAgeMs: 60_000, checks: {} }),
    liveness: () => liveness({ now: clock.now(), lastLoopAt: null, startedAt: clock.now(), tickMs: 60_000 }),
    logger,
  });

  it("refuses to serve an address other machines reach without a token, and names what to set", async () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.20"]) {
      const start = startHttpServer({ ...parts(), host, port: 0, tokenEnv: "CHAINVAULT_HTTP_TOKEN" });
      await expect(start).rejects.toThrow(UsageError);
      await expect(start).rejects.toThrow(/CHAINVAULT_HTTP_TOKEN=<secret>.*http\.host: 127\.0\.0\.1/);
    }
  });

  it("with a token, answers 401 without it or with a wrong one, 200 with it, on every endpoint", async () => {
    const server = await startHttpServer({ ...parts(), host: "127.0.0.1", port: 0, token: TOKEN });
    try {
      for (const path of ["/healthz", "/readyz", "/metrics"]) {
        const none = await get(server.url, path);
        expect(none.status).toBe(401);
        expect(none.headers.get("www-authenticate")).toBe('Bearer realm="chainvault"');
        expect(none.body).not.toContain(TOKEN);
        expect((await get(server.url, path, `${TOKEN}x`)).status).toBe(401);
        expect((await get(server.url, path, TOKEN.slice(0, -1))).status).toBe(401);
        expect((await get(server.url, path, TOKEN)).status).toBe(200);
      }
      // Anything else than the Bearer scheme is refused too.
      const basic = await fetch(`${server.url}/metrics`, { headers: { authorization: `Basic ${TOKEN}` } });
      expect(basic.status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it("on loopback without a token, serves without a header", async () => {
    const server = await startHttpServer({ ...parts(), host: "127.0.0.1", port: 0 });
    try {
      expect((await get(server.url, "/metrics")).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
