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
import type { StatusRow, StoredQuotes } from "./processes.ts";

const DATE = "2026-03-09";

/** The `collecting` log line of a symbol: how many of its contracts were already stored. */
function alreadyStored(stderr: string, symbol: string): number | undefined {
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; symbol?: string; alreadyStored?: number };
    if (entry.msg === "collecting" && entry.symbol === symbol) return entry.alreadyStored;
  }
  return undefined;
}

/**
 * `kill -9` of `collect` in the middle of a symbol, on both engines: nothing can be flushed or recorded, so
 * the status row stays `running`; the rerun takes it over (on the embedded engine also the lock of the dead
 * pid), requests only the contracts not stored yet and ends with rows = contracts, no duplicates, and every
 * row committed before the kill still there. PLTR runs first and completes, so the kill lands in SPY.
 * One test file per engine (collect-sigkill-*.test.ts) keeps each file short.
 */
export function describeSigkill(engine: "postgres" | "pglite"): void {
  describe(`SIGKILL of \`collect\` on ${engine}`, () => {
    let sim: Simulator;
    let server: Awaited<ReturnType<typeof createServerDatabase>> | undefined;
    let dir: string;
    let env: Record<string, string>;
    const dataDir = () => path.join(dir, "data");

    /** The database as the test sees it between runs (the embedded one only while no collector holds it). */
    async function inspect<T>(work: (db: Database) => Promise<T>): Promise<T> {
      const db =
        engine === "postgres"
          ? await openDatabase({ url: server!.url, dataDir: "unused" })
          : await openDatabase({ dataDir: dataDir() });
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    }

    beforeAll(async () => {
      sim = await startSimulator({
        port: 0,
        start: { date: DATE, timeEt: "16:45" },
        rate: Infinity,
        lines: Infinity,
        snapshotLatencyMs: 50,
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `chainvault-sigkill-${engine}-`));
      writeConfig(dir, sim.port, ["selection:", "  max_days_to_expiry: 4"]);
      if (engine === "postgres") {
        server = await createServerDatabase();
        await inspect((db) => migrate(db));
        env = { DATABASE_URL: server.url };
      } else {
        env = { CHAINVAULT_DATA_DIR: dataDir() };
      }
    });
    afterAll(async () => {
      await server?.drop();
      await sim?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it(
      "the rerun resumes: rows = contracts, no duplicates, nothing committed lost",
      { timeout: 180_000 },
      async () => {
        const args = [
          "collect",
          "--symbols",
          "PLTR,SPY",
          "--date",
          DATE,
          "--json",
          "--config",
          "chainvault.yaml",
        ];
        const first = startProcess(args, { env, cwd: dir });
        await first.waitForStderr(/"symbol":"PLTR","status":"completed".*"msg":"collected"/, 120_000);
        await first.waitForStderr(/"symbol":"SPY".*"msg":"collecting"/, 60_000);
        if (engine === "postgres") {
          await waitFor(
            async () => (await inspect((db) => storedQuotes(db, DATE))).rows.get("SPY")! >= 20,
            "SPY rows",
            60_000,
            first,
          );
        } else {
          // The embedded directory cannot be read while the collector holds it: the gateway's count of requests
          // shows SPY's snapshots under way instead (two messages per contract).
          const before = sim.stats().messagesReceived;
          await waitFor(() => sim.stats().messagesReceived - before >= 120, "SPY's snapshots", 60_000, first);
        }
        first.child.kill("SIGKILL");
        expect((await first.exited).signal).toBe("SIGKILL");

        const killed = await inspect(
          async (db): Promise<{ quotes: StoredQuotes; status: Map<string, StatusRow> }> => ({
            quotes: await storedQuotes(db, DATE),
            status: await statusRows(db, DATE),
          }),
        );
        expect(killed.status.get("PLTR")?.status).toBe("completed");
        expect(killed.status.get("SPY")?.status).toBe("running");
        expect(killed.quotes.rows.get("PLTR")).toBe(killed.status.get("PLTR")?.records);
        expect(killed.quotes.distinctContracts).toBe(killed.quotes.total);
        const spyBefore = killed.quotes.rows.get("SPY") ?? 0;

        const rerun = startProcess(args, { env, cwd: dir });
        expect((await rerun.exited).code, rerun.stderr()).toBe(0);
        const summary = summaryOf(rerun);
        expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
          ["PLTR", "skipped"],
          ["SPY", "completed"],
        ]);
        // Only the contracts the killed run had not stored were requested again.
        expect(alreadyStored(rerun.stderr(), "SPY")).toBe(spyBefore);

        const after = await inspect(async (db) => ({
          quotes: await storedQuotes(db, DATE),
          status: await statusRows(db, DATE),
        }));
        for (const entry of summary.symbols) {
          expect(after.quotes.rows.get(entry.symbol), entry.symbol).toBe(entry.contracts_selected);
          expect(after.status.get(entry.symbol)?.status, entry.symbol).toBe("completed");
          expect(after.status.get(entry.symbol)?.records, entry.symbol).toBe(entry.contracts_selected);
        }
        expect(after.quotes.distinctContracts).toBe(after.quotes.total);
        expect([...killed.quotes.keys].filter((key) => !after.quotes.keys.has(key))).toEqual([]);
        console.log(
          `${engine}: killed with PLTR ${killed.quotes.rows.get("PLTR")} + SPY ${spyBefore} rows stored; ` +
            `rerun requested ${summary.symbols[1]!.contracts_selected - spyBefore} more, total ${after.quotes.total}`,
        );
      },
    );
  });
}
