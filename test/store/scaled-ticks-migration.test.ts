import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreMonth, runArchive, verifyArchive } from "../../src/archive/archive.ts";
import { openArchiveTarget } from "../../src/archive/target.ts";
import type { ArchiveTarget } from "../../src/archive/target.ts";
import { openVault } from "../../src/api/vault.ts";
import { loadCopyDump, writeCopyDump } from "../../src/store/backup/copy-dump.ts";
import { applyDumpSettings, clientSession, summarizeTables } from "../../src/store/backup/table-dump.ts";
import type { TableSummary } from "../../src/store/backup/table-dump.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { chainQuotes, contractQuotes } from "../../src/store/reads/chain-reads.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { createServerDatabase, openWithMigrations } from "../helpers/db.ts";

const MIGRATION = 75;
/** The first migration released after 075. */
const LATER = 78;
const CALL = "SPY   250221C00600000";
const PUT = "SPY   250221P00600000";

/**
 * The values each numeric column could hold at its limits (numeric(12,4) up to 99,999,999.9999, gamma's six decimals,
 * theta's numeric(10,4) beyond an int4 once scaled), ordinary ones, and NULLs; two days, both snapshots.
 */
const EXTREME = {
  bid_price: 99999999.9999,
  ask_price: -0.0001,
  last_price: 0,
  close_price: 12345678.5,
  delta: -999.9999,
  gamma: 9999.999999,
  theta: -999999.9999,
  vega: 999999.9999,
  rho: 0.0001,
  implied_volatility: 9999.9999,
  underlying_price: 0.0001,
};
const ORDINARY = {
  bid_price: 1.23,
  ask_price: 1.2345,
  last_price: 1.2,
  close_price: 1.1,
  delta: 0.5123,
  gamma: 0.012345,
  theta: -0.0123,
  vega: 0.1234,
  rho: -0.0456,
  implied_volatility: 0.2345,
  underlying_price: 601.23,
};
const NAMES = Object.keys(ORDINARY) as (keyof typeof ORDINARY)[];

async function seed(db: Database): Promise<void> {
  await db.exec(`
    INSERT INTO underlying_securities (id, symbol, security_type) VALUES (1, 'SPY', 'ETF');
    INSERT INTO option_chains (id, underlying_id, contract_symbol, strike_price, option_type, expiration_date)
    VALUES (1, 1, '${CALL}', 600, 'C', '2025-02-21'), (2, 1, '${PUT}', 600, 'P', '2025-02-21');
    INSERT INTO underlying_ticks (time, collection_date, underlying_id, collection_type, bid_price, ask_price,
                                  last_price)
    VALUES ('2025-01-02 21:45+00', '2025-01-02', 1, 'eod', 601.2, 601.26, 601.23);`);
  const rows: [string, string, number, string, Record<string, number> | null, string | null][] = [
    ["2025-01-02 20:45+00", "2025-01-02", 1, "analytics", ORDINARY, null],
    ["2025-01-02 21:45+00", "2025-01-02", 1, "eod", EXTREME, "2024-12-31"],
    ["2025-01-02 21:45+00", "2025-01-02", 2, "eod", null, null],
    ["2025-01-03 21:45+00", "2025-01-03", 1, "eod", ORDINARY, "2025-01-02"],
    ["2025-01-03 21:45+00", "2025-01-03", 2, "eod", EXTREME, "2025-01-02"],
  ];
  for (const [time, date, contract, type, values, oiDate] of rows) {
    await db.query(
      `INSERT INTO market_data_ticks (time, collection_date, contract_id, collection_type, ${NAMES.join(", ")},
                                      bid_size, volume, open_interest, open_interest_date, greeks_source)
       VALUES ($1, $2, $3, $4, ${NAMES.map((_, i) => `$${i + 5}`).join(", ")}, 10, 100, 1234, $16, 'ib')`,
      [time, date, contract, type, ...NAMES.map((name) => values?.[name] ?? null), oiDate],
    );
  }
}

/** Every row of the views as PostgreSQL renders it (numeric(12,4) as "1.2300"), and the views' column types. */
async function views(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const orders: [string, string][] = [
    ["chain_quotes", "occ_symbol, quote_time, collection_type"],
    ["chain_daily", "occ_symbol, quote_date"],
    ["underlying_snapshots", "collection_date, collection_type"],
  ];
  for (const [view, order] of orders) {
    const rows = await db.query<{ j: string }>(
      `SELECT row_to_json(v)::text AS j FROM ${view} v ORDER BY ${order}`,
    );
    const types = await db.query<{ t: string }>(
      `SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 ORDER BY a.attnum`,
      [view],
    );
    out[view] = [...types.rows.map((row) => row.t), ...rows.rows.map((row) => row.j)];
  }
  return out;
}

