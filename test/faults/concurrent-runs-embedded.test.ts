import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../src/store/data-dir-lock.ts";
import { openDatabase } from "../../src/store/open.ts";
import { statusOf, storedQuotes } from "./checks.ts";
import { DATE, runProcess, startFaultSetup, startProcess, summaryOf, waitFor } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

/**
 * Two `chainvault collect --symbols PLTR` processes on one embedded data directory: the data-directory
 * lock keeps the second out (exit 75, naming the holder) before it opens a file, and the first
 * collects one row per contract. SIGSTOP freezes the first while it holds the lock, so the overlap is certain.
 */

describe("two runs on one embedded data directory at once", () => {
  let setup: FaultSetup;

  beforeAll(async () => {
    // An existing, migrated directory, as a user's is: the runs below then time the lock, not initdb.
    setup = await startFaultSetup({
      engine: "embedded",
      config: { selection: { max_days_to_expiry: 2 }, collect: { snapshot_timeout_ms: 60_000 } },
    });
  });
  afterAll(async () => {
    await setup?.close();
  });

  const args = () => ["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", setup.config];
  const env = (clientId: number) => ({ ...setup.env, IB_CLIENT_ID: String(clientId) });

  // Three processes start PGlite one after another: generous on a machine shared with other test runs.
  it(
    "embedded engine: the data-directory lock refuses the second process with exit 75; rows = contracts",
    { timeout: 120_000 },
    async () => {
      const dataDir = setup.dataDir!;
      const first = startProcess(args(), { env: env(21) });
      const firstPid = first.child.pid!;
      try {
        await waitFor("the first run to lock the data directory", () => {
          try {
            return (
              (JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as { pid: number }).pid ===
              firstPid
            );
          } catch {
            return false;
          }
        });
        first.child.kill("SIGSTOP");
        const second = await runProcess(args(), { env: env(22) });
        expect(second.code, second.stderr).toBe(75);
        expect(second.stderr).toContain(`is in use by process ${firstPid} on ${os.hostname()}`);
        expect(second.stdout).toBe("");
      } finally {
        first.child.kill("SIGCONT");
      }
      const done = await first.exited;
      expect(done.code, first.stderr()).toBe(0);
      const [pltr] = summaryOf(first).symbols;
      expect(pltr).toMatchObject({ symbol: "PLTR", status: "completed" });

      const embedded = await openDatabase({ dataDir });
      try {
        const stored = await storedQuotes(embedded, { symbol: "PLTR" });
        expect(stored.rows).toBe(pltr!.contracts_selected);
        expect(stored.distinctKeys).toBe(stored.rows);
        expect(stored.distinctContracts).toBe(stored.rows);
        expect(await statusOf(embedded, "PLTR")).toEqual({
          status: "completed",
          records_collected: stored.rows,
        });
      } finally {
        await embedded.close();
      }
    },
  );
});
