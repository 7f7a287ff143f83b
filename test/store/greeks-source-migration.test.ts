import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { loadMigrations, migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { createServerDatabase, openTimescalePglite } from "../helpers/db.ts";
import type { TestEngine } from "../helpers/db.ts";

const MIGRATION = 63;

/**
 * A database as the release before migration 063 left it: every earlier migration applied and recorded, as
 * `migrate` records them.
 */
async function openBefore063(engine: TestEngine): Promise<{ db: Database; drop(): Promise<void> }> {
  let db: Database;
  let dropServer = async () => {};
  if (engine === "timescale") db = await openTimescalePglite();
  else if (engine === "pglite") db = await openDatabase({ dataDir: "memory://" });
  else {
    const server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    dropServer = () => server.drop();
  }
  await db.refreshCapabilities();
  await db.exec(`CREATE TABLE chainvault_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, skipped BOOLEAN NOT NULL DEFAULT FALSE,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  for (const migration of loadMigrations().filter((m) => m.id < MIGRATION)) {
    const skip = migration.requiresTimescale && !db.timescale;
    if (!skip) await db.exec(migration.sql);
    await db.query("INSERT INTO chainvault_migrations (id, name, skipped) VALUES ($1, $2, $3)", [
      migration.id,
      migration.name,
      skip,
    ]);
  }
  return {
    db,
    async drop() {
      await db.close();
      await dropServer();
    },
  };
}

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
    ({ db, drop } = await openBefore063(engine));
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
