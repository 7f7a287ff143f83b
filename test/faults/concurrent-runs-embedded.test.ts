import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { LOCK_FILE } from "../../src/store/data-dir-lock.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { startCli } from "../helpers/cli.ts";
import { DATE, collectionRows, statusOf, waitUntil, writeCollectConfig } from "./run-fixture.ts";

/**
 * Two `chainvault collect --symbols PLTR` processes on one embedded data directory: the data-directory
 * lock keeps the second out (exit 75, naming the holder) before it opens a file, and the first
 * collects one row per contract. SIGSTOP freezes the first while it holds the lock, so the overlap is certain.
 */

describe("two runs on one embedded data directory at once", () => {
  let sim: Simulator;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-concurrent-embedded-"));
    config = await writeCollectConfig(dir, sim);
    // An existing, migrated directory, as a user's is: the runs below then time the lock, not initdb.
    const existing = await openDatabase({ dataDir: path.join(dir, "data") });
    await migrate(existing);
    await existing.close();
  });
  afterAll(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const collect = (clientId: number, dataDir: string) =>
    startCli(["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", config], {
      IB_CLIENT_ID: String(clientId),
      CHAINVAULT_DATA_DIR: dataDir,
    });

  // Three processes start PGlite one after another: generous on a machine shared with other test runs.
  it(
    "embedded engine: the data-directory lock refuses the second process with exit 75; rows = contracts",
    { timeout: 120_000 },
    async () => {
      const dataDir = path.join(dir, "data");
      const first = collect(21, dataDir);
      const firstPid = first.child.pid!;
      try {
        await waitUntil("the first run to lock the data directory", () => {
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
        const second = await collect(22, dataDir).done;
        expect(second.code, second.stderr).toBe(75);
        expect(second.stderr).toContain(`is in use by process ${firstPid} on ${os.hostname()}`);
        expect(second.stdout).toBe("");
      } finally {
        first.child.kill("SIGCONT");
      }
      const done = await first.done;
      expect(done.code, done.stderr).toBe(0);
      const [pltr] = (
        JSON.parse(done.stdout) as { symbols: { status: string; contracts_selected: number }[] }
      ).symbols;
      expect(pltr).toMatchObject({ symbol: "PLTR", status: "completed" });

      const embedded = await openDatabase({ dataDir });
      try {
        const stored = await collectionRows(embedded, "PLTR");
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
