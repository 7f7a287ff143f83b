import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { Database } from "../../src/store/database.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";
import { CollectorProbe, settle, startDaemon, testConfig, testPlan, useEmbeddedDaemon } from "./harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

async function quotes(db: Database): Promise<{ total: number; distinct: number; keys: Set<string> }> {
  const result = await db.query<{ contract_id: number; at: string }>(
    "SELECT contract_id, time::text AS at FROM market_data_ticks WHERE collection_type = 'eod' AND collection_date = '2026-03-09'",
  );
  return {
    total: result.rows.length,
    distinct: new Set(result.rows.map((row) => row.contract_id)).size,
    keys: new Set(result.rows.map((row) => `${row.contract_id}@${row.at}`)),
  };
}

async function runOutcomes(db: Database, key: string): Promise<Array<[string, string | null]>> {
  const result = await db.query<{ daemon_id: string; outcome: string | null }>(
    "SELECT daemon_id, outcome FROM daemon_slot_runs WHERE slot_key = $1 ORDER BY id",
    [key],
  );
  return result.rows.map((row) => [row.daemon_id, row.outcome]);
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The environment without anything pointing at a database server, so the embedded engine is used. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHAINVAULT_LOG_LEVEL: "info" };
  delete env.DATABASE_URL;
  delete env.CHAINVAULT_CONFIG;
  delete env.CHAINVAULT_DATA_DIR;
  return env;
}

describe("stopping the daemon", () => {
  const fixture = useEmbeddedDaemon({ date: "2026-03-09", timeEt: "16:45" });

  it("stops the run in flight from taking further contracts and hands its job back; the next daemon resumes it", async () => {
    const clock = new ManualClock(new Date("2026-03-09T20:44:00Z")); // 16:44 ET
    const probe = new CollectorProbe();
    // Two lines and 10-row batches: the run is still storing rows when the stop comes.
    const base = testConfig(fixture.sim.port, 31, 1);
    const config = {
      ...base,
      ib: { ...base.ib, max_market_data_lines: 2 },
      collect: { ...base.collect, write_batch_rows: 10 },
      selection: { ...base.selection, tiers: configSchema.parse({}).selection.tiers },
    };
    // The run that resumes need not be slow: IB's pace and lines would only make the test wait.
    const fast = {
      ...config,
      ib: { ...config.ib, max_market_data_lines: 95, max_messages_per_second: 1000 },
    };
    const { db } = fixture.handle;
    const start = (daemonId: string, settings = config) =>
      startDaemon({
        ...fixture.handle,
        clock,
        plan: testPlan(),
        collect: probe.collectFor(db, settings),
        daemonId,
      });
    const key = "eod:SPY:2026-03-09";
    const first = await start("stopping");
    await first.scheduler.tick();
    clock.set(new Date("2026-03-09T20:45:00Z")); // the EOD slot
    await first.scheduler.tick();
    await waitUntil(async () => (await quotes(db)).total >= 20, "the slot's first rows");
    expect(first.inFlight).toContain(key);

    expect(await first.stop(30_000, "SIGTERM")).toBe(true);
    const stopped = await quotes(db);
    const status = await db.query<{ status: string; records_collected: number; error_message: string }>(
      "SELECT status, records_collected, error_message FROM daily_collection_status WHERE collection_type = 'eod' AND collection_date = '2026-03-09'",
    );
    expect(status.rows).toHaveLength(1);
    expect(status.rows[0]!.status).toBe("partial");
    expect(status.rows[0]!.error_message).toMatch(
      /^interrupted by SIGTERM after \d+ of \d+ contracts; the next run resumes$/,
    );
    expect(status.rows[0]!.records_collected).toBe(stopped.total);
    expect(stopped.distinct).toBe(stopped.total);
    expect(await runOutcomes(db, key)).toEqual([["stopping", "interrupted"]]);
    expect(await first.queue.jobState("chainvault.collect", key)).toBe("retry");

    const second = await start("resuming", fast);
    try {
      await settle([second]);
      const done = await quotes(db);
      const final = await db.query<{ status: string; records_collected: number }>(
        "SELECT status, records_collected FROM daily_collection_status WHERE collection_type = 'eod' AND collection_date = '2026-03-09'",
      );
      expect(final.rows).toEqual([{ status: "completed", records_collected: done.total }]);
      expect(done.total).toBe(probe.quotes.get(key));
      expect(done.total).toBeGreaterThan(stopped.total);
      expect(done.distinct).toBe(done.total);
      expect([...stopped.keys].filter((entry) => !done.keys.has(entry))).toEqual([]);
      expect(await runOutcomes(db, key)).toEqual([
        ["stopping", "interrupted"],
        ["resuming", "completed"],
      ]);
    } finally {
      await second.stop(30_000);
    }
  });

  it("`chainvault daemon` exits 0 on SIGTERM", { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-daemon-"));
    try {
      // A data directory as a user has it after the first start: creating a PGlite cluster costs the
      // child 5-45 s on a loaded machine and is not what this test is about.
      await copyMigratedDataDir(path.join(dir, "data"));
      fs.writeFileSync(
        path.join(dir, "chainvault.yaml"),
        `symbols: [SPY]\nib:\n  port: ${fixture.sim.port}\ndaemon:\n  first_start_lookback_hours: 0\nhttp:\n  port: 0\n`,
      );
      const child = spawn(
        process.execPath,
        [
          path.join(ROOT, "bin/chainvault.js"),
          "daemon",
          "--config",
          "chainvault.yaml",
          "--data-dir",
          "data",
          "--json-logs",
        ],
        { cwd: dir, env: embeddedEnv(), stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      let signal: string | null = null;
      const exited = new Promise<number | null>((resolve) =>
        child.on("exit", (code, killedBy) => {
          signal = killedBy;
          resolve(code);
        }),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${stderr}`)), 90_000);
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('"msg":"waiting for the next slot"')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.kill("SIGTERM");
      // Sent the moment the line arrives: handlers installed only after that line would lose the race.
      const code = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const lines = stderr
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string });
      expect(lines.map((line) => line.msg)).toEqual(
        expect.arrayContaining(["daemon started", "stopping: no new slots are taken", "daemon stopped"]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
