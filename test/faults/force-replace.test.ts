import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../../src/store/database.ts";
import { startCli } from "../helpers/cli.ts";
import { TEST_ENGINES, testUrlFor } from "../helpers/db.ts";
import { startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { DATE, collectionRows, runOwnerOf, statusOf, waitUntil, writeCollectConfig } from "./run-fixture.ts";
import type { CollectionRows } from "./run-fixture.ts";

/**
 * `collect --force` replaces a collection atomically: the new snapshot is written beside the old one
 * and the old one is deleted in the transaction that records the status. A kill at any moment leaves
 * every symbol's old snapshot whole (beside part of the new one); the next forced run finishes the
 * replacement and leaves exactly one snapshot, and a fresh VIX tick.
 */

interface Summary {
  symbols: { symbol: string; status: string; contracts_selected: number; quotes_stored: number }[];
}

async function vixTicks(db: Queryable): Promise<Date[]> {
  const result = await db.query<{ time: Date }>(
    `SELECT t.time FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id
      WHERE u.symbol = 'VIX' AND t.collection_date = $1 AND t.collection_type = 'eod' ORDER BY t.time`,
    [DATE],
  );
  return result.rows.map((row) => row.time);
}

async function underlyingTicks(db: Queryable, symbol: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2 AND t.collection_type = 'eod'`,
    [symbol, DATE],
  );
  return result.rows[0]!.n;
}

/** Exactly one snapshot of `selected` contracts, none of whose rows belong to `old`. */
async function expectOnlyNewSnapshot(db: Queryable, symbol: string, old: CollectionRows, selected: number) {
  const now = await collectionRows(db, symbol);
  expect(now.rows).toBe(selected);
  expect(now.distinctKeys).toBe(now.rows);
  expect(now.distinctContracts).toBe(now.rows);
  expect([...now.keys].filter((key) => old.keys.has(key))).toEqual([]);
  expect(await statusOf(db, symbol)).toEqual({ status: "completed", records_collected: now.rows });
  expect(await runOwnerOf(db, symbol)).toMatchObject({ released: true, replacing_before: null });
  expect(await underlyingTicks(db, symbol)).toBe(1);
}

describe("collect --force killed mid-run (PostgreSQL, real processes)", () => {
  let h: Harness;
  let dir: string;
  let config: string;
  let url: string;

  beforeAll(async () => {
    h = await startHarness({
      engine: "postgres",
      start: { date: DATE, timeEt: "16:45" },
      config: { selection: { max_days_to_expiry: 2 }, collect: { include_vix: true } },
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-force-"));
    // Paced and written in small batches, so the kill lands while SPY's new rows arrive.
    config = await writeCollectConfig(dir, h.sim, {
      messagesPerSecond: 100,
      collect: { include_vix: true, write_batch_rows: 10 },
    });
    const name = await h.db.query<{ name: string }>("SELECT current_database() AS name");
    url = testUrlFor(name.rows[0]!.name);
  });
  afterAll(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("leaves each symbol's old snapshot whole when killed, and the next forced run leaves exactly one", async () => {
    const initial = await h.collect({ symbols: ["SPY", "PLTR"], date: DATE });
    expect(initial.symbols.map((entry) => entry.status)).toEqual(["completed", "completed"]);
    const old = { SPY: await collectionRows(h.db, "SPY"), PLTR: await collectionRows(h.db, "PLTR") };
    const oldVix = await vixTicks(h.db);
    expect(old.SPY.rows).toBe(initial.symbols[0]!.contracts_selected);
    expect(old.PLTR.rows).toBe(initial.symbols[1]!.contracts_selected);
    expect(oldVix).toHaveLength(1);

    const args = [
      "collect",
      "--symbols",
      "SPY,PLTR",
      "--date",
      DATE,
      "--force",
      "--json",
      "--config",
      config,
    ];
    const forced = startCli(args, { DATABASE_URL: url, IB_CLIENT_ID: "32" });
    const newSpyRows = async () => {
      const now = await collectionRows(h.db, "SPY");
      return [...now.keys].filter((key) => !old.SPY.keys.has(key)).length;
    };
    // Mid-SPY: some of its new rows are stored, and PLTR (prepared meanwhile) has begun its replacement.
    await waitUntil("SPY's new snapshot to be under way", async () => (await newSpyRows()) >= 20);
    forced.child.kill("SIGKILL");
    const killed = await forced.done;
    expect(killed.signal).toBe("SIGKILL");

    const spy = await collectionRows(h.db, "SPY");
    const pltr = await collectionRows(h.db, "PLTR");
    // Never less than the old snapshot: every old row is still there.
    expect([...old.SPY.keys].filter((key) => !spy.keys.has(key))).toEqual([]);
    expect([...old.PLTR.keys].filter((key) => !pltr.keys.has(key))).toEqual([]);
    const partial = spy.rows - old.SPY.rows;
    expect(partial).toBeGreaterThanOrEqual(20);
    expect(partial).toBeLessThan(old.SPY.rows);
    expect(spy.distinctKeys).toBe(spy.rows);
    expect(pltr.distinctKeys).toBe(pltr.rows);
    expect(await runOwnerOf(h.db, "SPY")).toMatchObject({ owner_pid: forced.child.pid, released: false });
    expect((await runOwnerOf(h.db, "SPY"))?.replacing_before).toBeInstanceOf(Date);
    // VIX is refreshed before the symbols, new tick first: one tick, never none.
    expect(await vixTicks(h.db)).toHaveLength(1);

    const started = performance.now();
    const rerun = await startCli(args, { DATABASE_URL: url, IB_CLIENT_ID: "33" }).done;
    const recoverySeconds = (performance.now() - started) / 1000;
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout) as Summary;
    expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
      ["SPY", "completed"],
      ["PLTR", "completed"],
    ]);
    // The rerun continued the interrupted replacement: SPY's rows from the killed run were kept.
    expect(rerun.stderr).toMatch(/continuing an interrupted replacement/);
    await expectOnlyNewSnapshot(h.db, "SPY", old.SPY, summary.symbols[0]!.contracts_selected);
    await expectOnlyNewSnapshot(h.db, "PLTR", old.PLTR, summary.symbols[1]!.contracts_selected);
    const vix = await vixTicks(h.db);
    expect(vix).toHaveLength(1);
    expect(vix[0]!.getTime()).toBeGreaterThan(oldVix[0]!.getTime());
    console.log(
      `force-replace: killed after ${partial} of SPY's new rows; rerun with --force took ${recoverySeconds.toFixed(1)} s`,
    );
  });
});

