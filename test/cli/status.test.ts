import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { recordSlotDeadLetter } from "../../src/daemon/handlers.ts";
import { discardEvents } from "../../src/core/events.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { openDatabase } from "../../src/store/open.ts";
import { recordRunEnd, recordRunStart } from "../../src/store/repositories/daemon-slot-runs.ts";
import { recordQualityIssues } from "../../src/store/repositories/quality-issues.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { silent } from "../collect/harness.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface JsonSlot {
  date: string;
  symbol: string;
  type: string;
  manual: boolean;
  planned_at: string | null;
  valid_until: string | null;
  outcome: string;
  run_id: string | null;
  listed: number | null;
  selected: number | null;
  stored: number | null;
  coverage: number | null;
  quality_score: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_s: number | null;
  error: string | null;
  note: string | null;
}

interface JsonReport {
  from: string;
  to: string;
  installed_at: string | null;
  counts: Record<string, number>;
  failed: boolean;
  slots: JsonSlot[];
}

interface JsonSummary {
  run_id: string;
  symbols: { symbol: string; status: string; contracts_discovered: number; coverage: number }[];
}

/**
 * Four days of EOD slots for SPY and PLTR on PostgreSQL, filled by real collections against the simulator:
 * Monday SPY completed and PLTR failed (no contract within two days: PLTR expires on Fridays), Tuesday nothing
 * (missed), Wednesday SPY completed and PLTR failed (its snapshots never answered: dead letters per contract),
 * Thursday SPY dead-lettered by the daemon's handler, and a TSLA run by hand (no slot of the plan).
 */
