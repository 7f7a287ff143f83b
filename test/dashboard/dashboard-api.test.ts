import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { EventBus } from "../../src/core/events.ts";
import { createDaemonMonitor } from "../../src/http/monitor.ts";
import { runMain } from "../helpers/cli.ts";
import { startDashboardServer } from "../../src/dashboard/server.ts";
import type { DashboardServer } from "../../src/dashboard/server.ts";
import { silent, startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { TEST_ENGINES } from "../helpers/db.ts";
import { CASES, CHAIN_CONFIG, NOW, fillWeek, weekPlan } from "./week-fixture.ts";

interface Cell {
  date: string;
  symbol: string;
  type: string;
  outcome: string;
  coverage: number | null;
  runId: string | null;
  error: string | null;
}

describe.each(TEST_ENGINES)("the dashboard's JSON endpoints (%s)", (engine) => {
  let h: Harness;
  let server: DashboardServer;
  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    h = await startHarness({
      engine,
      start: { date: CASES.chain.date, timeEt: "16:45" },
      config: CHAIN_CONFIG,
    });
    await fillWeek(h);
    server = await startDashboardServer({
      host: "127.0.0.1",
      port: 0,
      db: h.db,
      plan: weekPlan(),
      clock: new ManualClock(NOW),
      logger: silent,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it("/api/health: the week's cells with the missed night, the partial run and the dead letter", async () => {
    const { status, body } = await get("/api/health");
    expect(status).toBe(200);
    const cells = body.cells as Cell[];
    const cell = (date: string, symbol: string, type: string) =>
      cells.find((c) => c.date === date && c.symbol === symbol && c.type === type);
    expect(cell(CASES.missed.date, "SPY", "eod")?.outcome).toBe("missed");
    expect(cell(CASES.missed.date, "QQQ", "eod")?.outcome).toBe("missed");
    expect(cell(CASES.partial.date, "QQQ", "eod")).toMatchObject({ outcome: "partial", coverage: 0.6 });
    expect(cell(CASES.deadLettered.date, "QQQ", "analytics")?.outcome).toBe("dead_lettered");
    expect(cell(CASES.chain.date, "SPY", "eod")?.outcome).toBe("completed");
    expect(cell("2026-03-10", "SPY", "analytics")?.outcome).toBe("completed");
    // Before chainvault's first start nothing was expected.
    expect(cell("2026-03-05", "SPY", "eod")?.outcome).toBe("skipped");
    expect(new Set(cells.map((c) => c.date)).size).toBeGreaterThanOrEqual(90);
    expect(body.today).toBe("2026-03-16");
    expect((body.todayPlan as Cell[]).map((slot) => `${slot.symbol} ${slot.type} ${slot.outcome}`)).toEqual(
      expect.arrayContaining(["SPY eod pending", "QQQ analytics pending"]),
    );
    expect((body.next as { type: string }[])[0]?.type).toBe("analytics");
    const failures = body.failures as { date: string; status: string; error: string; runId: string }[];
    expect(failures.find((f) => f.status === "partial")).toMatchObject({
      date: CASES.partial.date,
      error: expect.stringContaining("never answered"),
      runId: expect.stringMatching(/^0{8}-/),
    });
    const deadLetters = body.deadLetters as { error: string; runId: string }[];
    expect(deadLetters[0]?.error).toContain("10197");
    const quality = body.quality as { rule: string; runId: string }[];
    expect(quality.some((issue) => issue.rule === "coverage" && issue.runId !== null)).toBe(true);
    const storage = body.storage as { table: string; bytes: number }[];
    expect(storage.find((row) => row.table === "market_data_ticks")?.bytes).toBeGreaterThan(0);
  });

  it("/api/snapshots and /api/chain: SPY's chain with both sides and the analytics per expiry", async () => {
    const snapshots = (await get("/api/snapshots")).body.snapshots as {
      symbol: string;
      date: string;
      type: string;
    }[];
    expect(snapshots).toContainEqual(
      expect.objectContaining({ symbol: "SPY", date: CASES.chain.date, type: "eod" }),
    );
    // Bookkeeping and other symbols' status rows without quotes are not offered... QQQ's are rows only.
    const { status, body } = await get(`/api/chain?symbol=SPY&date=${CASES.chain.date}&type=eod`);
    expect(status).toBe(200);
    const expiries = body.expiries as {
      expiry: string;
      forward: number | null;
      rows: { strike: number; call: { bid: number; impliedVolatility: number } | null; put: unknown }[];
    }[];
    expect(expiries.length).toBeGreaterThan(1);
    const first = expiries[0]!;
    expect(first.rows.filter((row) => row.call !== null && row.put !== null).length).toBeGreaterThan(3);
    expect(first.rows.some((row) => (row.call?.impliedVolatility ?? 0) > 0)).toBe(true);
    expect(expiries.some((expiry) => expiry.forward !== null)).toBe(true);
  });

  it("/api/chain refuses bad input with 400; /api/progress is empty outside the daemon", async () => {
    expect((await get("/api/chain?symbol=SPY;drop&date=x&type=eod")).status).toBe(400);
    expect((await get("/api/progress")).body).toEqual({ live: false, runs: [], messagesPerSecond: 0 });
  });
});

describe("the daemon's dashboard (http.dashboard) and the command's exposure rule", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ engine: "pglite", start: { date: CASES.chain.date, timeEt: "16:45" } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it("serves the page beside /metrics, with live progress from the collector's events", async () => {
    const clock = new ManualClock(NOW);
    const events = new EventBus(silent);
    const monitor = await createDaemonMonitor({
      http: { host: "127.0.0.1", port: 0, token_env: "CHAINVAULT_HTTP_TOKEN" },
      token: undefined,
      db: h.db,
      gateway: { host: h.sim.host, port: h.sim.port },
      events,
      clock,
      tickMs: 1000,
      logger: silent,
      dashboard: { plan: weekPlan() },
    });
    try {
      const served = await monitor.serve({
        scheduler: { lastLoopAt: null },
        queue: { health: async () => ({ queued: 0, active: 0 }) },
      });
      const page = await fetch(`${served.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("/assets/uPlot.js");
      const uplot = await fetch(`${served.url}/assets/uPlot.js`);
      expect(uplot.headers.get("content-type")).toContain("javascript");
      expect((await uplot.text()).length).toBeGreaterThan(10_000);
      expect((await fetch(`${served.url}/metrics`)).status).toBe(200);
      const runId = "00000000-0000-4000-8000-0000000000aa";
      events.emit({
        kind: "collection_progress",
        runId,
        date: CASES.chain.date,
        symbol: "SPY",
        type: "eod",
        phase: "snapshots",
        done: 40,
        total: 100,
        linesInUse: 12,
        lines: 100,
      });
      events.emit({ kind: "ib_messages_sent", count: 200 });
      const progress = await (await fetch(`${served.url}/api/progress`)).json();
      expect(progress).toMatchObject({
        live: true,
        messagesPerSecond: 40,
        runs: [
          { runId, symbol: "SPY", phase: "snapshots", done: 40, total: 100, linesInUse: 12, lines: 100 },
        ],
      });
      expect((await fetch(`${served.url}/api/health`)).status).toBe(200);
    } finally {
      await monitor.close();
    }
  });

  it("with a token: 401 without it, a cookie once opened as /?token=, then the page's requests pass", async () => {
    const token = "dashboard-test-token-0123456789";
    const server = await startDashboardServer({
      host: "127.0.0.1",
      port: 0,
      token,
      db: h.db,
      plan: weekPlan(),
      clock: new ManualClock(NOW),
      logger: silent,
    });
    try {
      expect((await fetch(`${server.url}/`)).status).toBe(401);
      expect((await fetch(`${server.url}/?token=wrong-token-0123456789`)).status).toBe(401);
      const opened = await fetch(`${server.url}/?token=${token}`);
      expect(opened.status).toBe(200);
      const cookie = opened.headers.get("set-cookie")!.split(";")[0]!;
      expect(cookie).toBe(`chainvault_token=${token}`);
      expect((await fetch(`${server.url}/api/progress`, { headers: { cookie } })).status).toBe(200);
      const bearer = { authorization: `Bearer ${token}` };
      expect((await fetch(`${server.url}/api/progress`, { headers: bearer })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("chainvault dashboard refuses a reachable address without a token (exit 2, nothing served)", async () => {
    const saved = process.env.CHAINVAULT_HTTP_TOKEN;
    delete process.env.CHAINVAULT_HTTP_TOKEN;
    try {
      const result = await runMain(["dashboard", "--host", "0.0.0.0", "--data-dir", "memory://"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^chainvault: http.host is 0.0.0.0, which other machines can reach/);
      const port = await runMain(["dashboard", "--port", "http"]);
      expect(port.code).toBe(2);
      expect(port.stderr).toContain("--port must be a TCP port number");
    } finally {
      if (saved !== undefined) process.env.CHAINVAULT_HTTP_TOKEN = saved;
    }
  });
});