describe.each(TEST_ENGINES)("forced runs in process (%s)", (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      engine,
      start: { date: DATE, timeEt: "16:45" },
      config: {
        selection: { max_days_to_expiry: 2 },
        collect: { include_vix: true, snapshot_timeout_ms: 500 },
      },
    });
    const initial = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(initial.symbols[0]?.status).toBe("completed");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a forced run that completes leaves exactly one snapshot and a fresh VIX tick", async () => {
    const old = await collectionRows(h.db, "PLTR");
    const oldVix = await vixTicks(h.db);
    expect(oldVix).toHaveLength(1);
    const forced = await h.collect({ symbols: ["PLTR"], date: DATE, force: true });
    expect(forced.symbols[0], forced.symbols[0]?.error).toMatchObject({ status: "completed", coverage: 1 });
    await expectOnlyNewSnapshot(h.db, "PLTR", old, forced.symbols[0]!.contracts_selected);
    const vix = await vixTicks(h.db);
    expect(vix).toHaveLength(1);
    expect(vix[0]!.getTime()).toBeGreaterThan(oldVix[0]!.getTime());
  });

  it("a forced run that fails keeps the old snapshot whole; the next run finishes the replacement", async () => {
    const old = await collectionRows(h.db, "PLTR");
    const oldVix = await vixTicks(h.db);
    h.sim.faults.set({ competingSession: true }); // every market-data request fails with 10197
    try {
      const failed = await h.collect({ symbols: ["PLTR"], date: DATE, force: true });
      expect(failed.symbols[0]?.status).toBe("failed");
    } finally {
      h.sim.faults.set({ competingSession: undefined });
    }
    expect((await collectionRows(h.db, "PLTR")).keys).toEqual(old.keys);
    expect(await vixTicks(h.db)).toEqual(oldVix);
    expect(await statusOf(h.db, "PLTR")).toMatchObject({ status: "failed" });
    const pending = await runOwnerOf(h.db, "PLTR");
    expect(pending).toMatchObject({ released: true });
    expect(pending?.replacing_before).toBeInstanceOf(Date);

    // Not forced: the pending replacement is what remains to do, so the run collects every contract anew.
    const next = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(next.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    await expectOnlyNewSnapshot(h.db, "PLTR", old, next.symbols[0]!.contracts_selected);
  });
});