describe.each(["postgres", "timescale"] as const)("migration 075 (scaled ticks) on %s", (engine) => {
  let db: Database;
  let url: string | null;
  let drop: () => Promise<void>;
  let before: Record<string, string[]>;
  let aggregateBefore: string[] = [];
  let archiveDir: string;
  let target: ArchiveTarget;
  const dump = path.join(os.tmpdir(), `chainvault-075-${process.pid}-${engine}.copy.gz`);
  let dumped: Record<string, TableSummary> | null = null;

  beforeAll(async () => {
    // As the release before 075 left a database: 076 and 077 came out before 075, 078 after it.
    ({ db, url, drop } = await openWithMigrations(engine, (id) => id !== MIGRATION && id < LATER));
    await seed(db);
    if (engine === "timescale") {
      await db.exec("CALL refresh_continuous_aggregate('daily_option_summary', '2025-01-01', '2025-01-05')");
      aggregateBefore = await dailySummary(db);
      const chunks = await db.query<{ chunk: string }>(
        "SELECT show_chunks('market_data_ticks', older_than => now())::text AS chunk",
      );
      expect(chunks.rows.length).toBeGreaterThan(0);
      for (const { chunk } of chunks.rows) await db.query("SELECT compress_chunk($1::regclass)", [chunk]);
    }
    before = await views(db);
    // An archive written before 075.
    archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-075-archive-"));
    target = await openArchiveTarget({ target: "dir", dir: archiveDir, prefix: "", region: "us-east-1" });
    const archived = await runArchive(db, target, new Date("2025-02-01T00:00:00Z"));
    expect(archived.written.map((entry) => entry.table)).toContain("market_data_ticks");
    // A COPY dump taken before 075 (the server's backup without pg_dump).
    if (url !== null) dumped = await withSession(url, (session) => writeCopyDump(session, dump));
  }, 60_000);

  afterAll(async () => {
    target?.close();
    fs.rmSync(archiveDir, { recursive: true, force: true });
    fs.rmSync(dump, { force: true });
    await drop?.();
  });

  it("converts the columns to integers of their scale and keeps every value exactly", async () => {
    const result = await migrate(db);
    expect(result.applied).toEqual([MIGRATION, LATER]);
    const types = await db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'market_data_ticks' AND column_name LIKE '%\\_e_'`,
    );
    expect(Object.fromEntries(types.rows.map((row) => [row.column_name, row.data_type]))).toEqual({
      bid_price_e4: "bigint",
      ask_price_e4: "bigint",
      last_price_e4: "bigint",
      close_price_e4: "bigint",
      delta_e4: "integer",
      gamma_e6: "bigint",
      theta_e4: "bigint",
      vega_e4: "bigint",
      rho_e4: "bigint",
      implied_volatility_e4: "integer",
      underlying_price_e4: "bigint",
    });
    const raw = await db.query<{ bid: number; gamma: number; theta: number }>(
      `SELECT bid_price_e4 AS bid, gamma_e6 AS gamma, theta_e4 AS theta FROM market_data_ticks
        WHERE contract_id = 1 AND collection_type = 'eod' AND collection_date = '2025-01-02'`,
    );
    expect(raw.rows).toEqual([{ bid: 999999999999, gamma: 9999999999, theta: -9999999999 }]);
    expect(await views(db)).toEqual(before);
  });

  it("reads the same decimals through the chain reads the API uses", async () => {
    const chain = await chainQuotes(db, { symbol: "SPY", date: "2025-01-02", collectionType: "eod" });
    const pick = (row: Record<string, unknown>) => ({
      bid_price: row.bid,
      ask_price: row.ask,
      last_price: row.last,
      close_price: row.close,
      delta: row.delta,
      gamma: row.gamma,
      theta: row.theta,
      vega: row.vega,
      rho: row.rho,
      implied_volatility: row.impliedVolatility,
      underlying_price: row.underlyingPrice,
    });
    expect(chain.map((row) => [row.contractSymbol, pick(row as never)])).toEqual([
      [CALL, EXTREME],
      [PUT, Object.fromEntries(NAMES.map((name) => [name, null]))],
    ]);
    const history = await contractQuotes(db, CALL);
    expect(history!.quotes.map((quote) => pick(quote as never))).toEqual([ORDINARY, EXTREME, ORDINARY]);
    if (url !== null) {
      const vault = await openVault({ url });
      try {
        const snapshot = await vault.chain({ symbol: "SPY", date: "2025-01-03", type: "eod" });
        expect(snapshot.rows.map((row) => [row.contractSymbol, pick(row as never)])).toEqual([
          [CALL, ORDINARY],
          [PUT, EXTREME],
        ]);
      } finally {
        await vault.close();
      }
    }
  });

  it.runIf(engine === "timescale")(
    "recompresses the chunks it decompressed, in the snapshot layout, and the aggregates read the decimals",
    async () => {
      const compressed = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM timescaledb_information.chunks
          WHERE hypertable_name = 'market_data_ticks' AND is_compressed`,
      );
      expect(compressed.rows[0]!.n).toBeGreaterThan(0);
      const orderby = await db.query<{ attname: string }>(
        `SELECT attname FROM timescaledb_information.compression_settings
          WHERE hypertable_name = 'market_data_ticks' AND orderby_column_index IS NOT NULL
          ORDER BY orderby_column_index`,
      );
      expect(orderby.rows.map((row) => row.attname)).toEqual([
        "collection_date",
        "collection_type",
        "contract_id",
        "time",
      ]);
      const jobs = await db.query<{ proc_name: string }>(
        `SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1`,
      );
      expect(jobs.rows.filter((job) => job.proc_name === "policy_compression")).toHaveLength(2);
      expect(jobs.rows.filter((job) => job.proc_name === "policy_refresh_continuous_aggregate")).toHaveLength(
        2,
      );
      await db.exec("CALL refresh_continuous_aggregate('daily_option_summary', '2025-01-01', '2025-01-05')");
      expect(await dailySummary(db)).toEqual(aggregateBefore);
    },
  );

  it("writes new quotes as scaled integers that read back as the decimals given", async () => {
    await insertQuotes(db, [
      {
        time: new Date("2025-01-06T21:45:00Z"),
        collectionDate: "2025-01-06",
        collectionType: "eod",
        contractId: 1,
        bidPrice: 1.00005, // numeric rounds the decimal text half away from zero: 1.0001
        askPrice: -2.00005,
        delta: 0.12344999,
        gamma: 0.0000125,
        theta: -12.34567,
        impliedVolatility: 0.23456,
      },
    ]);
    const row = await db.query<Record<string, string>>(
      `SELECT bid::text, ask::text, delta::text, gamma::text, theta::text, implied_volatility::text
         FROM chain_quotes WHERE collection_date = '2025-01-06'`,
    );
    expect(row.rows).toEqual([
      {
        bid: "1.0001",
        ask: "-2.0001",
        delta: "0.1234",
        gamma: "0.000013",
        theta: "-12.3457",
        implied_volatility: "0.2346",
      },
    ]);
    await db.exec("DELETE FROM market_data_ticks WHERE collection_date = '2025-01-06'");
  });

  it("verifies and restores the archive written before 075, row for row", async () => {
    const verified = await verifyArchive(db, target, new Date());
    expect(verified.failures).toEqual([]);
    expect(verified.checked.map((entry) => entry.database)).toEqual(["matches", "matches"]);
    await db.exec("DELETE FROM market_data_ticks");
    const restored = await restoreMonth(db, target, "2025-01");
    expect(restored.tables.find((entry) => entry.table === "market_data_ticks")).toMatchObject({
      rows: 5,
      inserted: 5,
      identical: true,
    });
    expect(await views(db)).toEqual(before);
  });

  it.runIf(engine === "postgres")(
    "loads a COPY dump taken before 075 into the migrated schema with the same checksums",
    async () => {
      const server = await createServerDatabase();
      const restored = await openDatabase({ url: server.url, dataDir: "unused" });
      try {
        await migrate(restored);
        await loadCopyDump(restored, dump);
        expect(await views(restored)).toEqual(before);
        const summaries = await withSession(server.url, (session) => summarizeTables(session));
        expect(summaries.market_data_ticks).toEqual(dumped!.market_data_ticks);
        // A dump taken now carries the same decimals, so it sums to the same checksum.
        const again = path.join(os.tmpdir(), `chainvault-075-${process.pid}-again.copy.gz`);
        try {
          const now = await withSession(server.url, (session) => writeCopyDump(session, again));
          expect(now.market_data_ticks).toEqual(dumped!.market_data_ticks);
        } finally {
          fs.rmSync(again, { force: true });
        }
      } finally {
        await restored.close();
        await server.drop();
      }
    },
  );
});

async function dailySummary(db: Database): Promise<string[]> {
  const rows = await db.query<{ j: string }>(
    `SELECT row_to_json(s)::text AS j FROM daily_option_summary s ORDER BY contract_id, day`,
  );
  expect(rows.rows.length).toBeGreaterThan(0);
  return rows.rows.map((row) => row.j);
}

/** A read-only snapshot session on a server, with the dump's fixed settings, as `chainvault backup` reads. */
async function withSession<T>(
  url: string,
  work: (session: ReturnType<typeof clientSession>) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const session = clientSession(client, (sql) => copyTo(sql));
    await applyDumpSettings(session);
    const result = await work(session);
    await client.query("ROLLBACK");
    return result;
  } finally {
    await client.end();
  }
}
