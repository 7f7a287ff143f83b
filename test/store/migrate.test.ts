import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { createServerDatabase, openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase, TestEngine } from "../helpers/db.ts";
import { runCli } from "../helpers/cli.ts";

const CORE_TABLES = [
  "collection_dead_letters",
  "daily_collection_status",
  "data_quality_issues",
  "market_data_ticks",
  "option_chains",
  "option_contract_lifecycle",
  "underlying_securities",
  "underlying_ticks",
];

/** Tables, columns, indexes and constraints: what a second migration must leave alone. */
async function schemaSnapshot(db: Database): Promise<unknown> {
  const columns = await db.query(
    `SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable
       FROM information_schema.columns WHERE table_schema = current_schema()
      ORDER BY table_name, column_name`,
  );
  const indexes = await db.query(
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname",
  );
  const migrations = await db.query("SELECT id, name, skipped FROM chainvault_migrations ORDER BY id");
  return { columns: columns.rows, indexes: indexes.rows, migrations: migrations.rows };
}

/**
 * One TimescaleDB engine for the file: opening and migrating it is the slowest setup here, and the
 * feature tests below only add rows after the schema tests have read it.
 */
let timescale: Promise<TestDatabase> | undefined;
const sharedTimescale = () => (timescale ??= openTestDatabase("timescale"));
afterAll(async () => (await timescale)?.drop());

describe.each<TestEngine>(["pglite", "postgres", "timescale"])("migrations on %s", (engine) => {
  let test: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    test =
      engine === "timescale"
        ? await sharedTimescale()
        : await openTestDatabase(engine, { fromScratch: true });
    db = test.db;
  });
  afterAll(() => (engine === "timescale" ? undefined : test?.drop()));

  it("creates every table of the schema", async () => {
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(CORE_TABLES));
  });

  it("uses the ADR's column names and types for quotes", async () => {
    const columns = await db.query<{ column_name: string; type: string }>(
      `SELECT column_name, format_type(atttypid, atttypmod) AS type
         FROM information_schema.columns
         JOIN pg_attribute ON attrelid = 'market_data_ticks'::regclass AND attname = column_name
        WHERE table_name = 'market_data_ticks' AND table_schema = current_schema()`,
    );
    const types = Object.fromEntries(columns.rows.map((row) => [row.column_name, row.type]));
    expect(types).toMatchObject({
      time: "timestamp with time zone",
      contract_id: "integer",
      // Prices and greeks as integers of their numeric scale, the scale in the name (migration 075).
      bid_price_e4: "bigint",
      delta_e4: "integer",
      gamma_e6: "bigint",
      implied_volatility_e4: "integer",
      open_interest: "integer",
      volume: "bigint",
      greeks_source: "character varying(5)",
      open_interest_date: "date",
    });
  });

  it("changes nothing when run a second time", async () => {
    const before = await schemaSnapshot(db);
    const again = await migrate(db);
    expect(again.applied).toEqual([]);
    expect(again.current).toBe(Math.max(...loadMigrations().map((m) => m.id)));
    expect(await schemaSnapshot(db)).toEqual(before);
  });

  it(`runs in ${engine === "timescale" ? "TimescaleDB" : "plain"} mode`, async () => {
    expect(db.timescale).toBe(engine === "timescale");
    const skipped = await db.query<{ skipped: boolean }>(
      "SELECT skipped FROM chainvault_migrations WHERE id = 2",
    );
    expect(skipped.rows[0]?.skipped).toBe(engine !== "timescale");
  });
});

