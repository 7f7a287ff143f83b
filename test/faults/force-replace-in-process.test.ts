import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../helpers/db.ts";
import { startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { expectOnlyNewSnapshot, runOwnerOf, statusOf, storedQuotes, vixTicks } from "./checks.ts";
import { DATE } from "./fixture.ts";

/**
 * Forced runs that end (test/faults/force-replace.test.ts kills one): a completed one leaves exactly
 * its new snapshot and a fresh VIX tick; a failed one leaves the old snapshot whole and its replacement
 * pending, which the next run, forced or not, finishes.
 */

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
    const old = await storedQuotes(h.db, { symbol: "PLTR" });
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
    const old = await storedQuotes(h.db, { symbol: "PLTR" });
    const oldVix = await vixTicks(h.db);
    h.sim.faults.set({ competingSession: true }); // every market-data request fails with 10197
    try {
      const failed = await h.collect({ symbols: ["PLTR"], date: DATE, force: true });
      expect(failed.symbols[0]?.status).toBe("failed");
    } finally {
      h.sim.faults.set({ competingSession: undefined });
    }
    expect((await storedQuotes(h.db, { symbol: "PLTR" })).keys).toEqual(old.keys);
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
