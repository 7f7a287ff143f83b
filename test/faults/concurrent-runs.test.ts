import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { startCli } from "../helpers/cli.ts";
import type { CliRun } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { DATE, collectionRows, runOwnerOf, statusOf, waitUntil, writeCollectConfig } from "./run-fixture.ts";

/**
 * Two `chainvault collect` processes at once, one gateway, one PostgreSQL database: exactly one
 * collects, the other refuses with exit 75 naming the holder (or, if the first already finished,
 * skips), and the table holds one row per contract. SIGSTOP freezes the first run while it holds the
 * key, so the overlap is certain rather than a matter of timing.
 */

interface Summary {
  symbols: { symbol: string; status: string; contracts_selected: number; quotes_stored: number }[];
}

function summaryOf(run: CliRun): Summary {
  return JSON.parse(run.stdout) as Summary;
}

describe("two runs of one (date, symbol, type) at once", () => {
  let sim: Simulator;
  let dir: string;
  let config: string;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-concurrent-"));
    config = await writeCollectConfig(dir, sim);
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const collect = (clientId: number, env: Record<string, string> = {}) =>
    startCli(["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", config], {
      IB_CLIENT_ID: String(clientId),
      ...env,
    });

  it(
    "PostgreSQL: the second run refuses with exit 75 naming the first; rows = contracts",
    { timeout: 120_000 },
    async () => {
      const first = collect(11, { DATABASE_URL: server.url });
      const firstPid = first.child.pid!;
      try {
        await waitUntil("the first run to hold PLTR", async () => {
          const owner = await runOwnerOf(db, "PLTR");
          return owner?.owner_pid === firstPid && !owner.released;
        });
        first.child.kill("SIGSTOP");
        const rowsBefore = (await collectionRows(db, "PLTR")).rows;

        const second = await collect(12, { DATABASE_URL: server.url }).done;
        expect(second.code, second.stderr).toBe(75);
        expect(summaryOf(second).symbols).toMatchObject([
          { symbol: "PLTR", status: "busy", quotes_stored: 0 },
        ]);
        expect(second.stderr).toContain(
          `PLTR eod ${DATE} is being collected by another run (process ${firstPid} on ${os.hostname()}, started `,
        );
        expect(second.stderr).toMatch(/Wait for it to finish/);
        // The refused run wrote nothing: the frozen first run cannot have.
        expect((await collectionRows(db, "PLTR")).rows).toBe(rowsBefore);
        expect((await runOwnerOf(db, "PLTR"))?.owner_pid).toBe(firstPid);
      } finally {
        first.child.kill("SIGCONT");
      }
      const done = await first.done;
      expect(done.code, done.stderr).toBe(0);
      const [pltr] = summaryOf(done).symbols;
      expect(pltr).toMatchObject({ symbol: "PLTR", status: "completed" });

      const stored = await collectionRows(db, "PLTR");
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
        Promise.all(
          clientIds.map(
            (clientId) =>
              startCli(
                ["collect", "--symbols", "TSLA", "--date", DATE, "--json", "--config", config, ...extra],
                {
                  IB_CLIENT_ID: String(clientId),
                  DATABASE_URL: server.url,
                },
              ).done,
          ),
        );
      const statusesOf = (runs: CliRun[]) =>
        runs
          .map((run) => summaryOf(run).symbols[0]!.status)
          .sort()
          .join(",");
      const exitCodeFor = (run: CliRun) => (summaryOf(run).symbols[0]!.status === "busy" ? 75 : 0);

      // A fresh key: whoever claims second finds it held (busy, exit 75) or, if the first has already
      // finished, completed (skipped).
      const plain = await together([], [13, 15]);
      expect(["busy,completed", "completed,skipped"]).toContain(statusesOf(plain));
      for (const run of plain) expect(run.code, run.stderr).toBe(exitCodeFor(run));
      const first = await collectionRows(db, "TSLA");
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
      const after = await collectionRows(db, "TSLA");
      expect(after.distinctKeys).toBe(after.rows);
      expect(after.distinctContracts).toBe(after.rows);
      expect(forced.map((run) => summaryOf(run).symbols[0]!.contracts_selected)).toContain(after.rows);
      expect([...after.keys].filter((key) => first.keys.has(key))).toEqual([]);
      expect(await statusOf(db, "TSLA")).toEqual({ status: "completed", records_collected: after.rows });
      expect(await runOwnerOf(db, "TSLA")).toMatchObject({ released: true, replacing_before: null });
    },
  );
});