describe("TimescaleDB features on the TimescaleDB test engine", () => {
  let db: Database;

  beforeAll(async () => {
    db = (await sharedTimescale()).db;
  });

  it("makes market_data_ticks and underlying_ticks hypertables with 30-day and 365-day chunks", async () => {
    const dimensions = await db.query<{ hypertable_name: string; time_interval: { days: number } | string }>(
      `SELECT hypertable_name, time_interval::text AS time_interval FROM timescaledb_information.dimensions
        WHERE hypertable_schema = current_schema() ORDER BY hypertable_name`,
    );
    expect(dimensions.rows).toEqual([
      { hypertable_name: "market_data_ticks", time_interval: "30 days" },
      { hypertable_name: "underlying_ticks", time_interval: "365 days" },
    ]);
  });

  it("compresses ticks without segmentby, ordered by snapshot (date, type), then contract and time", async () => {
    const settings = await db.query(
      `SELECT attname, segmentby_column_index, orderby_column_index, orderby_asc
         FROM timescaledb_information.compression_settings
        WHERE hypertable_name = 'market_data_ticks' ORDER BY orderby_column_index`,
    );
    expect(settings.rows).toEqual(
      ["collection_date", "collection_type", "contract_id", "time"].map((attname, index) => ({
        attname,
        segmentby_column_index: null,
        orderby_column_index: index + 1,
        orderby_asc: attname !== "time",
      })),
    );
  });

  it("schedules compression and aggregate refreshes, and has no retention policy (retention waits for archives)", async () => {
    const jobs = await db.query<{ proc_name: string; hypertable_name: string; scheduled: boolean }>(
      `SELECT proc_name, hypertable_name, scheduled FROM timescaledb_information.jobs
        WHERE hypertable_name IS NOT NULL ORDER BY proc_name, hypertable_name`,
    );
    const caggs = await db.query<{ view_name: string; id: number }>(
      "SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY view_name",
    );
    expect(caggs.rows.map((row) => row.view_name)).toEqual(["daily_option_summary", "hourly_option_summary"]);
    const byProc = jobs.rows.map((job) => [job.proc_name, job.scheduled]);
    expect(byProc.filter(([proc]) => proc === "policy_compression")).toHaveLength(2);
    expect(byProc.filter(([proc]) => proc === "policy_refresh_continuous_aggregate")).toHaveLength(2);
    // 077 removed 002's paused policy: src/archive/retention.ts deletes only archived, verified months.
    expect(jobs.rows.filter((job) => job.proc_name === "policy_retention")).toEqual([]);
  });

  it("names each aggregated figure for its own day: open interest with its date, tick 9 as the prior close", async () => {
    const columns = await db.query<{ view_name: string; column_name: string }>(
      `SELECT table_name AS view_name, column_name FROM information_schema.columns
        WHERE table_name IN ('hourly_option_summary', 'daily_option_summary') ORDER BY table_name, ordinal_position`,
    );
    const of = (view: string) =>
      columns.rows.filter((row) => row.view_name === view).map((row) => row.column_name);
    expect(of("hourly_option_summary")).toEqual(
      expect.arrayContaining(["open_interest", "open_interest_date"]),
    );
    expect(of("hourly_option_summary")).not.toContain("closing_oi");
    expect(of("daily_option_summary")).toEqual(
      expect.arrayContaining(["prior_close", "open_interest", "open_interest_date"]),
    );
    await db.exec(`
      INSERT INTO market_data_ticks (time, collection_date, contract_id, underlying_id, collection_type, close_price_e4,
                                     open_interest, open_interest_date)
      VALUES ('2025-01-21 21:45+00', '2025-01-21', 999001, 0, 'eod', 12500, 4321, '2025-01-17')`);
    await db.exec("CALL refresh_continuous_aggregate('daily_option_summary', '2025-01-20', '2025-01-23')");
    const daily = await db.query<{
      day: Date;
      prior_close: number;
      open_interest: number;
      open_interest_date: string;
    }>(
      "SELECT day, prior_close, open_interest, open_interest_date FROM daily_option_summary WHERE contract_id = 999001",
    );
    expect(daily.rows).toEqual([
      {
        day: new Date("2025-01-21T00:00:00Z"),
        prior_close: 1.25,
        open_interest: 4321,
        open_interest_date: "2025-01-17",
      },
    ]);
    // The later tests count the whole table.
    await db.exec("DELETE FROM market_data_ticks WHERE contract_id = 999001");
  });

  it("compresses a month of end-of-day quotes to less than the uncompressed size, and reads them back", async () => {
    // 20 trading days x 500 contracts, one EOD snapshot each: the layout that grew under ADR-001's settings.
    await db.exec(`
      INSERT INTO market_data_ticks (time, collection_date, contract_id, underlying_id, collection_type, bid_price_e4,
                                     ask_price_e4, volume, open_interest, delta_e4, implied_volatility_e4,
                                     underlying_price_e4)
      SELECT '2025-01-01 21:45+00'::timestamptz + d * INTERVAL '1 day', ('2025-01-01'::date + d), c, 0, 'eod',
             round((c % 50 + d * 0.1)::numeric, 2) * 10000, round((c % 50 + d * 0.1 + 0.05)::numeric, 2) * 10000,
             CASE WHEN (c + d) % 3 = 0 THEN 0 ELSE (c * 7 + d) % 500 END, 1000 + c + d,
             round(((c % 100) / 100.0)::numeric, 4) * 10000,
             round((0.2 + (c % 17) / 100.0 + d / 1000.0)::numeric, 4) * 10000, (590 + d) * 10000
        FROM generate_series(0, 19) AS d, generate_series(1, 500) AS c`);
    const chunks = await db.query<{ chunk: string }>(
      "SELECT show_chunks('market_data_ticks', older_than => now())::text AS chunk",
    );
    expect(chunks.rows.length).toBeGreaterThan(0);
    for (const { chunk } of chunks.rows) await db.query("SELECT compress_chunk($1::regclass)", [chunk]);
    const stats = await db.query<{ before: number; after: number }>(
      `SELECT sum(before_compression_total_bytes) AS before, sum(after_compression_total_bytes) AS after
         FROM chunk_compression_stats('market_data_ticks')`,
    );
    const { before, after } = stats.rows[0]!;
    // ADR-001's layout (1-day chunks, segmentby contract_id) grew this data; this one must shrink it well.
    expect(before / after).toBeGreaterThan(2);
    const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM market_data_ticks");
    expect(count.rows[0]!.n).toBe(10_000);
    console.log(
      `compression of 10,000 EOD rows: ${before} -> ${after} bytes (${(before / after).toFixed(2)}x)`,
    );
  });

  it("keeps one copy when quotes already in a compressed chunk are stored again", async () => {
    const compressed = await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'market_data_ticks' AND is_compressed",
    );
    expect(compressed.rows[0]!.n).toBeGreaterThan(0);
    const rows = [1, 2, 3].map((contractId) => ({
      time: new Date("2025-01-03T21:45:00Z"),
      collectionDate: "2025-01-03",
      contractId,
      collectionType: "eod",
      bidPrice: 1.23,
    }));
    expect(await insertQuotes(db, rows)).toBe(0);
    const fresh = rows.map((row) => ({ ...row, collectionType: "settlement" }));
    expect(await insertQuotes(db, [...rows, ...fresh])).toBe(3);
    const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM market_data_ticks");
    expect(count.rows[0]!.n).toBe(10_003);
  });
});

