import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../../src/calendar/index.ts";
import { tableStorage } from "../../src/store/reads/dashboard-reads.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

describe("the dashboard's storage per table on TimescaleDB", () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase("timescale");
    const underlyingId = await upsertUnderlying(test.db, { symbol: "SPY", securityType: "ETF" });
    const contracts = Array.from({ length: 40 }, (_, n) => ({
      contractSymbol: `SPY   260320C00${String(500 + n).padStart(3, "0")}000`,
      underlyingId,
      strikePrice: 500 + n,
      optionType: "C" as const,
      expirationDate: "2026-03-20",
    }));
    const ids = await upsertContracts(test.db, contracts);
    const rows = [];
    for (let day = 0; day < 20; day++) {
      const date = addDays("2026-01-05", day);
      for (const contract of contracts)
        rows.push({
          contractId: ids.get(contract.contractSymbol)!,
          time: new Date(`${date}T21:45:00Z`),
          collectionDate: date,
          collectionType: "eod",
          bidPrice: 600 - contract.strikePrice + day / 10,
          askPrice: 600.1 - contract.strikePrice + day / 10,
          impliedVolatility: 0.2,
        });
    }
    await insertQuotes(test.db, rows);
    // Compression is the maintenance job's; here the chunks are compressed by hand to have a ratio to show.
    const chunks = await test.db.query<{ chunk: string }>(
      "SELECT show_chunks('market_data_ticks', older_than => now())::text AS chunk",
    );
    for (const { chunk } of chunks.rows) await test.db.query("SELECT compress_chunk($1::regclass)", [chunk]);
  }, 120_000);
  afterAll(async () => {
    await test?.drop();
  });

  it("counts a hypertable with its chunks and reports its compression", async () => {
    const storage = await tableStorage(test.db);
    const ticks = storage.find((row) => row.table === "market_data_ticks")!;
    expect(ticks.bytes).toBeGreaterThan(0);
    expect(ticks.beforeCompressionBytes).toBeGreaterThan(0);
    expect(ticks.afterCompressionBytes).toBeGreaterThan(0);
    expect(storage.find((row) => row.table === "daily_collection_status")?.beforeCompressionBytes).toBeNull();
    // No chunk table of the extension's own schemas is listed as one of ours.
    expect(storage.every((row) => !row.table.startsWith("_hyper_"))).toBe(true);
  });
});
