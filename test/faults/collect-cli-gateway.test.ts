import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/open.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { runCli } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { statusRows, storedQuotes } from "./gateway-checks.ts";

const DATE = "2025-01-15";

interface Summary {
  symbols: Array<{ symbol: string; status: string; coverage: number; quotes_stored: number }>;
}

/** `chainvault collect` in a child process while the simulated gateway goes away once its snapshots are under way. */
describe("collect (a child process) through a gateway outage", () => {
  let sim: Simulator;
  let dir: string;
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  beforeEach(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-fault-cli-"));
    database = await createServerDatabase();
  });
  afterEach(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    await database.drop();
  });

  async function writeConfig(maxOutageSeconds: number): Promise<string> {
    const file = path.join(dir, "chainvault.yaml");
    await writeFile(
      file,
      [
        "ib:",
        `  host: ${sim.host}`,
        `  port: ${sim.port}`,
        "  max_messages_per_second: 300",
        "  max_market_data_lines: 20",
        "selection:",
        "  max_days_to_expiry: 2",
        "collect:",
        "  include_vix: false",
        "  write_batch_rows: 25",
        `  max_gateway_outage_seconds: ${maxOutageSeconds}`,
        "log:",
        "  level: warn",
        "",
      ].join("\n"),
    );
    return file;
  }

  /** Restarts the gateway for `ms` once it has received `messages` messages (PLTR's snapshots under way). */
  function restartAfter(messages: number, ms: number): { restarted: () => boolean; stop: () => void } {
    let restarted = false;
    const timer = setInterval(() => {
      if (restarted || sim.stats().messagesReceived < messages) return;
      restarted = true;
      sim.faults.restart(ms);
    }, 5);
    return { restarted: () => restarted, stop: () => clearInterval(timer) };
  }

  it("a gateway restart mid-run: exit 0, a summary at 100 %, rows = contracts, status completed (not exit 13)", async () => {
    const config = await writeConfig(300);
    const restart = restartAfter(120, 3000);
    let result;
    try {
      result = await runCli(["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", config], {
        DATABASE_URL: database.url,
      });
    } finally {
      restart.stop();
    }
    expect(restart.restarted()).toBe(true);
    expect(result.stderr).toMatch(/the gateway connection dropped; reconnecting/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.symbols).toEqual([
      expect.objectContaining({ symbol: "PLTR", status: "completed", coverage: 1 }),
    ]);
    const db = await openDatabase({ url: database.url, dataDir: dir });
    try {
      const stored = await storedQuotes(db, DATE);
      expect(stored.rows).toBe(summary.symbols[0]!.quotes_stored);
      expect(stored.rows).toBe(170);
      expect(stored.distinctKeys).toBe(stored.rows);
      expect(
        (await statusRows(db, DATE)).map((row) => [row.symbol, row.status, row.records_collected]),
      ).toEqual([["PLTR", "completed", 170]]);
    } finally {
      await db.close();
    }
  });

  it("a gateway down past collect.max_gateway_outage_seconds: the run ends partial with a summary and an honest status row", async () => {
    const config = await writeConfig(2);
    const restart = restartAfter(120, 120_000);
    let result;
    const started = Date.now();
    try {
      result = await runCli(["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", config], {
        DATABASE_URL: database.url,
      });
    } finally {
      restart.stop();
    }
    expect(restart.restarted()).toBe(true);
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/unreachable since .*stopped waiting for it/);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.symbols).toEqual([expect.objectContaining({ symbol: "PLTR", status: "partial" })]);
    const db = await openDatabase({ url: database.url, dataDir: dir });
    try {
      const stored = await storedQuotes(db, DATE);
      expect(stored.rows).toBe(summary.symbols[0]!.quotes_stored);
      expect(stored.rows).toBeGreaterThan(0);
      expect(stored.rows).toBeLessThan(170);
      expect(stored.distinctKeys).toBe(stored.rows);
      const [status] = await statusRows(db, DATE);
      expect(status).toMatchObject({ symbol: "PLTR", status: "partial", records_collected: stored.rows });
      expect(status!.error_message).toMatch(/contracts not collected: .*a rerun resumes them/);
    } finally {
      await db.close();
    }
  });
});
