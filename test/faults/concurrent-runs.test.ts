import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { runOwnerOf, statusOf, storedQuotes } from "./checks.ts";
import { DATE, startFaultSetup, startProcess, summaryOf, waitFor } from "./fixture.ts";
import type { FaultSetup, RunningProcess, runProcess } from "./fixture.ts";

/**
 * Two `chainvault collect` processes at once, one gateway, one PostgreSQL database: exactly one
 * collects, the other refuses with exit 75 naming the holder (or, if the first already finished,
 * skips), and the table holds one row per contract. SIGSTOP freezes the first run while it holds the
 * key, so the overlap is certain rather than a matter of timing.
 */

type Finished = Awaited<ReturnType<typeof runProcess>>;

/** How a started process ended, with what it printed. */
async function finished(run: RunningProcess): Promise<Finished> {
  const { code, signal } = await run.exited;
  return { code, signal, stdout: run.stdout(), stderr: run.stderr() };
}

describe("two runs of one (date, symbol, type) at once", () => {
  let setup: FaultSetup;
  let db: Database;

  beforeAll(async () => {
    setup = await startFaultSetup({
      engine: "postgres",
      config: { selection: { max_days_to_expiry: 2 }, collect: { snapshot_timeout_ms: 60_000 } },
    });
    db = setup.db!;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const collect = (clientId: number, extra: string[] = [], symbol = "PLTR") =>
    startProcess(
      ["collect", "--symbols", symbol, "--date", DATE, "--json", "--config", setup.config, ...extra],
      {
        env: { ...setup.env, IB_CLIENT_ID: String(clientId) },
      },
    );

  it(
    "PostgreSQL: the second run refuses with exit 75 naming the first; rows = contracts",
    { timeout: 120_000 },
    async () => {
      const first = collect(11);
      const firstPid = first.child.pid!;
      try {
        await waitFor("the first run to hold PLTR", async () => {
          const owner = await runOwnerOf(db, "PLTR");
          return owner?.owner_pid === firstPid && !owner.released;
        });
        first.child.kill("SIGSTOP");
        const rowsBefore = (await storedQuotes(db, { symbol: "PLTR" })).rows;

        const second = await finished(collect(12));
        expect(second.code, second.stderr).toBe(75);
        expect(summaryOf(second).symbols).toMatchObject([
          { symbol: "PLTR", status: "busy", quotes_stored: 0 },
        ]);
        expect(second.stderr).toContain(
          `PLTR eod ${DATE} is being collected by another run (process ${firstPid} on ${os.hostname()}, started `,
        );
        expect(second.stderr).toMatch(/Wait for it to finish/);
        // The refused run wrote nothing: the frozen first run cannot have.
        expect((await storedQuotes(db, { symbol: "PLTR" })).rows).toBe(rowsBefore);
        expect((await runOwnerOf(db, "PLTR"))?.owner_pid).toBe(firstPid);
      } finally {
        first.child.kill("SIGCONT");
      }
      const done = await finished(first);
      expect(done.code, done.stderr).toBe(0);
      const [pltr] = summaryOf(done).symbols;
      expect(pltr).toMatchObject({ symbol: "PLTR", status: "completed" });

      const stored = await storedQuotes(db, { symbol: "PLTR" });
      expect(stored.rows).toBe(pltr!.contracts_selected);
      expect(stored.distinctKeys).toBe(stored.rows);
      expect(stored.distinctContracts).toBe(stored.rows);
      expect(await statusOf(db, "PLTR")).toEqual({ status: "completed", records_collected: stored.rows });
      expect(await runOwnerOf(db, "PLTR")).toMatchObject({
        owner_pid: firstPid,
        released: true,
        replacing_before: null,
      });
    },
  );

  it(
    "PostgreSQL: runs started together, plain then forced, never both collect",
    { timeout: 120_000 },
    async () => {
      const together = (extra: string[], clientIds: [number, number]) =>
        Promise.all(clientIds.map((clientId) => finished(collect(clientId, extra, "TSLA"))));
      const statusesOf = (runs: Finished[]) =>
        runs
          .map((run) => summaryOf(run).symbols[0]!.status)
          .sort()
          .join(",");
      const exitCodeFor = (run: Finished) => (summaryOf(run).symbols[0]!.status === "busy" ? 75 : 0);

      // A fresh key: whoever claims second finds it held (busy, exit 75) or, if the first has already
      // finished, completed (skipped).
      const plain = await together([], [13, 15]);
      expect(["busy,completed", "completed,skipped"]).toContain(statusesOf(plain));
      for (const run of plain) expect(run.code, run.stderr).toBe(exitCodeFor(run));
      const first = await storedQuotes(db, { symbol: "TSLA" });
      const selected = Math.max(...plain.map((run) => summaryOf(run).symbols[0]!.contracts_selected));
      expect(first.rows).toBe(selected);
      expect(first.distinctKeys).toBe(first.rows);
      expect(first.distinctContracts).toBe(first.rows);
      expect(await statusOf(db, "TSLA")).toEqual({ status: "completed", records_collected: first.rows });

      // Forced: the second either finds the key held or runs its own replacement after the first.
      // Either way one snapshot is left, newer than the one before.
      const forced = await together(["--force"], [13, 15]);
      expect(["busy,completed", "completed,completed"]).toContain(statusesOf(forced));
      for (const run of forced) expect(run.code, run.stderr).toBe(exitCodeFor(run));
      const after = await storedQuotes(db, { symbol: "TSLA" });
      expect(after.distinctKeys).toBe(after.rows);
      expect(after.distinctContracts).toBe(after.rows);
      expect(forced.map((run) => summaryOf(run).symbols[0]!.contracts_selected)).toContain(after.rows);
      expect([...after.keys].filter((key) => first.keys.has(key))).toEqual([]);
      expect(await statusOf(db, "TSLA")).toEqual({ status: "completed", records_collected: after.rows });
      expect(await runOwnerOf(db, "TSLA")).toMatchObject({ released: true, replacing_before: null });
    },
  );
});
