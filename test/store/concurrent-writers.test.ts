// Issue 15, part 3: several collectors COPY into one PostgreSQL at once. Each writer has its own pool, as a
// worker process would, and every row is written by two of them (a part re-run by a neighbour after its worker
// died), in opposite orders so their batches overlap key ranges. No writer may fail, no row may be lost and
// none stored twice: the unique key, the staging path and the deadlock retry in copyIdempotent carry it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { openDatabase } from "../../src/store/open.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../../src/store/repositories/quotes.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

const CONTRACTS_PER_PART = 600;
/** collect.write_batch_rows' default: what a collector hands insertQuotes at a time. */
const BATCH_ROWS = 500;

function quote(contractId: number, time: Date, collectionType: string): QuoteRow {
  return {
    time,
    collectionDate: "2026-11-20",
    contractId,
    collectionType,
    bidPrice: 1.05,
    askPrice: 1.1,
    lastPrice: 1.07,
    bidSize: 10,
    askSize: 12,
    volume: 5,
    openInterest: 100,
    impliedVolatility: 0.25,
    underlyingPrice: 600,
    marketDataType: 2,
    greeksSource: "amer",
  };
}

describe("concurrent writers on one PostgreSQL server", () => {
  let test: TestDatabase;
  let url: string;
  const writers: Database[] = [];

  beforeAll(async () => {
    test = await openTestDatabase("postgres");
    const row = await test.db.query<{ db: string }>("SELECT current_database() AS db");
    const base = new URL(process.env.CHAINVAULT_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test");
    base.pathname = `/${row.rows[0]!.db}`;
    url = base.toString();
  });
  afterAll(async () => {
    await Promise.all(writers.map((db) => db.close()));
    await test?.drop();
  });

  it.each([3, 6])(
    "%i writers, each row written twice concurrently: 0 lost, 0 duplicated, no writer fails",
    async (count) => {
      const type = `w${count}`;
      const time = new Date(Date.UTC(2026, 10, 20, 21, 45 + count));
      const parts = Array.from({ length: count }, (_, part) =>
        Array.from({ length: CONTRACTS_PER_PART }, (_, i) =>
          quote(1_000_000 + part * CONTRACTS_PER_PART + i, time, type),
        ),
      );
      const mine: Database[] = [];
      for (let k = 0; k < count; k++) mine.push(await openDatabase({ url, dataDir: "unused", poolSize: 2 }));
      writers.push(...mine);

      const write = async (db: Database, rows: QuoteRow[]): Promise<number> => {
        let stored = 0;
        for (let start = 0; start < rows.length; start += BATCH_ROWS)
          stored += await insertQuotes(db, rows.slice(start, start + BATCH_ROWS));
        return stored;
      };
      // Writer k: its own part forwards, then the next writer's part backwards, so every batch races another.
      const stored = await Promise.all(
        mine.map((db, k) => write(db, [...parts[k]!, ...[...parts[(k + 1) % count]!].reverse()])),
      );

      const expected = count * CONTRACTS_PER_PART;
      expect(stored.reduce((a, b) => a + b, 0)).toBe(expected);
      const result = await test.db.query<{ n: number; keys: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT (contract_id, collection_type, time))::int AS keys
         FROM market_data_ticks WHERE collection_type = $1`,
        [type],
      );
      expect(result.rows[0]).toEqual({ n: expected, keys: expected });
    },
  );
});
