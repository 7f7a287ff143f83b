import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { refuseLookAhead } from "../../src/collect/run.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";

describe("refuseLookAhead: the dates a gateway's clock serves", () => {
  const refused = (date: string, at: Date) => {
    try {
      refuseLookAhead(date, at);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("serves D from its midnight until the next trading day's open, over weekends and holidays", () => {
    expect(refused("2025-01-15", etInstant("2025-01-15", "16:45"))).toBeNull();
    expect(refused("2025-01-15", etInstant("2025-01-16", "02:00"))).toBeNull();
    expect(refused("2025-01-15", etInstant("2025-01-16", "09:29"))).toBeNull();
    // Friday's EOD on Monday morning before the open; Friday 17 January's after Martin Luther King Jr. Day.
    expect(refused("2025-01-17", etInstant("2025-01-20", "23:00"))).toBeNull();
    expect(refused("2025-01-17", etInstant("2025-01-21", "09:00"))).toBeNull();
  });

  it("refuses a past date once the next session has opened, and a future date", () => {
    expect(refused("2025-01-15", etInstant("2025-01-16", "09:30"))).toMatch(
      /--date 2025-01-15 is a past date for the gateway: its clock reads 2025-01-16 09:30 New York time, so it serves 2025-01-16's market; rows stamped 2025-01-15 would carry later prices/,
    );
    expect(refused("2025-01-17", etInstant("2025-01-21", "10:00"))).toMatch(/serves 2025-01-21's market/);
    expect(refused("2025-01-16", etInstant("2025-01-15", "16:45"))).toMatch(
      /--date 2025-01-16 is a future date for the gateway.*earlier prices/,
    );
  });
});

describe("collect --date against the gateway's clock, and the status row's clock and zone", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let database: { url: string; drop(): Promise<void> };
  let client: pg.Client;
  const count = async (table: string) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
  const collect = async (...args: string[]) => {
    process.env.DATABASE_URL = database.url;
    try {
      return await runMain(["collect", "--symbols", "PLTR", "--json", "--config", configFile, ...args]);
    } finally {
      delete process.env.DATABASE_URL;
    }
  };

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: "2025-01-15", timeEt: "16:45" },
      frozenClock: true,
      rate: Infinity,
      lines: Infinity,
    });
    database = await createServerDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-look-ahead-"));
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
        "schedule:",
        "  timezone: Europe/London",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await client?.end();
    await sim?.close();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("--date for a past day against a gateway already in the next session exits 2 and stores nothing", async () => {
    const result = await collect("--date", "2025-01-14");
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(
      /--date 2025-01-14 is a past date for the gateway.*serves 2025-01-15's market/,
    );
    for (const table of ["market_data_ticks", "underlying_ticks", "daily_collection_status", "option_chains"])
      expect(await count(table)).toBe(0);
  });

  it("--date for a day the gateway has not reached exits 2 too", async () => {
    const result = await collect("--date", "2025-01-16");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is a future date for the gateway/);
    expect(await count("daily_collection_status")).toBe(0);
  });

  it("the evening's date is still collected overnight; its status row's times are the gateway's, its zone the plan's", async () => {
    sim.clock.set(etInstant("2025-01-16", "03:00"));
    const result = await collect("--date", "2025-01-15");
    expect(result.code).toBe(0);
    const rows = await client.query<{
      symbol: string;
      collection_time: Date;
      started_at: Date;
      completed_at: Date;
      timezone: string;
    }>(
      `SELECT symbol, collection_time, started_at, completed_at, timezone FROM daily_collection_status
        WHERE collection_date = '2025-01-15' ORDER BY symbol`,
    );
    expect(rows.rows.map((row) => row.symbol)).toEqual(["PLTR"]);
    const row = rows.rows[0]!;
    // The simulator's clock reads 03:00 ET on 16 January 2025 (and stands still; the collector's estimate of it
    // runs on by the local clock): every time of the row is on that clock, minutes at most after 03:00, not today.
    const gateway = etInstant("2025-01-16", "03:00").getTime();
    expect(row.started_at).toEqual(row.collection_time);
    for (const time of [row.collection_time, row.started_at, row.completed_at]) {
      expect(time.getTime()).toBeGreaterThanOrEqual(gateway - 1_000);
      expect(time.getTime()).toBeLessThan(gateway + 10 * 60_000);
    }
    expect(row.completed_at.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    expect(row.timezone).toBe("Europe/London");
    expect(await count("underlying_ticks")).toBeGreaterThan(0); // VIX and PLTR
  });

  it("--force refreshes the VIX tick along with the symbol", async () => {
    const before = await client.query<{ time: Date }>(
      `SELECT t.time FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id WHERE u.symbol = 'VIX'`,
    );
    expect(before.rows).toHaveLength(1);
    sim.clock.set(etInstant("2025-01-16", "03:10"));
    const result = await collect("--date", "2025-01-15", "--force");
    expect(result.code).toBe(0);
    const after = await client.query<{ time: Date }>(
      `SELECT t.time FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id WHERE u.symbol = 'VIX'`,
    );
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0]!.time.getTime()).toBeGreaterThan(before.rows[0]!.time.getTime());
    const status = await client.query<{ started_at: Date }>(
      "SELECT started_at FROM daily_collection_status WHERE symbol = 'PLTR'",
    );
    const forcedAt = etInstant("2025-01-16", "03:10").getTime();
    expect(status.rows[0]!.started_at.getTime()).toBeGreaterThanOrEqual(forcedAt - 1_000);
    expect(status.rows[0]!.started_at.getTime()).toBeLessThan(forcedAt + 10 * 60_000);
  });
});
