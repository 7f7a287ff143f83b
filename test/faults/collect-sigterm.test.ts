import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { startProcess, statusRows, storedQuotes, summaryOf, waitFor, writeConfig } from "./processes.ts";

const DATE = "2026-03-09";
const GRACE_SECONDS = 10;

/**
 * SIGTERM while `collect` is storing rows: it requests no further contract, writes what arrived, records the
 * symbol it cut short as partial "interrupted by SIGTERM" and the one it had not begun as such too, closes the
 * database only after that, and exits 143 well inside collect.shutdown_grace_seconds. The next run resumes:
 * rows = contracts, no duplicates, every row stored before the signal still there.
 */
describe("SIGTERM during `collect`", () => {
  let sim: Simulator;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 100,
    });
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-sigterm-"));
    writeConfig(dir, sim.port, [
      `  shutdown_grace_seconds: ${GRACE_SECONDS}`,
      "selection:",
      "  max_days_to_expiry: 4",
    ]);
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
    await sim?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const args = ["collect", "--symbols", "SPY,PLTR", "--date", DATE, "--json", "--config", "chainvault.yaml"];

  it(
    "stops taking contracts, records the run as interrupted, exits 143 in the grace period; the rerun completes",
    { timeout: 180_000 },
    async () => {
      const env = { DATABASE_URL: server.url };
      const first = startProcess(args, { env, cwd: dir });
      // Signalled while SPY's rows are being stored, well before its last contract.
      await waitFor(
        async () => (await storedQuotes(db, DATE)).total >= 20,
        "SPY's first rows",
        90_000,
        first,
      );
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
        async () =>
          (
            await db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
              [server.name],
            )
          ).rows[0]!.n === 0,
        "the collector's sessions to end",
        10_000,
      );
      const interrupted = await storedQuotes(db, DATE);
      const status = await statusRows(db, DATE);
      const spy = status.get("SPY")!;
      expect(spy.status).toBe("partial");
      const progress = /^interrupted by SIGTERM after (\d+) of (\d+) contracts; the next run resumes$/.exec(
        spy.error ?? "",
      );
      expect(progress, spy.error ?? "").not.toBeNull();
      const [requested, total] = [Number(progress![1]), Number(progress![2])];
      expect(requested).toBeLessThan(total);
      expect(spy.records).toBe(interrupted.rows.get("SPY"));
      expect(status.get("PLTR")).toEqual({
        symbol: "PLTR",
        status: "partial",
        records: 0,
        error: "interrupted by SIGTERM before its snapshots; the next run resumes",
      });
      expect(interrupted.total).toBe(spy.records);
      expect(interrupted.distinctContracts).toBe(interrupted.total);
      expect(summaryOf(first).symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
        ["SPY", "partial"],
        ["PLTR", "partial"],
      ]);

      const rerun = startProcess(args, { env, cwd: dir });
      const rerunExit = await rerun.exited;
      expect(rerunExit.code, rerun.stderr()).toBe(0);
      const summary = summaryOf(rerun);
      const after = await storedQuotes(db, DATE);
      for (const entry of summary.symbols) {
        expect(entry.status, entry.symbol).toBe("completed");
        expect(after.rows.get(entry.symbol) ?? 0, entry.symbol).toBe(entry.contracts_selected);
        expect((await statusRows(db, DATE)).get(entry.symbol)?.status).toBe("completed");
      }
      console.log(
        `rerun: ${summary.symbols.map((entry) => `${entry.symbol} ${entry.quotes_stored}/${entry.contracts_selected}`).join(", ")}; ` +
          `${interrupted.total} rows were stored before SIGTERM`,
      );
      expect(summary.symbols.find((entry) => entry.symbol === "SPY")?.contracts_selected).toBe(total);
      expect(summary.symbols.find((entry) => entry.symbol === "PLTR")?.contracts_selected).toBeGreaterThan(0);
      expect(after.distinctContracts).toBe(after.total);
      expect([...interrupted.keys].filter((key) => !after.keys.has(key))).toEqual([]);
    },
  );
});
