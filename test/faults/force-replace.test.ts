import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testUrlFor } from "../helpers/db.ts";
import { startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { expectOnlyNewSnapshot, runOwnerOf, storedQuotes, vixTicks } from "./checks.ts";
import { DATE, runProcess, startProcess, summaryOf, waitFor, writeConfig } from "./fixture.ts";

/**
 * `collect --force` replaces a collection atomically: the new snapshot is written beside the old one
 * and the old one is deleted in the transaction that records the status. A kill at any moment leaves
 * every symbol's old snapshot whole (beside part of the new one); the next forced run finishes the
 * replacement and leaves exactly one snapshot, and a fresh VIX tick.
 */

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
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-force-"));
    // Paced and written in small batches, so the kill lands while TSLA's new rows arrive.
    config = writeConfig(dir, h.sim, {
      ib: { max_messages_per_second: 100 },
      selection: { max_days_to_expiry: 2 },
      collect: { include_vix: true, write_batch_rows: 10, snapshot_timeout_ms: 60_000 },
    });
    const name = await h.db.query<{ name: string }>("SELECT current_database() AS name");
    url = testUrlFor(name.rows[0]!.name);
  });
  afterAll(async () => {
    await h?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    "leaves each symbol's old snapshot whole when killed, and the next forced run leaves exactly one",
    { timeout: 120_000 },
    async () => {
      const initial = await h.collect({ symbols: ["TSLA", "PLTR"], date: DATE });
      expect(initial.symbols.map((entry) => entry.status)).toEqual(["completed", "completed"]);
      const old = {
        TSLA: await storedQuotes(h.db, { symbol: "TSLA" }),
        PLTR: await storedQuotes(h.db, { symbol: "PLTR" }),
      };
      const oldVix = await vixTicks(h.db);
      expect(old.TSLA.rows).toBe(initial.symbols[0]!.contracts_selected);
      expect(old.PLTR.rows).toBe(initial.symbols[1]!.contracts_selected);
      expect(oldVix).toHaveLength(1);

      const args = [
        "collect",
        "--symbols",
        "TSLA,PLTR",
        "--date",
        DATE,
        "--force",
        "--json",
        "--config",
        config,
      ];
      const forced = startProcess(args, { env: { DATABASE_URL: url, IB_CLIENT_ID: "32" } });
      const newTslaRows = async () => {
        const now = await storedQuotes(h.db, { symbol: "TSLA" });
        return [...now.keys].filter((key) => !old.TSLA.keys.has(key)).length;
      };
      // Mid-TSLA: some of its new rows are stored, and PLTR (prepared meanwhile) has begun its replacement.
      await waitFor("TSLA's new snapshot to be under way", async () => (await newTslaRows()) >= 20);
      forced.child.kill("SIGKILL");
      const killed = await forced.exited;
      expect(killed.signal).toBe("SIGKILL");

      const tsla = await storedQuotes(h.db, { symbol: "TSLA" });
      const pltr = await storedQuotes(h.db, { symbol: "PLTR" });
      // Never less than the old snapshot: every old row is still there.
      expect([...old.TSLA.keys].filter((key) => !tsla.keys.has(key))).toEqual([]);
      expect([...old.PLTR.keys].filter((key) => !pltr.keys.has(key))).toEqual([]);
      const partial = tsla.rows - old.TSLA.rows;
      const partialKeys = [...tsla.keys].filter((key) => !old.TSLA.keys.has(key));
      expect(partial).toBeGreaterThanOrEqual(20);
      expect(partial).toBeLessThan(old.TSLA.rows);
      expect(tsla.distinctKeys).toBe(tsla.rows);
      expect(pltr.distinctKeys).toBe(pltr.rows);
      expect(await runOwnerOf(h.db, "TSLA")).toMatchObject({ owner_pid: forced.child.pid, released: false });
      expect((await runOwnerOf(h.db, "TSLA"))?.replacing_before).toBeInstanceOf(Date);
      // VIX is refreshed before the symbols, new tick first: one tick, never none.
      expect(await vixTicks(h.db)).toHaveLength(1);

      const started = performance.now();
      const rerun = await runProcess(args, { env: { DATABASE_URL: url, IB_CLIENT_ID: "33" } });
      const recoverySeconds = (performance.now() - started) / 1000;
      expect(rerun.code, rerun.stderr).toBe(0);
      const summary = summaryOf(rerun);
      expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
        ["TSLA", "completed"],
        ["PLTR", "completed"],
      ]);
      await expectOnlyNewSnapshot(h.db, "TSLA", old.TSLA, summary.symbols[0]!.contracts_selected);
      // The rerun continued the interrupted replacement: the killed run's new TSLA rows were kept, not requested again.
      expect(rerun.stderr).toMatch(/continuing an interrupted replacement/);
      const final = await storedQuotes(h.db, { symbol: "TSLA" });
      expect(partialKeys.filter((key) => !final.keys.has(key))).toEqual([]);
      await expectOnlyNewSnapshot(h.db, "PLTR", old.PLTR, summary.symbols[1]!.contracts_selected);
      const vix = await vixTicks(h.db);
      expect(vix).toHaveLength(1);
      expect(vix[0]!.getTime()).toBeGreaterThan(oldVix[0]!.getTime());
      console.log(
        `force-replace: killed after ${partial} of TSLA's new rows; rerun with --force took ${recoverySeconds.toFixed(1)} s`,
      );
    },
  );
});
