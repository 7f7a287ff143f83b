import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { chainQuotes } from "../../src/store/reads/chain-reads.ts";
import { openWithMigrations } from "../helpers/db.ts";

const MIGRATION = 78;

describe.each(["postgres", "timescale"] as const)("migration 078 (the tick's underlying) on %s", (engine) => {
  let db: Database;
  let drop: () => Promise<void>;
  let compressedBefore = 0;

  beforeAll(async () => {
    ({ db, drop } = await openWithMigrations(engine, (id) => id < MIGRATION));
    // Two underlyings with a call each, twenty days of eod quotes, and quotes of a contract option_chains lacks.
    await db.exec(`
      INSERT INTO underlying_securities (id, symbol, security_type) VALUES (7, 'SPY', 'ETF'), (8, 'QQQ', 'ETF');
      INSERT INTO option_chains (id, underlying_id, contract_symbol, strike_price, option_type, expiration_date)
      VALUES (101, 7, 'SPY   250620C00600000', 600, 'C', '2025-06-20'),
             (102, 8, 'QQQ   250620C00500000', 500, 'C', '2025-06-20');
      INSERT INTO market_data_ticks (time, collection_date, contract_id, collection_type, bid_price_e4, ask_price_e4)
      SELECT '2025-01-01 21:15+00'::timestamptz + d * INTERVAL '1 day', '2025-01-01'::date + d, c, 'eod',
             (10 + d) * 10000, (11 + d) * 10000
        FROM generate_series(0, 19) AS d, unnest(ARRAY[101, 102, 424242]) AS c;`);
    if (engine === "timescale") {
      const chunks = await db.query<{ chunk: string }>(
        "SELECT show_chunks('market_data_ticks', older_than => now())::text AS chunk",
      );
      for (const { chunk } of chunks.rows) await db.query("SELECT compress_chunk($1::regclass)", [chunk]);
      compressedBefore = chunks.rows.length;
      expect(compressedBefore).toBeGreaterThan(0);
    }
  }, 60_000);
  afterAll(() => drop?.());

  it("stores each quote's underlying from option_chains, 0 for a contract it lacks, and requires it", async () => {
    const result = await migrate(db);
    expect(result.applied).toEqual([MIGRATION]);
    const rows = await db.query<{ contract_id: number; underlying_id: number; n: number }>(
      `SELECT contract_id, underlying_id, count(*)::int AS n FROM market_data_ticks
        GROUP BY contract_id, underlying_id ORDER BY contract_id`,
    );
    expect(rows.rows).toEqual([
      { contract_id: 101, underlying_id: 7, n: 20 },
      { contract_id: 102, underlying_id: 8, n: 20 },
      { contract_id: 424242, underlying_id: 0, n: 20 },
    ]);
    const column = await db.query<{ is_nullable: string }>(
      `SELECT is_nullable FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'market_data_ticks' AND column_name = 'underlying_id'`,
    );
    expect(column.rows).toEqual([{ is_nullable: "NO" }]);
    await expect(
      db.exec(`INSERT INTO market_data_ticks (time, collection_date, contract_id, collection_type)
               VALUES ('2025-03-03 21:15+00', '2025-03-03', 101, 'eod')`),
    ).rejects.toThrow(/underlying_id/);
  });

  it("indexes the snapshot by underlying, and the chain read finds each symbol's quotes", async () => {
    const index = await db.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_market_data_ticks_chain'",
    );
    expect(index.rows[0]?.indexdef).toMatch(/\(collection_date, collection_type, underlying_id\)/);
    const spy = await chainQuotes(db, { symbol: "SPY", date: "2025-01-10", collectionType: "eod" });
    expect(spy.map((q) => [q.contractSymbol, q.bid, q.ask])).toEqual([["SPY   250620C00600000", 19, 20]]);
    const qqq = await chainQuotes(db, { symbol: "QQQ", date: "2025-01-20", collectionType: "eod" });
    expect(qqq.map((q) => q.contractId)).toEqual([102]);
  });

  it.runIf(engine === "timescale")(
    "compresses again the chunks that were compressed, in the same layout",
    async () => {
      const chunks = await db.query<{ compressed: number }>(
        `SELECT count(*)::int AS compressed FROM timescaledb_information.chunks
        WHERE hypertable_name = 'market_data_ticks' AND is_compressed`,
      );
      expect(chunks.rows[0]!.compressed).toBe(compressedBefore);
      const settings = await db.query<{ attname: string; orderby_column_index: number | null }>(
        `SELECT attname, orderby_column_index FROM timescaledb_information.compression_settings
        WHERE hypertable_name = 'market_data_ticks' AND orderby_column_index IS NOT NULL
        ORDER BY orderby_column_index`,
      );
      expect(settings.rows.map((row) => row.attname)).toEqual([
        "collection_date",
        "collection_type",
        "contract_id",
        "time",
      ]);
      const policy = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM timescaledb_information.jobs
        WHERE hypertable_name = 'market_data_ticks' AND proc_name = 'policy_compression'`,
      );
      expect(policy.rows[0]!.n).toBe(1);
    },
  );
});
