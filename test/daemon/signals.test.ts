import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CollectorProbe, startDaemon, testConfig, testPlan, useEmbeddedDaemon } from "./harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

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

  it("lets the run in flight finish before it stops", async () => {
    const clock = new ManualClock(new Date("2026-03-09T20:44:00Z")); // 16:44 ET
    const probe = new CollectorProbe();
    const daemon = await startDaemon({
      ...fixture.handle,
      clock,
      plan: testPlan(),
      collect: probe.collectFor(fixture.handle.db, testConfig(fixture.sim.port, 31)),
      daemonId: "stopping",
    });
    await daemon.scheduler.tick();
    clock.set(new Date("2026-03-09T20:45:00Z")); // the EOD slot
    await daemon.scheduler.tick();
    const deadline = Date.now() + 10_000;
    while (!daemon.inFlight.includes("eod:SPY:2026-03-09") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(daemon.inFlight).toContain("eod:SPY:2026-03-09");
    await daemon.stop(30_000);
    const status = await fixture.handle.db.query<{ status: string }>(
      "SELECT status FROM daily_collection_status WHERE collection_type = 'eod' AND collection_date = '2026-03-09'",
    );
    expect(status.rows).toEqual([{ status: "completed" }]);
    const runs = await fixture.handle.db.query<{ outcome: string }>(
      "SELECT outcome FROM daemon_slot_runs WHERE slot_key = 'eod:SPY:2026-03-09'",
    );
    expect(runs.rows).toEqual([{ outcome: "completed" }]);
    expect(probe.collected.get("eod:SPY:2026-03-09")).toBe(1);
  });

  it("`chainvault daemon` exits 0 on SIGTERM", { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-daemon-"));
    try {
      fs.writeFileSync(
        path.join(dir, "chainvault.yaml"),
        `symbols: [SPY]\nib:\n  port: ${fixture.sim.port}\ndaemon:\n  first_start_lookback_hours: 0\n`,
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
