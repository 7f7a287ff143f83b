import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionProgress } from "../../src/collect/summary.ts";
import { silent, startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const DATE = "2025-01-15";

/**
 * A run stopped through its AbortSignal (what SIGTERM does in `collect` and the daemon): no contract or
 * symbol is started after the abort, what arrived is written, and the status rows say how far it got; the
 * next run resumes from there.
 */
describe("stopping a collection run", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "16:45" },
      config: { selection: { max_days_to_expiry: 3 }, collect: { include_vix: false, write_batch_rows: 7 } },
      sim: { frozenClock: true, snapshotLatencyMs: 20 },
      pacer: { messagesPerSecond: 5000, lines: 4 },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function rowsOf(symbol: string): Promise<{ rows: number; contracts: number }> {
    const result = await h.db.query<{ n: number; contracts: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT q.contract_id)::int AS contracts FROM market_data_ticks q
         JOIN option_chains c ON c.id = q.contract_id JOIN underlying_securities u ON u.id = c.underlying_id
        WHERE u.symbol = $1 AND q.collection_date = $2`,
      [symbol, DATE],
    );
    return { rows: result.rows[0]!.n, contracts: result.rows[0]!.contracts };
  }

  async function statusOf(symbol: string) {
    const result = await h.db.query<{
      status: string;
      records_collected: number;
      error_message: string | null;
    }>(
      "SELECT status, records_collected, error_message FROM daily_collection_status WHERE symbol = $1 AND collection_date = $2",
      [symbol, DATE],
    );
    return result.rows[0] ?? null;
  }

  it("takes no contract or symbol after the abort, records how far it got, and the next run resumes", async () => {
    const stop = new AbortController();
    const onProgress = (progress: CollectionProgress) => {
      if (progress.symbol === "SPY" && progress.phase === "snapshots" && progress.done >= 10)
        stop.abort("SIGTERM");
    };
    const symbols = ["SPY", "PLTR", "TSLA"];
    const deps = { db: h.db, ib: h.ib, config: h.config, logger: silent };
    const stopped = await runCollection(
      { symbols, type: "eod", date: DATE },
      { ...deps, onProgress },
      { signal: stop.signal },
    );
    // PLTR's discovery overlapped SPY's snapshots, so it has a row; TSLA was never started.
    expect(stopped.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
      ["SPY", "partial"],
      ["PLTR", "partial"],
    ]);
    const spy = stopped.symbols[0]!;
    const match = /^interrupted by SIGTERM after (\d+) of (\d+) contracts; the next run resumes$/.exec(
      spy.error!,
    );
    expect(match, spy.error).not.toBeNull();
    const [done, total] = [Number(match![1]), Number(match![2])];
    // The requests in flight at the abort finished and were written; nothing was requested after them.
    expect(done).toBeGreaterThanOrEqual(10);
    expect(done).toBeLessThanOrEqual(10 + 4 + 2);
    expect(total).toBe(spy.contracts_selected);
    expect(await rowsOf("SPY")).toEqual({ rows: done, contracts: done });
    expect(await statusOf("SPY")).toMatchObject({ status: "partial", records_collected: done });
    expect(await statusOf("PLTR")).toEqual({
      status: "partial",
      records_collected: 0,
      error_message: "interrupted by SIGTERM before its snapshots; the next run resumes",
    });
    expect(stopped.symbols[1]!.coverage).toBe(0);
    expect(await rowsOf("PLTR")).toEqual({ rows: 0, contracts: 0 });
    expect(await statusOf("TSLA")).toBeNull();

    const resumed = await runCollection({ symbols, type: "eod", date: DATE }, deps);
    for (const entry of resumed.symbols) {
      expect(entry.status, entry.symbol).toBe("completed");
      expect(await rowsOf(entry.symbol)).toEqual({
        rows: entry.contracts_selected,
        contracts: entry.contracts_selected,
      });
      expect(await statusOf(entry.symbol)).toMatchObject({
        status: "completed",
        records_collected: entry.contracts_selected,
      });
    }
    expect(resumed.symbols[0]!.contracts_selected).toBe(total);
  });

  it("a run aborted before it starts touches nothing", async () => {
    const stop = new AbortController();
    stop.abort("SIGINT");
    const before = await h.db.query<{ n: number }>("SELECT count(*)::int AS n FROM daily_collection_status");
    const summary = await runCollection(
      { symbols: ["SPY"], type: "eod", date: DATE },
      { db: h.db, ib: h.ib, config: h.config, logger: silent },
      { signal: stop.signal },
    );
    expect(summary.symbols).toEqual([]);
    const after = await h.db.query<{ n: number }>("SELECT count(*)::int AS n FROM daily_collection_status");
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });
});
