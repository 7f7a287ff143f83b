import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { runMain } from "../helpers/cli.ts";

const run = runMain;

describe("chainvault collect / status", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let runId = "";
  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    sim = await startSimulator({
      port: 0,
      start: { date: "2025-01-15", timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-cli-collect-"));
    configFile = path.join(dir, "chainvault.yaml");
    await writeFile(
      configFile,
      [
        "ib:",
        `  host: ${sim.host}`,
        `  port: ${sim.port}`,
        "  max_messages_per_second: 1000",
        "selection:",
        "  max_days_to_expiry: 2",
        "collect:",
        "  include_vix: false",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints exactly the summary object with --json and exits 1 when a symbol failed", async () => {
    const result = await run([
      "collect",
      "--symbols",
      "pltr,NOSUCH",
      "--json",
      "--config",
      configFile,
      "--data-dir",
      path.join(dir, "data"),
    ]);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as {
      run_id: string;
      symbols: Array<Record<string, unknown>>;
      duration_s: number;
      pacing_lower_bound_s: number;
    };
    expect(Object.keys(summary)).toEqual(["run_id", "symbols", "duration_s", "pacing_lower_bound_s"]);
    expect(summary.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Object.keys(summary.symbols[0]!)).toEqual([
      "symbol",
      "status",
      "contracts_discovered",
      "contracts_selected",
      "quotes_stored",
      "coverage",
      "new_listings",
      "duration_s",
    ]);
    expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
      ["PLTR", "completed"],
      ["NOSUCH", "failed"],
    ]);
    expect(summary.symbols[0]!.coverage).toBe(1);
    runId = summary.run_id;
  });

  it("shows the day's planned slots and the manual run beside them with status --json", async () => {
    const result = await run([
      "status",
      "--date",
      "2025-01-15",
      "--json",
      "--config",
      configFile,
      "--data-dir",
      path.join(dir, "data"),
    ]);
    // SPY and TSLA (configured by default) were not collected while their EOD could still be taken: missed,
    // exit 3. The unknown symbol is no slot of the plan: shown as manual, not counted against it.
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout) as {
      slots: Array<{
        symbol: string;
        type: string;
        outcome: string;
        manual: boolean;
        stored: number | null;
        run_id: string | null;
      }>;
    };
    const eod = report.slots.filter((slot) => slot.type === "eod");
    expect(eod.map((slot) => [slot.symbol, slot.outcome, slot.manual])).toEqual([
      ["SPY", "missed", false],
      ["PLTR", "completed", false],
      ["TSLA", "missed", false],
      ["NOSUCH", "failed", true],
    ]);
    // The day's earlier slots closed before this database's first collection: never expected.
    const earlier = report.slots.filter((slot) => slot.type === "pre_market" || slot.type === "analytics");
    expect(new Set(earlier.map((slot) => slot.outcome))).toEqual(new Set(["skipped"]));
    const pltr = eod.find((slot) => slot.symbol === "PLTR")!;
    expect(pltr.stored).toBeGreaterThan(0);
    expect(pltr.run_id).toBe(runId);
  });

  it("rejects a bad --type with exit 2", async () => {
    const result = await run(["collect", "--type", "weekly", "--config", configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--type must be one of eod/);
  });
});
