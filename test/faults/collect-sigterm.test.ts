import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import { startFaultSetup, startProcess, summaryOf, waitFor } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

const DATE = "2026-03-09";
const GRACE_SECONDS = 10;

/**
 * SIGTERM while `collect` is storing rows: it requests no further contract, writes what arrived, records the
 * symbol it cut short as partial "interrupted by SIGTERM" and the one it had not begun as such too, closes the
 * database only after that, and exits 143 well inside collect.shutdown_grace_seconds. The next run resumes:
 * rows = contracts, no duplicates, every row stored before the signal still there.
 */
describe("SIGTERM during `collect`", () => {
  let setup: FaultSetup;
  let db: Database;

  beforeAll(async () => {
    setup = await startFaultSetup({
      engine: "postgres",
      date: DATE,
      sim: { snapshotLatencyMs: 100 },
      config: {
        // A few lines at once and a slow gateway make the run last long enough to be cut in the middle.
        ib: { max_market_data_lines: 4 },
        selection: { max_days_to_expiry: 4 },
        collect: { connect_attempts: 2, write_batch_rows: 10, shutdown_grace_seconds: GRACE_SECONDS },
      },
    });
    db = setup.db!;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const args = ["collect", "--symbols", "SPY,PLTR", "--date", DATE, "--json", "--config", "chainvault.yaml"];

  it(
    "stops taking contracts, records the run as interrupted, exits 143 in the grace period; the rerun completes",
    { timeout: 180_000 },
    async () => {
      const env = setup.env;
      const first = startProcess(args, { env, cwd: setup.dir });
      // Signalled while SPY's rows are being stored, well before its last contract.
      await waitFor("SPY's first rows", async () => (await storedQuotes(db, { date: DATE })).rows >= 20, {
        timeoutMs: 90_000,
        process: first,
      });
      const signalledAt = performance.now();
      first.child.kill("SIGTERM");
      const exit = await first.exited;
      const stopSeconds = (exit.at - signalledAt) / 1000;
      console.log(`collect stopped ${stopSeconds.toFixed(2)} s after SIGTERM (grace ${GRACE_SECONDS} s)`);
      expect(exit, first.stderr()).toEqual({ code: 143, signal: null, at: exit.at });
      expect(stopSeconds).toBeLessThan(GRACE_SECONDS);
      const complaints = first
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("chainvault:"));
      expect(complaints).toEqual([
        "chainvault: interrupted by SIGTERM (cut short: SPY, PLTR); the stored rows are kept - run the same command again to resume",
      ]);
      expect(first.stderr()).not.toMatch(/^\s+at /m);

      // No writes after exit: the process left no session behind, and what is stored is what the status says.
      await waitFor(
        "the collector's sessions to end",
        async () =>
          (
            await db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
              [setup.server!.name],
            )
          ).rows[0]!.n === 0,
      );
      const interrupted = await storedQuotes(db, { date: DATE });
      const status = await statusRows(db, DATE);
      const spy = status.find((row) => row.symbol === "SPY")!;
      expect(spy.status).toBe("partial");
      const progress = /^interrupted by SIGTERM after (\d+) of (\d+) contracts; the next run resumes$/.exec(
        spy.error_message ?? "",
      );
      expect(progress, spy.error_message ?? "").not.toBeNull();
      const [requested, total] = [Number(progress![1]), Number(progress![2])];
      expect(requested).toBeLessThan(total);
      expect(spy.records_collected).toBe(interrupted.bySymbol.get("SPY"));
      expect(status.find((row) => row.symbol === "PLTR")).toEqual({
        symbol: "PLTR",
        status: "partial",
        records_collected: 0,
        error_message: "interrupted by SIGTERM before its snapshots; the next run resumes",
      });
      expect(interrupted.rows).toBe(spy.records_collected);
      expect(interrupted.distinctContracts).toBe(interrupted.rows);
      expect(summaryOf(first).symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
        ["SPY", "partial"],
        ["PLTR", "partial"],
      ]);

      const rerun = startProcess(args, { env, cwd: setup.dir });
      const rerunExit = await rerun.exited;
      expect(rerunExit.code, rerun.stderr()).toBe(0);
      const summary = summaryOf(rerun);
      const after = await storedQuotes(db, { date: DATE });
      for (const entry of summary.symbols) {
        expect(entry.status, entry.symbol).toBe("completed");
        expect(after.bySymbol.get(entry.symbol) ?? 0, entry.symbol).toBe(entry.contracts_selected);
        expect((await statusRows(db, DATE)).find((row) => row.symbol === entry.symbol)?.status).toBe(
          "completed",
        );
      }
      console.log(
        `rerun: ${summary.symbols.map((entry) => `${entry.symbol} ${entry.quotes_stored}/${entry.contracts_selected}`).join(", ")}; ` +
          `${interrupted.rows} rows were stored before SIGTERM`,
      );
      expect(summary.symbols.find((entry) => entry.symbol === "SPY")?.contracts_selected).toBe(total);
      expect(summary.symbols.find((entry) => entry.symbol === "PLTR")?.contracts_selected).toBeGreaterThan(0);
      expect(after.distinctContracts).toBe(after.rows);
      expect([...interrupted.keys].filter((key) => !after.keys.has(key))).toEqual([]);
    },
  );
});