describe("chainvault status over a real PostgreSQL schema", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  const savedUrl = process.env.DATABASE_URL;
  const runs: Record<string, JsonSummary> = {};
  let deadLetteredRunId = "";

  const cli = (...argv: string[]) => runMain([...argv, "--config", configFile]);
  const collect = async (label: string, symbols: string) => {
    const result = await cli("collect", "--symbols", symbols, "--json");
    runs[label] = JSON.parse(result.stdout) as JsonSummary;
    return result;
  };
  const status = async (...argv: string[]) => {
    const result = await cli("status", ...argv, "--json");
    return { code: result.code, report: JSON.parse(result.stdout) as JsonReport, stderr: result.stderr };
  };

  beforeAll(async () => {
    server = await createServerDatabase();
    process.env.DATABASE_URL = server.url;
    sim = await startSimulator({
      port: 0,
      start: { date: "2025-01-13", timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 0,
    });
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-cli-status-"));
    configFile = path.join(dir, "chainvault.yaml");
    await writeFile(
      configFile,
      [
        "symbols: [SPY, PLTR]",
        "ib:",
        `  host: ${sim.host}`,
        `  port: ${sim.port}`,
        "  max_messages_per_second: 1000",
        "selection:",
        "  max_days_to_expiry: 2",
        "  tiers:",
        "    low_iv: { range: 0.02, min_strikes: 2 }",
        "    normal_iv: { range: 0.02, min_strikes: 2 }",
        "    high_iv: { range: 0.02, min_strikes: 2 }",
        "collect:",
        "  include_vix: false",
        "  snapshot_timeout_ms: 1500",
        "  max_attempts: 1",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );

    // Monday.
    expect((await collect("monday", "SPY,PLTR")).code).toBe(1);
    // Wednesday: PLTR's options feed is silent, SPY's answers.
    sim.clock.set(etInstant("2025-01-15", "16:45"));
    sim.faults.set({ silentOptionSymbols: ["PLTR"] });
    expect((await collect("wednesday", "SPY,PLTR")).code).toBe(1);
    sim.faults.set({ silentOptionSymbols: undefined });
    expect((await collect("manual", "TSLA")).code).toBe(0);

    db = await openDatabase({ url: server.url, dataDir: "unused" });
    // Thursday's SPY EOD: three attempts by the daemon failed, then pg-boss dead-lettered it (the daemon's own code).
    const slot = {
      key: "eod:SPY:2025-01-16",
      type: "eod",
      symbol: "SPY",
      date: "2025-01-16",
      at: etInstant("2025-01-16", "16:45").toISOString(),
      validUntil: etInstant("2025-01-17", "09:30").toISOString(),
    };
    for (const attempt of [1, 2, 3]) {
      const runId = `00000000-0000-4000-8000-00000000000${attempt}`;
      const id = await recordRunStart(db, {
        key: slot.key,
        type: "eod",
        symbol: "SPY",
        date: slot.date,
        daemonId: "test",
        jobId: "5f0e0d36-3c1e-5b7e-9a4b-0c1d2e3f4a5b",
        attempt,
        runId,
      });
      await recordRunEnd(db, id, "failed", "cannot connect to the gateway at 127.0.0.1:4002");
      deadLetteredRunId = runId;
    }
    await recordSlotDeadLetter(slot, { db, logger: silent, events: discardEvents });
    // A quality issue on Wednesday's SPY run (a coverage error concerning 12 contracts) lowers its score.
    await recordQualityIssues(db, [
      {
        collectionDate: "2025-01-15",
        symbol: "SPY",
        collectionType: "eod",
        contractId: null,
        rule: "coverage_low",
        severity: "error",
        message: "12 selected contracts not stored",
        details: { affected: 12 },
      },
    ]);
  }, 240_000);

  afterAll(async () => {
    if (savedUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedUrl;
    await db?.close();
    await sim?.close();
    await server?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a run that finds no contracts as failed, in the summary and the status row", async () => {
    const pltr = runs.monday!.symbols.find((entry) => entry.symbol === "PLTR")!;
    expect(pltr).toMatchObject({ status: "failed", contracts_discovered: 0, coverage: 0 });
    const row = await db.query<{ status: string; contracts_listed: number; error_message: string }>(
      `SELECT status, contracts_listed, error_message FROM daily_collection_status
        WHERE collection_date = '2025-01-13' AND symbol = 'PLTR'`,
    );
    expect(row.rows[0]).toMatchObject({ status: "failed", contracts_listed: 0 });
    expect(row.rows[0]!.error_message).toMatch(
      /no PLTR option contracts listed within selection.max_days_to_expiry \(2 days\) of 2025-01-13 \(next listed expiry: 2025-01-17\)/,
    );
  });

  it("carries each run's id in its status rows and its dead letters", async () => {
    for (const label of ["monday", "wednesday", "manual"]) expect(runs[label]!.run_id).toMatch(UUID);
    const rows = await db.query<{ collection_date: string; symbol: string; run_id: string }>(
      "SELECT collection_date, symbol, run_id FROM daily_collection_status ORDER BY collection_date, symbol",
    );
    expect(rows.rows.map((row) => [row.collection_date, row.symbol, row.run_id])).toEqual([
      ["2025-01-13", "PLTR", runs.monday!.run_id],
      ["2025-01-13", "SPY", runs.monday!.run_id],
      ["2025-01-15", "PLTR", runs.wednesday!.run_id],
      ["2025-01-15", "SPY", runs.wednesday!.run_id],
      ["2025-01-15", "TSLA", runs.manual!.run_id],
    ]);
    const letters = await db.query<{ symbol: string; contract_id: number | null; run_id: string; n: number }>(
      `SELECT symbol, (contract_id IS NULL) AS slot, run_id, count(*)::int AS n FROM collection_dead_letters
        GROUP BY 1, 2, 3 ORDER BY 1`,
    );
    expect(letters.rows.map((row) => [row.symbol, row.run_id])).toEqual([
      ["PLTR", runs.wednesday!.run_id],
      ["SPY", deadLetteredRunId],
    ]);
    expect(letters.rows[0]!.n).toBeGreaterThan(3);
  });

  it("shows every planned slot with its outcome and figures, the manual run beside them, and exits 3", async () => {
    const { code, report } = await status("--from", "2025-01-13", "--to", "2025-01-16");
    expect(code).toBe(3);
    expect(report).toMatchObject({ from: "2025-01-13", to: "2025-01-16", failed: true });
    expect(report.installed_at).not.toBeNull();
    // The first collection (Monday 16:45 ET by the gateway's clock) is chainvault's start on this database.
    const installed = Date.parse(report.installed_at!);
    expect(installed - etInstant("2025-01-13", "16:45").getTime()).toBeGreaterThanOrEqual(0);
    expect(installed - etInstant("2025-01-13", "16:45").getTime()).toBeLessThan(60_000);

    const eod = report.slots.filter((slot) => slot.type === "eod");
    expect(eod.map((slot) => [slot.date, slot.symbol, slot.outcome, slot.manual])).toEqual([
      ["2025-01-13", "SPY", "completed", false],
      ["2025-01-13", "PLTR", "failed", false],
      ["2025-01-14", "SPY", "missed", false],
      ["2025-01-14", "PLTR", "missed", false],
      ["2025-01-15", "SPY", "completed", false],
      ["2025-01-15", "PLTR", "failed", false],
      ["2025-01-15", "TSLA", "completed", true],
      ["2025-01-16", "SPY", "dead_lettered", false],
      ["2025-01-16", "PLTR", "missed", false],
    ]);
    const at = (date: string, symbol: string) =>
      eod.find((slot) => slot.date === date && slot.symbol === symbol)!;

    const spy = at("2025-01-13", "SPY");
    const spySummary = runs.monday!.symbols.find((entry) => entry.symbol === "SPY")!;
    expect(spy.run_id).toBe(runs.monday!.run_id);
    expect(spy.listed).toBe(spySummary.contracts_discovered);
    expect(spy.selected).toBeGreaterThan(0);
    expect(spy.listed!).toBeGreaterThanOrEqual(spy.selected!);
    expect(spy.stored).toBe(spy.selected);
    expect(spy.coverage).toBe(1);
    expect(spy.quality_score).toBe(1);
    expect(spy.duration_s).toBeGreaterThanOrEqual(0);
    expect(spy.planned_at).toBe(etInstant("2025-01-13", "16:45").toISOString());
    expect(spy.error).toBeNull();

    expect(at("2025-01-13", "PLTR")).toMatchObject({ listed: 0, selected: 0, stored: 0, coverage: null });
    expect(at("2025-01-13", "PLTR").error).toMatch(/^no PLTR option contracts listed/);
    expect(at("2025-01-14", "SPY").error).toMatch(/not run by 2025-01-15T14:30:00.000Z/);
    // One error concerning 12 of the contracts the run selected (src/quality/score.ts).
    const scored = at("2025-01-15", "SPY");
    expect(scored.selected).toBeGreaterThan(12);
    expect(scored.quality_score).toBe(Math.round((1 - 12 / scored.selected!) * 1000) / 1000);
    expect(at("2025-01-15", "PLTR")).toMatchObject({ run_id: runs.wednesday!.run_id, stored: 0 });
    expect(at("2025-01-15", "PLTR").error).toMatch(/contracts failed \(see collection_dead_letters\)/);
    expect(at("2025-01-16", "SPY")).toMatchObject({
      run_id: deadLetteredRunId,
      error: "retries exhausted: cannot connect to the gateway at 127.0.0.1:4002",
    });
    expect(at("2025-01-15", "TSLA").run_id).toBe(runs.manual!.run_id);

    // Monday's slots whose window closed before the first collection were never expected of chainvault; the
    // gap check's and the backup's (each runnable until the next one) still could have run.
    const monday = report.slots.filter((slot) => slot.date === "2025-01-13" && slot.type !== "eod");
    expect(monday.map((slot) => [slot.type, slot.symbol, slot.outcome]).sort()).toEqual([
      ["analytics", "PLTR", "skipped"],
      ["analytics", "SPY", "skipped"],
      ["backup", "*", "missed"],
      ["gap_check", "*", "missed"],
      ["pre_market", "PLTR", "skipped"],
      ["pre_market", "SPY", "skipped"],
    ]);
    expect(Object.values(report.counts).reduce((sum, n) => sum + n, 0)).toBe(report.slots.length);
    expect(report.counts.dead_lettered).toBe(1);
  });

  it("exits 0 when every slot in range is completed or was never expected, and prints a table", async () => {
    const { code, report } = await status("--date", "2025-01-13", "--symbols", "spy");
    expect(code).toBe(0);
    expect(report.failed).toBe(false);
    expect(report.slots.map((slot) => [slot.type, slot.outcome])).toEqual([
      ["pre_market", "skipped"],
      ["analytics", "skipped"],
      ["eod", "completed"],
    ]);

    const text = await cli(
      "status",
      "--from",
      "2025-01-13",
      "--to",
      "2025-01-16",
      "--symbols",
      "SPY,PLTR,TSLA",
    );
    expect(text.code).toBe(3);
    const lines = text.stdout.split("\n");
    expect(lines[1]).toMatch(
      /^date\s+symbol\s+type\s+outcome\s+listed\s+selected\s+stored\s+coverage\s+quality/,
    );
    expect(lines.find((line) => line.includes("dead_lettered"))).toMatch(
      /2025-01-16\s+SPY\s+eod\s+dead_lettered\s+-\s+-\s+-\s+-\s+-\s+-\s+retries exhausted/,
    );
    expect(lines.find((line) => line.includes("completed (manual)"))).toMatch(
      /TSLA\s+eod\s+completed \(manual\)/,
    );
    expect(text.stdout).toMatch(/chainvault collect --date DATE --symbols SYMBOL --type TYPE/);
    // The table truncates an error to one line; --json has it whole.
    const pltr = lines.find((line) => /2025-01-13\s+PLTR\s+eod/.test(line))!;
    expect(pltr.length).toBeLessThan(200);
    expect(pltr.endsWith("…")).toBe(true);
  });

  it("refuses --date together with --from, and a range that ends before it starts", async () => {
    const both = await cli("status", "--date", "2025-01-13", "--from", "2025-01-13");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --date or --from\/--to/);
    const backwards = await cli("status", "--from", "2025-01-16", "--to", "2025-01-13");
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--from 2025-01-16 is after --to 2025-01-13/);
  });
});