describe("concurrent migrators on the server", () => {
  it("two processes migrating one fresh database at once apply each migration once", async () => {
    const server = await createServerDatabase();
    try {
      const env = { DATABASE_URL: server.url };
      const [first, second] = await Promise.all([
        runCli(["db", "migrate"], env),
        runCli(["db", "migrate"], env),
      ]);
      expect([first.code, second.code], first.stderr + second.stderr).toEqual([0, 0]);
      const db = await openDatabase({ url: server.url, dataDir: "unused" });
      try {
        const rows = await db.query<{ id: number }>("SELECT id FROM chainvault_migrations ORDER BY id");
        expect(rows.rows.map((row) => row.id)).toEqual(loadMigrations().map((m) => m.id));
        // Between them, the two processes applied every plain migration exactly once.
        const appliedBy = (stdout: string) =>
          (/applied ([\d, ]+)/.exec(stdout)?.[1] ?? "").split(",").filter(Boolean).map(Number);
        const both = [...appliedBy(first.stdout), ...appliedBy(second.stdout)].sort((a, b) => a - b);
        expect(both).toEqual(
          loadMigrations()
            .filter((m) => !m.requiresTimescale)
            .map((m) => m.id),
        );
      } finally {
        await db.close();
      }
    } finally {
      await server.drop();
    }
  });
});
