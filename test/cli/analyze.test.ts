import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { RISK_FREE_RATE } from "../../src/sim/market/underlying-specs.ts";
import type { CollectionKey } from "../../src/store/repositories/collection-status.ts";
import {
  listExpiryAnalytics,
  replaceExpiryAnalytics,
} from "../../src/store/repositories/expiry-analytics.ts";
import type { ExpiryAnalyticsRow } from "../../src/store/repositories/expiry-analytics.ts";
import { openDatabase } from "../../src/store/open.ts";
import { runCli } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";

interface AnalyzeJson {
  symbol: string;
  collection_date: string;
  collection_type: string;
  source: "stored" | "computed";
  expiries: Array<{
    expiry: string;
    years_to_expiry: number;
    exercise_style: string;
    implied_rate: number | null;
    rate_std_error: number | null;
    strikes_used: number;
    box_rates: Array<{ width: string | number; mid_rate: number | null }>;
    reference_rate: number | null;
    parity_breach_count: number | null;
    run_id: string | null;
  }>;
}

const EOD: CollectionKey = { collectionDate: "2025-01-15", symbol: "PLTR", collectionType: "eod" };

let sim: Simulator;
let server: Awaited<ReturnType<typeof createServerDatabase>>;
let dir: string;
let configFile: string;

/** The CLI in this process (fast), output captured, against the test's server database and simulator. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.env.DATABASE_URL = server.url;
  try {
    const code = await main(["node", "chainvault", ...argv, "--config", configFile]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    delete process.env.DATABASE_URL;
    process.exitCode = undefined;
  }
}

describe("chainvault analyze after a real collection from the simulator", () => {
  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    [sim, server, dir] = await Promise.all([
      startSimulator({
        port: 0,
        start: { date: "2025-01-15", timeEt: "16:45" },
        rate: Infinity,
        lines: Infinity,
      }),
      createServerDatabase(),
      mkdtemp(path.join(tmpdir(), "chainvault-cli-analyze-")),
    ]);
    configFile = path.join(dir, "chainvault.yaml");
    await writeFile(
      configFile,
      [
        "ib:",
        `  host: ${sim.host}`,
        `  port: ${sim.port}`,
        "  max_messages_per_second: 1000",
        "selection:",
        // Out to a year: a rate hides in C − P as r·T, so only long expiries pin it to basis points.
        "  max_days_to_expiry: 370",
        "collect:",
        "  include_vix: false",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );
    const collected = await runMain(["collect", "--symbols", "PLTR", "--json"]);
    expect(collected.code).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    await server?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const analyze = (args: string[]) =>
    runCli(["analyze", ...args, "--config", configFile], { DATABASE_URL: server.url });

  it("prints the analytics the collection stored, per expiry, with no parity breach", async () => {
    const result = await analyze(["--symbol", "pltr", "--date", "2025-01-15", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as AnalyzeJson;
    expect(out).toMatchObject({
      symbol: "PLTR",
      collection_date: "2025-01-15",
      collection_type: "eod",
      source: "stored",
    });
    expect(out.expiries.length).toBeGreaterThan(5);
    for (const expiry of out.expiries) {
      expect(expiry.exercise_style).toBe("american");
      expect(expiry.run_id).toMatch(/^[0-9a-f-]{36}$/);
      // The simulator quotes American options consistently (no arbitrage): nothing outside the American band.
      expect(expiry.parity_breach_count).toBe(0);
      expect(Number.isFinite(expiry.implied_rate)).toBe(true);
      expect(expiry.rate_std_error).toBeGreaterThan(0);
    }
    // An American chain's parity fit carries the puts' early-exercise premium, so its rate is not the
    // simulator's (test/analytics recovers r to 1 bp on European chains): the puts' premium pulls it below.
    const longest = out.expiries.at(-1)!;
    expect(longest.years_to_expiry).toBeGreaterThan(0.9);
    expect(longest.implied_rate!).toBeLessThan(RISK_FREE_RATE);
    expect(longest.implied_rate!).toBeGreaterThan(0);
  });

  it("prints a table for people", async () => {
    const text = await analyze(["--symbol", "PLTR", "--date", "2025-01-15"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^PLTR eod 2025-01-15: \d+ expiries, american exercise, stored by the collection\n/,
    );
    // The year-out expiry's row: 366 days, its forward, its rate and standard error.
    expect(text.stdout).toMatch(/\n2026-01-16 +366\.0 +1\d\d\.\d\d +-?\d+\.\d{3} % +\d+\.\d{3} % /);
    expect(text.stdout).toMatch(/\n2026-01-16 +100 +\d+ +-?\d+\.\d+ %/);
    expect(text.stdout).toMatch(/parity breaches \(edge per share after crossing the spreads\): 0\n/);
  });

  it("computes on the fly, writing nothing, what was collected before analytics were stored", async () => {
    const db = await openDatabase({ url: server.url, dataDir: "unused" });
    let stored: ExpiryAnalyticsRow[];
    try {
      stored = await listExpiryAnalytics(db, EOD);
      expect(stored.length).toBeGreaterThan(5);
      await replaceExpiryAnalytics(db, EOD, []);
      const result = await analyze(["--symbol", "PLTR", "--date", "2025-01-15", "--json"]);
      expect(result.code).toBe(0);
      const out = JSON.parse(result.stdout) as AnalyzeJson;
      expect(out.source).toBe("computed");
      // The same figures the collection stored, from the same quotes; no run computed them.
      expect(out.expiries.map((e) => [e.expiry, e.implied_rate, e.strikes_used, e.run_id])).toEqual(
        stored.map((row) => [row.expiry, row.impliedRate, row.strikesUsed, null]),
      );
      expect(await listExpiryAnalytics(db, EOD)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("exits 2 with what to do for an unknown symbol or a snapshot without quotes", async () => {
    const unknown = await runMain(["analyze", "--symbol", "NOSUCH", "--date", "2025-01-15"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown symbol NOSUCH: nothing was ever collected for it; collect it first with `chainvault collect --symbols NOSUCH`/,
    );
    const missing = await runMain(["analyze", "--symbol", "PLTR", "--date", "2025-01-14"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /no eod quotes of PLTR on 2025-01-14; `chainvault status --date 2025-01-14` lists what was collected/,
    );
    const analytics = await runMain([
      "analyze",
      "--symbol",
      "PLTR",
      "--date",
      "2025-01-15",
      "--type",
      "analytics",
    ]);
    expect(analytics.code).toBe(2);
    expect(analytics.stderr).toMatch(/no analytics quotes of PLTR on 2025-01-15/);
    const two = await runMain(["analyze", "--symbol", "PLTR,SPY", "--date", "2025-01-15"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--symbol takes one ticker/);
    const noDate = await runMain(["analyze", "--symbol", "PLTR"]);
    expect(noDate.code).toBe(2);
    expect(noDate.stderr).toMatch(/--date/);
  });
});
