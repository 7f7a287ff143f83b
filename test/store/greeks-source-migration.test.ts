import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { openWithMigrations } from "../helpers/db.ts";
import type { TestEngine } from "../helpers/db.ts";

const MIGRATION = 63;

async function seedContract(db: Database): Promise<void> {
  await db.exec(`
    INSERT INTO underlying_securities (id, symbol, security_type) VALUES (1, 'SPY', 'ETF');
    INSERT INTO option_chains (id, underlying_id, contract_symbol, strike_price, option_type, expiration_date)
    VALUES (1, 1, 'SPY   250117P00600000', 600, 'P', '2025-01-17');`);
}

describe.each<TestEngine>(["pglite", "postgres", "timescale"])("migration 063 on %s", (engine) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openWithMigrations(engine, (id) => id < MIGRATION));
    await seedContract(db);
    // Quotes stored by the old release: its two greeks_source values.
    await db.exec(`
      INSERT INTO market_data_ticks (time, collection_date, contract_id, collection_type, bid_price, ask_price,
                                     delta, implied_volatility, greeks_source)
      SELECT '2025-01-02 21:45+00'::timestamptz + d * INTERVAL '1 day', '2025-01-02'::date + d, 1, 'eod',
             10, 10.2, -0.5, 0.2, CASE WHEN d % 2 = 0 THEN 'model' ELSE 'ib' END
        FROM generate_series(0, 9) AS d`);
    if (engine === "timescale") {
      const chunks = await db.query<{ chunk: string }>(
        "SELECT show_chunks('market_data_ticks', older_than => now())::text AS chunk",
      );
      expect(chunks.rows.length).toBeGreaterThan(0);
      for (const { chunk } of chunks.rows) await db.query("SELECT compress_chunk($1::regclass)", [chunk]);
    }
  });
  afterAll(() => drop?.());

  it("applies on top of the old schema, compressed chunks included, and keeps the old rows", async () => {
    const result = await migrate(db);
    expect(result.applied[0]).toBe(MIGRATION);
    expect(result.applied.every((id) => id >= MIGRATION)).toBe(true);
    const rows = await db.query<{ source: string; n: number }>(
      "SELECT greeks_source AS source, count(*)::int AS n FROM market_data_ticks GROUP BY 1 ORDER BY 1",
    );
    expect(rows.rows).toEqual([
      { source: "ib", n: 5 },
      { source: "model", n: 5 },
    ]);
    if (engine === "timescale") {
      const compressed = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM timescaledb_information.chunks
          WHERE hypertable_name = 'market_data_ticks' AND is_compressed`,
      );
      expect(compressed.rows[0]!.n).toBeGreaterThan(0);
    }
  });

  it("stores the new model names and the IV flag, also into a compressed chunk's time range", async () => {
    const base = { collectionDate: "2025-01-03", contractId: 1, bidPrice: 10, askPrice: 10.2 };
    const stored = await insertQuotes(db, [
      { ...base, time: new Date("2025-01-03T21:45:00Z"), collectionType: "settlement", greeksSource: "amer" },
      { ...base, time: new Date("2025-01-03T21:46:00Z"), collectionType: "settlement", greeksSource: "bs" },
      {
        ...base,
        time: new Date("2025-01-03T21:47:00Z"),
        collectionType: "settlement",
        greeksSource: null,
        ivFlag: "below_intrinsic",
      },
      {
        ...base,
        time: new Date("2025-01-03T21:48:00Z"),
        collectionType: "settlement",
        greeksSource: "ib",
        ivFlag: "wide_spread",
      },
    ]);
    expect(stored).toBe(4);
    const rows = await db.query<{ source: string | null; flag: string | null }>(
      `SELECT greeks_source AS source, iv_flag AS flag FROM market_data_ticks
        WHERE collection_type = 'settlement' ORDER BY time`,
    );
    expect(rows.rows).toEqual([
      { source: "amer", flag: null },
      { source: "bs", flag: null },
      { source: null, flag: "below_intrinsic" },
      { source: "ib", flag: "wide_spread" },
    ]);
  });

  it("still refuses values outside the lists", async () => {
    const insert = (column: string, value: string) =>
      db.query(
        `INSERT INTO market_data_ticks (time, collection_date, contract_id, underlying_id, collection_type, ${column})
         VALUES ('2025-02-03 21:45+00', '2025-02-03', 1, 1, 'eod', $1)`,
        [value],
      );
    await expect(insert("greeks_source", "tree")).rejects.toThrow(/greeks_source_check/);
    await expect(insert("iv_flag", "stale")).rejects.toThrow(/iv_flag_check/);
  });
});
