import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await main(["node", "chainvault", ...argv]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.exitCode = undefined;
  }
}

describe("chainvault collect / status", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
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
      symbols: Array<Record<string, unknown>>;
      duration_s: number;
      pacing_lower_bound_s: number;
    };
    expect(Object.keys(summary)).toEqual(["symbols", "duration_s", "pacing_lower_bound_s"]);
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
  });

  it("shows the day's collections with status --json", async () => {
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
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<{
      symbol: string;
      status: string;
      records_collected: number | null;
    }>;
    expect(rows.map((row) => [row.symbol, row.status])).toEqual([
      ["NOSUCH", "failed"],
      ["PLTR", "completed"],
    ]);
    expect(rows.find((row) => row.symbol === "PLTR")!.records_collected).toBeGreaterThan(0);
  });

  it("rejects a bad --type with exit 2", async () => {
    const result = await run(["collect", "--type", "weekly", "--config", configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--type must be one of eod/);
  });
});
