import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chainAnalyticsFor,
  recordChainAnalytics,
  recordChainAnalyticsAfterCollection,
} from "../../src/collect/chain-analytics.ts";
import { occSymbol } from "../../src/collect/occ.ts";
import type { Database } from "../../src/store/database.ts";
import type { CollectionKey } from "../../src/store/repositories/collection-status.ts";
import {
  listExpiryAnalytics,
  replaceExpiryAnalytics,
} from "../../src/store/repositories/expiry-analytics.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { syntheticChain } from "../analytics/synthetic-chain.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

const ASOF = new Date("2025-01-15T21:00:00Z");
const DATE = "2025-01-15";
const EXPIRIES = ["2025-02-14", "2025-07-18"];
const RATE = 0.04;
const EOD: CollectionKey = { collectionDate: DATE, symbol: "SPX", collectionType: "eod" };

/** Stores a cent-rounded Black–Scholes chain of SPX (an index: European) as a collection of `type` would. */
async function storeChain(db: Database, type: string, time: Date, bump = 0): Promise<number> {
  const underlyingId = await upsertUnderlying(db, { symbol: "SPX", securityType: "IND" });
  const quotes = syntheticChain({
    asOf: ASOF,
    spot: 5900,
    rate: RATE,
    dividendYield: 0.013,
    expiries: EXPIRIES,
    range: 0.1,
    step: 25,
    quoting: "ticks",
  });
  const ids = await upsertContracts(
    db,
    quotes.map((q) => ({
      contractSymbol: occSymbol("SPX", q.expiry, q.right, q.strike),
      underlyingId,
      strikePrice: q.strike,
      optionType: q.right,
      expirationDate: q.expiry,
    })),
  );
  return insertQuotes(
    db,
    quotes.map((q) => ({
      time,
      collectionDate: DATE,
      collectionType: type,
      contractId: ids.get(occSymbol("SPX", q.expiry, q.right, q.strike))!,
      bidPrice: q.bid === null ? null : q.bid + bump,
      askPrice: q.ask! + bump,
      underlyingPrice: q.underlyingPrice,
    })),
  );
}

describe.each(TEST_ENGINES)("chain analytics of a stored snapshot on %s", (engine) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    db = test.db;
    // An older snapshot of the same collection with every call 3.00 dearer: a pending replacement's leftovers
    // that the analytics must not mix in (they read each contract's newest quote).
    await storeChain(db, "eod", new Date(ASOF.getTime() - 3_600_000), 3);
    await storeChain(db, "eod", ASOF);
    await storeChain(db, "analytics", ASOF);
  });
  afterAll(async () => {
    await test?.drop();
  });

  it("stores per expiry the rate the quotes imply and reads back exactly what it stored", async () => {
    const runId = randomUUID();
    const rows = await recordChainAnalytics(db, EOD, runId);
    expect(rows.map((row) => row.expiry)).toEqual(EXPIRIES);
    const [month, half] = rows;
    expect(month!.exerciseStyle).toBe("european");
    expect(month!.collectionTime).toEqual(ASOF);
    expect(month!.strikesUsed).toBe(20);
    expect(month!.parityBreachCount).toBe(0);
    expect(month!.parityBreaches).toEqual([]);
    // Cent-rounded quotes on 25-wide strikes: within 3 standard errors at a month, 1 bp at half a year.
    expect(Math.abs(month!.impliedRate! - RATE)).toBeLessThan(3 * month!.rateStdError!);
    expect(Math.abs(half!.impliedRate! - RATE)).toBeLessThan(1e-4);
    expect(half!.boxRates.map((box) => box.width)).toEqual(["adjacent", 25, 50, 100]);
    expect(Math.abs(half!.boxRates[0]!.mid_rate! - RATE)).toBeLessThan(5e-4);
    expect(half!.runId).toBe(runId);

    expect(await listExpiryAnalytics(db, EOD)).toEqual(rows);
    expect(await chainAnalyticsFor(db, EOD)).toEqual({ kind: "analytics", source: "stored", rows });
  });

  it("is idempotent per (date, type, symbol, expiry) and drops expiries the snapshot no longer has", async () => {
    const first = await recordChainAnalytics(db, EOD, null);
    const again = await recordChainAnalytics(db, EOD, null);
    expect(again).toEqual(first);
    expect(await listExpiryAnalytics(db, EOD)).toEqual(first);
    await replaceExpiryAnalytics(db, EOD, first.slice(1));
    expect((await listExpiryAnalytics(db, EOD)).map((row) => row.expiry)).toEqual([EXPIRIES[1]]);
    // Another collection type of the same day is its own key.
    expect(await listExpiryAnalytics(db, { ...EOD, collectionType: "analytics" })).toEqual([]);
  });

  it("computes on demand what was not stored, and tells an unknown symbol from a snapshot without quotes", async () => {
    const computed = await chainAnalyticsFor(db, { ...EOD, collectionType: "analytics" });
    expect(computed.kind === "analytics" && computed.source).toBe("computed");
    expect(computed.kind === "analytics" && computed.rows.map((row) => row.expiry)).toEqual(EXPIRIES);
    expect(await chainAnalyticsFor(db, { ...EOD, collectionDate: "2025-01-14" })).toEqual({
      kind: "no-quotes",
    });
    expect(await chainAnalyticsFor(db, { ...EOD, symbol: "NOSUCH" })).toEqual({ kind: "unknown-symbol" });
  });

  it("logs a failure after a collection instead of throwing it", async () => {
    const log = capturedLog();
    await db.exec("ALTER TABLE expiry_analytics RENAME TO expiry_analytics_away");
    try {
      await expect(recordChainAnalyticsAfterCollection(db, EOD, null, log.logger)).resolves.toBeUndefined();
    } finally {
      await db.exec("ALTER TABLE expiry_analytics_away RENAME TO expiry_analytics");
    }
    const [warning] = log.matching(/chain analytics failed/);
    expect(warning?.err).toMatch(/expiry_analytics/);
    await recordChainAnalyticsAfterCollection(db, EOD, null, log.logger);
    expect(log.matching(/chain analytics stored/)[0]).toMatchObject({ symbol: "SPX", expiries: 2 });
  });
});
