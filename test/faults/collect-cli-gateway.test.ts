import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { statusRows, storedQuotes } from "./checks.ts";
import { DATE, runProcess, startFaultSetup, summaryOf, writeConfig } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

/** `chainvault collect` in a child process while the simulated gateway goes away once its snapshots are under way. */
describe("collect (a child process) through a gateway outage", () => {
  let setup: FaultSetup;
  beforeEach(async () => {
    setup = await startFaultSetup({ engine: "postgres" });
  });
  afterEach(async () => {
    await setup.close();
  });

  function collect(maxOutageSeconds: number) {
    const config = writeConfig(setup.dir, setup.sim, {
      ib: { max_messages_per_second: 300, max_market_data_lines: 20 },
      selection: { max_days_to_expiry: 2 },
      collect: { write_batch_rows: 25, max_gateway_outage_seconds: maxOutageSeconds },
      log: { level: "warn" },
    });
    return runProcess(["collect", "--symbols", "PLTR", "--date", DATE, "--json", "--config", config], {
      env: setup.env,
    });
  }

  /** Restarts the gateway for `ms` once it has received `messages` messages (PLTR's snapshots under way). */
  function restartAfter(messages: number, ms: number): { restarted: () => boolean; stop: () => void } {
    let restarted = false;
    const timer = setInterval(() => {
      if (restarted || setup.sim.stats().messagesReceived < messages) return;
      restarted = true;
      setup.sim.faults.restart(ms);
    }, 5);
    return { restarted: () => restarted, stop: () => clearInterval(timer) };
  }

  it("a gateway restart mid-run: exit 0, a summary at 100 %, rows = contracts, status completed (not exit 13)", async () => {
    const restart = restartAfter(120, 3000);
    let result;
    try {
      result = await collect(300);
    } finally {
      restart.stop();
    }
    expect(restart.restarted()).toBe(true);
    expect(result.stderr).toMatch(/the gateway connection dropped; reconnecting/);
    expect(result.code).toBe(0);
    const summary = summaryOf(result);
    expect(summary.symbols).toEqual([
      expect.objectContaining({ symbol: "PLTR", status: "completed", coverage: 1 }),
    ]);
    const db = setup.db!;
    const stored = await storedQuotes(db);
    expect(stored.rows).toBe(summary.symbols[0]!.quotes_stored);
    expect(stored.rows).toBe(170);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(
      (await statusRows(db, DATE)).map((row) => [row.symbol, row.status, row.records_collected]),
    ).toEqual([["PLTR", "completed", 170]]);
  });

  it("a gateway down past collect.max_gateway_outage_seconds: the run ends partial with a summary and an honest status row", async () => {
    const restart = restartAfter(120, 120_000);
    let result;
    const started = Date.now();
    try {
      result = await collect(2);
    } finally {
      restart.stop();
    }
    expect(restart.restarted()).toBe(true);
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/unreachable since .*stopped waiting for it/);
    const summary = summaryOf(result);
    expect(summary.symbols).toEqual([expect.objectContaining({ symbol: "PLTR", status: "partial" })]);
    const db = setup.db!;
    const stored = await storedQuotes(db);
    expect(stored.rows).toBe(summary.symbols[0]!.quotes_stored);
    expect(stored.rows).toBeGreaterThan(0);
    expect(stored.rows).toBeLessThan(170);
    expect(stored.distinctContracts).toBe(stored.rows);
    const [status] = await statusRows(db, DATE);
    expect(status).toMatchObject({ symbol: "PLTR", status: "partial", records_collected: stored.rows });
    expect(status!.error_message).toMatch(/contracts not collected: .*a rerun resumes them/);
  });
});
