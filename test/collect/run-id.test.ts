import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { readInstall } from "../../src/store/repositories/install.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

// A Monday after the close: SPY lists daily expiries, PLTR only Friday's, four days out.
const MONDAY = "2025-01-13";
const TIER = { range: 0.01, min_strikes: 2 };
const CONFIG = {
  selection: {
    mode: "window",
    max_days_to_expiry: 2,
    tiers: { low_iv: TIER, normal_iv: TIER, high_iv: TIER },
  },
  collect: { include_vix: false, snapshot_timeout_ms: 1500, max_attempts: 1 },
};
const GIVEN_RUN = "7d3f1c2e-9a4b-4c5d-8e6f-0a1b2c3d4e5f";

describe("one collection run's id, events and empty chains", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ engine: "postgres", start: { date: MONDAY, timeEt: "16:45" }, config: CONFIG });
  });
  afterAll(async () => {
    await h?.close();
  });

  const run = async (symbols: string[], options: { type?: "eod" | "pre_expiry"; runId?: string } = {}) => {
    const log = capturedLog("debug");
    const events: ChainvaultEvent[] = [];
    const bus = new EventBus();
    bus.on((event) => void events.push(event));
    const summary = await runCollection(
      { symbols, type: options.type ?? "eod", date: MONDAY },
      { db: h.db, ib: h.ib, config: h.config, logger: log.logger, events: bus },
      options.runId ? { runId: options.runId } : {},
    );
    return { summary, log, events };
  };

  it("records the first collection as chainvault's start on the database, by the gateway's clock", async () => {
    expect(await readInstall(h.db)).toBeNull();
    const { summary } = await run(["SPY"]);
    const installed = await readInstall(h.db);
    expect(installed).not.toBeNull();
    const sinceClose = installed!.getTime() - Date.parse("2025-01-13T21:45:00Z");
    expect(sinceClose).toBeGreaterThanOrEqual(0);
    expect(sinceClose).toBeLessThan(60_000);
    // Never overwritten by a later run.
    h.sim.clock.set(new Date("2025-01-13T21:50:00Z"));
    await run(["SPY"]);
    expect((await readInstall(h.db))?.getTime()).toBe(installed!.getTime());
    expect(summary.symbols[0]?.status).toBe("completed");
  });

  it("fails a symbol whose chain lists no contract in the run's window, and reports it", async () => {
    const { summary, log, events } = await run(["PLTR"], { runId: GIVEN_RUN });
    expect(summary.run_id).toBe(GIVEN_RUN);
    expect(summary.symbols[0]).toMatchObject({
      symbol: "PLTR",
      status: "failed",
      contracts_discovered: 0,
      contracts_selected: 0,
      quotes_stored: 0,
      coverage: 0,
    });
    expect(summary.symbols[0]?.error).toMatch(
      /no PLTR option contracts listed within selection.max_days_to_expiry \(2 days\) of 2025-01-13 \(next listed expiry: 2025-01-17\); nothing was stored\. Raise selection.max_days_to_expiry/,
    );
    expect(events.filter((event) => event.kind === "collection_finished")).toEqual([
      {
        kind: "collection_finished",
        runId: GIVEN_RUN,
        date: MONDAY,
        symbol: "PLTR",
        type: "eod",
        status: "failed",
        listed: 0,
        selected: 0,
        stored: 0,
        coverage: 0,
        durationSeconds: summary.symbols[0]!.duration_s,
        error: summary.symbols[0]!.error,
      },
    ]);
    // An expected failure: its message in the log, no stack.
    const failed = log.matching(/collection failed/);
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.err)).not.toMatch(/\n\s+at /);
    const row = await h.db.query<{
      status: string;
      run_id: string;
      contracts_listed: number;
      contracts_selected: number;
    }>(
      `SELECT status, run_id, contracts_listed, contracts_selected FROM daily_collection_status
        WHERE collection_date = $1 AND symbol = 'PLTR' AND collection_type = 'eod'`,
      [MONDAY],
    );
    expect(row.rows).toEqual([
      { status: "failed", run_id: GIVEN_RUN, contracts_listed: 0, contracts_selected: 0 },
    ]);
  });

  it("completes a pre-expiry collection on a day the symbol has no expiry, saying there was nothing to collect", async () => {
    const { summary } = await run(["PLTR"], { type: "pre_expiry" });
    expect(summary.symbols[0]).toMatchObject({
      status: "completed",
      contracts_discovered: 0,
      quotes_stored: 0,
    });
    const row = await h.db.query<{ status: string; error_message: string }>(
      `SELECT status, error_message FROM daily_collection_status
        WHERE collection_date = $1 AND symbol = 'PLTR' AND collection_type = 'pre_expiry'`,
      [MONDAY],
    );
    expect(row.rows).toEqual([
      {
        status: "completed",
        error_message: "no PLTR options have their last trading day on 2025-01-13: nothing to collect",
      },
    ]);
  });

  it("carries the run's id in every log line, its status rows, its dead letters, its lock rows and its events", async () => {
    // PLTR's options feed goes silent: every PLTR contract is dead-lettered under this run's id.
    h.sim.faults.set({ silentOptionSymbols: ["PLTR"] });
    try {
      h.sim.clock.set(new Date("2025-01-15T21:45:00Z"));
      const log = capturedLog("debug");
      const events: ChainvaultEvent[] = [];
      const bus = new EventBus();
      bus.on((event) => void events.push(event));
      const summary = await runCollection(
        { symbols: ["SPY", "PLTR"], type: "eod", date: "2025-01-15" },
        { db: h.db, ib: h.ib, config: h.config, logger: log.logger, events: bus },
      );
      const runId = summary.run_id;
      expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
        ["SPY", "completed"],
        ["PLTR", "failed"],
      ]);
      expect(log.matching(/^collecting$/).map((line) => line.symbol)).toEqual(["SPY", "PLTR"]);
      expect(log.matching(/^collected$/).map((line) => line.symbol)).toEqual(["SPY", "PLTR"]);
      expect(log.lines.filter((line) => line.runId !== runId)).toEqual([]);

      const rows = await h.db.query<{ symbol: string; run_id: string }>(
        "SELECT symbol, run_id FROM daily_collection_status WHERE collection_date = '2025-01-15' ORDER BY symbol",
      );
      expect(rows.rows).toEqual([
        { symbol: "PLTR", run_id: runId },
        { symbol: "SPY", run_id: runId },
      ]);
      const letters = await h.db.query<{ run_id: string; n: number }>(
        "SELECT run_id, count(*)::int AS n FROM collection_dead_letters WHERE collection_date = '2025-01-15' GROUP BY run_id",
      );
      expect(letters.rows).toHaveLength(1);
      expect(letters.rows[0]!.run_id).toBe(runId);
      expect(letters.rows[0]!.n).toBe(summary.symbols[1]!.contracts_selected);
      const owners = await h.db.query<{ run_id: string }>(
        "SELECT DISTINCT run_id FROM collection_runs WHERE collection_date = '2025-01-15'",
      );
      expect(owners.rows).toEqual([{ run_id: runId }]);

      const finished = events.filter((event) => event.kind === "collection_finished");
      expect(
        finished.map(
          (event) => event.kind === "collection_finished" && [event.symbol, event.status, event.runId],
        ),
      ).toEqual([
        ["SPY", "completed", runId],
        ["PLTR", "failed", runId],
      ]);
      const spy = finished[0] as Extract<ChainvaultEvent, { kind: "collection_finished" }>;
      expect(spy.listed).toBe(summary.symbols[0]!.contracts_discovered);
      expect(spy.selected).toBe(summary.symbols[0]!.contracts_selected);
      expect(spy.stored).toBe(spy.selected);
      expect(spy.coverage).toBe(1);
    } finally {
      h.sim.faults.set({ silentOptionSymbols: undefined });
    }
  });
});
