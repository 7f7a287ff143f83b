import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { openDatabase } from "../../src/store/open.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import type { StatusRow, StoredQuotes } from "./checks.ts";
import { startFaultSetup, startProcess, summaryOf, waitFor, writeConfig } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

const DATE = "2026-03-09";
const CONFIG = {
  // A few lines at once and a slow gateway make the run last long enough to be cut in the middle.
  ib: { max_market_data_lines: 4 },
  selection: { max_days_to_expiry: 4 },
  collect: { connect_attempts: 2, write_batch_rows: 10 },
};

function bySymbol(rows: StatusRow[]): Map<string, StatusRow> {
  return new Map(rows.map((row) => [row.symbol, row]));
}

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
    let setup: FaultSetup;

    /** The database as the test sees it between runs (the embedded one only while no collector holds it). */
    async function inspect<T>(work: (db: Database) => Promise<T>): Promise<T> {
      if (setup.db) return work(setup.db);
      const db = await openDatabase({ dataDir: setup.dataDir! });
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    }

    beforeAll(async () => {
      setup = await startFaultSetup({
        engine: engine === "postgres" ? "postgres" : "embedded",
        date: DATE,
        sim: { snapshotLatencyMs: 50 },
        config: CONFIG,
      });
    });
    afterAll(async () => {
      await setup?.close();
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
        const first = startProcess(args, { env: setup.env, cwd: setup.dir });
        await first.waitForStderr(/"symbol":"PLTR","status":"completed".*"msg":"collected"/, 120_000);
        await first.waitForStderr(/"symbol":"SPY".*"msg":"collecting"/, 60_000);
        if (engine === "postgres") {
          await waitFor(
            "SPY rows",
            async () => ((await storedQuotes(setup.db!, { date: DATE })).bySymbol.get("SPY") ?? 0) >= 20,
            { process: first },
          );
        } else {
          // The embedded directory cannot be read while the collector holds it: the gateway's count of requests
          // shows SPY's snapshots under way instead (two messages per contract).
          const before = setup.sim.stats().messagesReceived;
          await waitFor("SPY's snapshots", () => setup.sim.stats().messagesReceived - before >= 120, {
            process: first,
          });
        }
        first.child.kill("SIGKILL");
        expect((await first.exited).signal).toBe("SIGKILL");

        const killed = await inspect(
          async (db): Promise<{ quotes: StoredQuotes; status: Map<string, StatusRow> }> => ({
            quotes: await storedQuotes(db, { date: DATE }),
            status: bySymbol(await statusRows(db, DATE)),
          }),
        );
        expect(killed.status.get("PLTR")?.status).toBe("completed");
        expect(killed.status.get("SPY")?.status).toBe("running");
        expect(killed.quotes.bySymbol.get("PLTR")).toBe(killed.status.get("PLTR")?.records_collected);
        expect(killed.quotes.distinctContracts).toBe(killed.quotes.rows);
        const spyBefore = killed.quotes.bySymbol.get("SPY") ?? 0;

        // The rerun need not be slow: more lines and larger batches (what it resumes is the same).
        writeConfig(setup.dir, setup.sim, {
          ...CONFIG,
          ib: { max_market_data_lines: 50 },
          collect: { ...CONFIG.collect, write_batch_rows: 100 },
        });
        const rerun = startProcess(args, { env: setup.env, cwd: setup.dir });
        expect((await rerun.exited).code, rerun.stderr()).toBe(0);
        const summary = summaryOf(rerun);
        expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
          ["PLTR", "skipped"],
          ["SPY", "completed"],
        ]);
        // Only the contracts the killed run had not stored were requested again.
        expect(alreadyStored(rerun.stderr(), "SPY")).toBe(spyBefore);

        const after = await inspect(async (db) => ({
          quotes: await storedQuotes(db, { date: DATE }),
          status: bySymbol(await statusRows(db, DATE)),
        }));
        for (const entry of summary.symbols) {
          expect(after.quotes.bySymbol.get(entry.symbol), entry.symbol).toBe(entry.contracts_selected);
          expect(after.status.get(entry.symbol)?.status, entry.symbol).toBe("completed");
          expect(after.status.get(entry.symbol)?.records_collected, entry.symbol).toBe(
            entry.contracts_selected,
          );
        }
        expect(after.quotes.distinctContracts).toBe(after.quotes.rows);
        expect([...killed.quotes.keys].filter((key) => !after.quotes.keys.has(key))).toEqual([]);
        console.log(
          `${engine}: killed with PLTR ${killed.quotes.bySymbol.get("PLTR")} + SPY ${spyBefore} rows stored; ` +
            `rerun requested ${summary.symbols[1]!.contracts_selected - spyBefore} more, total ${after.quotes.rows}`,
        );
      },
    );
  });
}
