import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";

/** Runs the CLI in-process and returns its exit code, stdout and stderr. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof stdout;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof stderr;
  try {
    const code = await main(["node", "chainvault", ...args]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

const dir = mkdtempSync(join(tmpdir(), "chainvault-schedule-cli-"));
const configFile = join(dir, "chainvault.yaml");
writeFileSync(configFile, "symbols: [SPY, PLTR, TSLA]\nschedule:\n  timezone: Asia/Jerusalem\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("chainvault calendar", () => {
  it("prints the year's holidays and early closes as JSON", async () => {
    const { code, stdout } = await run("calendar", "--year", "2026", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      year: 2026,
      holidays: [
        "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
        "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
      ], // prettier-ignore
      early_closes: [
        { date: "2026-11-27", close_et: "13:00" },
        { date: "2026-12-24", close_et: "13:00" },
      ],
    });
  });

  it("lists weekdays only: a Saturday holiday observed on Friday, a Saturday New Year's Day not at all", async () => {
    const y2027 = JSON.parse((await run("calendar", "--year", "2027", "--json")).stdout);
    expect(y2027.holidays).toContain("2027-12-24");
    expect(y2027.holidays).not.toContain("2027-12-25");
    const y2022 = JSON.parse((await run("calendar", "--year", "2022", "--json")).stdout);
    expect(y2022.holidays[0]).toBe("2022-01-17");
  });

  it("prints a readable list with holiday names", async () => {
    const { code, stdout } = await run("calendar", "--year", "2026");
    expect(code).toBe(0);
    expect(stdout).toMatch(/2026-04-03 {2}Fri {2}Good Friday/);
    expect(stdout).toMatch(/2026-12-24 {2}Thu {2}close 13:00 ET/);
  });

  it("rejects a year outside 1990–2100 with exit code 2", async () => {
    const { code, stderr } = await run("calendar", "--year", "1850");
    expect(code).toBe(2);
    expect(stderr).toMatch(/1990 to 2100/);
  });
});

describe("chainvault schedule", () => {
  it("shows the EOD at 22:45 in Jerusalem in the week of 2026-03-09, and says why", async () => {
    const { code, stdout } = await run(
      "schedule", "--config", configFile, "--tz", "Asia/Jerusalem", "--from", "2026-03-09", "--days", "3", "--json",
    ); // prettier-ignore
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<Record<string, string | null>>;
    const eods = rows.filter((r) => r.type === "eod");
    expect(eods).toHaveLength(9);
    for (const eod of eods) {
      expect(eod.at_et).toBe("16:45");
      expect(eod.at_local).toMatch(/^2026-03-(09|10|11)T22:45$/);
      expect(eod.at_utc).toBe(`${eod.date}T20:45:00.000Z`);
      expect(eod.note).toMatch(/6 h apart instead of 7 h: New York changed its clocks on 2026-03-08/);
    }
    // The nightly backup (02:00 New York) falls at the same instant as the 08:00 Jerusalem gap check.
    expect(rows[0]).toMatchObject({
      type: "backup",
      symbol: null,
      date: "2026-03-09",
      at_utc: "2026-03-09T06:00:00.000Z",
      at_et: "02:00",
    });
    expect(rows[1]).toEqual({
      type: "gap_check",
      symbol: null,
      date: "2026-03-09",
      at_utc: "2026-03-09T06:00:00.000Z",
      at_et: "02:00",
      at_local: "2026-03-09T08:00",
      note: null,
    });
    expect(rows.map((r) => r.at_utc)).toEqual(rows.map((r) => r.at_utc).sort());
    expect(Object.keys(rows[1]!)).toEqual(["type", "symbol", "date", "at_utc", "at_et", "at_local", "note"]);
  });

  it("prints a table with the Jerusalem times and the reason as a footnote", async () => {
    const { code, stdout } = await run(
      "schedule", "--config", configFile, "--tz", "Asia/Jerusalem", "--from", "2026-03-09", "--days", "3",
    ); // prettier-ignore
    expect(code).toBe(0);
    expect(stdout).toMatch(/2026-03-09 {2}16:45 {2}2026-03-09 22:45 {2}eod +SPY,PLTR,TSLA {2}\[1\]/);
    expect(stdout).toMatch(/\[1\] New York and Asia\/Jerusalem are 6 h apart instead of 7 h/);
  });

  it("shows nothing on a holiday and the moved Thursday expiry", async () => {
    const { stdout } = await run(
      "schedule", "--config", configFile, "--tz", "America/New_York", "--from", "2026-04-02", "--days", "2", "--json",
    ); // prettier-ignore
    const rows = JSON.parse(stdout) as Array<Record<string, string | null>>;
    expect(rows.every((r) => r.date === "2026-04-02")).toBe(true);
    const settlement = rows.find((r) => r.type === "settlement" && r.symbol === "SPY")!;
    expect(settlement.at_local).toBe("2026-04-02T15:59");
    expect(settlement.note).toMatch(/Good Friday/);
    const text = await run("schedule", "--config", configFile, "--from", "2026-04-02", "--days", "2");
    expect(text.stdout).toMatch(/^2026-04-03 +- +- +closed +- +Good Friday$/m);
  });

  it("rejects a bad date, day count or zone with exit code 2", async () => {
    expect((await run("schedule", "--from", "2026-02-30")).code).toBe(2);
    expect((await run("schedule", "--days", "0")).code).toBe(2);
    const zone = await run("schedule", "--tz", "Nowhere/Special");
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/IANA/);
  });

  it("works through the installed bin script", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "bin/chainvault.js",
        "schedule",
        "--config",
        configFile,
        "--tz",
        "Asia/Jerusalem",
        "--from",
        "2026-03-09",
        "--days",
        "1",
      ],
      { cwd: join(import.meta.dirname, "../..") },
    );
    expect(stdout).toContain("2026-03-09 22:45");
  });
});
