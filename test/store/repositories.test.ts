import { decimalSql } from "../../src/store/repositories/tick-columns.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import {
  completeCollection,
  failCollection,
  getCollection,
  startCollection,
} from "../../src/store/repositories/collection-status.ts";
import { listDeadLetters, recordDeadLetter } from "../../src/store/repositories/dead-letters.ts";
import {
  expireLifecycle,
  getLifecycle,
  markExpiryCollected,
  touchLifecycle,
} from "../../src/store/repositories/lifecycle.ts";
import { listContracts, upsertContracts } from "../../src/store/repositories/option-chains.ts";
import type { ContractRow } from "../../src/store/repositories/option-chains.ts";
import { recordQualityIssues } from "../../src/store/repositories/quality-issues.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../../src/store/repositories/quotes.ts";
import { insertUnderlyingTicks } from "../../src/store/repositories/underlying-ticks.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

const SNAPSHOT = new Date("2026-11-20T21:45:00Z");

function contract(
  underlyingId: number,
  strike: number,
  type: "C" | "P",
  conId: number | null = null,
): ContractRow {
  const occ = `SPY   261218${type}${String(strike * 1000).padStart(8, "0")}`;
  return {
    contractSymbol: occ,
    underlyingId,
    strikePrice: strike,
    optionType: type,
    expirationDate: "2026-12-18",
    ibConId: conId,
    tradingClass: "SPY",
  };
}

function quote(contractId: number, overrides: Partial<QuoteRow> = {}): QuoteRow {
  return {
    time: SNAPSHOT,
    collectionDate: "2026-11-20",
    contractId,
    collectionType: "eod",
    bidPrice: 12.34,
    askPrice: 12.45,
    lastPrice: 12.4,
    bidSize: 10,
    askSize: 12,
    volume: 0,
    openInterest: 1523,
    delta: 0.5123,
    gamma: 0.012345,
    theta: -0.1234,
    vega: 0.4567,
    rho: 0.2345,
    impliedVolatility: 0.1834,
    underlyingPrice: 601.23,
    marketDataType: 2,
    greeksSource: "ib",
    ...overrides,
  };
}

async function count(db: Database, table: string): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return result.rows[0]!.n;
}

describe.each(TEST_ENGINES)("repositories on %s", (engine) => {
  let test: TestDatabase;
  let db: Database;
  let spy: number;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    db = test.db;
    spy = await upsertUnderlying(db, { symbol: "SPY", securityType: "ETF", primaryExchange: "ARCA" });
  });
  afterAll(() => test?.drop());

  it("upserts an underlying by symbol without losing known values", async () => {
    const again = await upsertUnderlying(db, { symbol: "SPY", securityType: "ETF", ibConId: 756733 });
    expect(again).toBe(spy);
    const row = await db.query(
      "SELECT ib_con_id, primary_exchange, exchange FROM underlying_securities WHERE id = $1",
      [spy],
    );
    expect(row.rows[0]).toEqual({ ib_con_id: 756733, primary_exchange: "ARCA", exchange: "SMART" });
  });

  it("upserts contracts and returns an id per OCC symbol, keeping a known conId", async () => {
    const first = await upsertContracts(db, [contract(spy, 600, "C", 1001), contract(spy, 600, "P", 1002)]);
    expect(first.size).toBe(2);
    const second = await upsertContracts(db, [contract(spy, 600, "C", null), contract(spy, 605, "C", 1003)]);
    expect(second.get("SPY   261218C00600000")).toBe(first.get("SPY   261218C00600000"));
    expect(second.size).toBe(2);
    const stored = await listContracts(db, spy);
    expect(stored.map((c) => [c.contractSymbol, c.ibConId, c.strikePrice, c.expirationDate])).toEqual([
      ["SPY   261218C00600000", 1001, 600, "2026-12-18"],
      ["SPY   261218P00600000", 1002, 600, "2026-12-18"],
      ["SPY   261218C00605000", 1003, 605, "2026-12-18"],
    ]);
  });

  it("numbers the new contracts of a batch calls first, then puts, each by expiry and strike", async () => {
    const later = {
      ...contract(spy, 700, "C"),
      contractSymbol: "SPY   270115C00700000",
      expirationDate: "2027-01-15",
    };
    // Listed as a chain is: strike by strike, put and call side by side.
    const ids = await upsertContracts(db, [
      contract(spy, 720, "P"),
      contract(spy, 720, "C"),
      later,
      contract(spy, 710, "P"),
      contract(spy, 710, "C"),
    ]);
    const order = [...ids.entries()].sort((a, b) => a[1] - b[1]).map(([symbol]) => symbol);
    expect(order).toEqual([
      "SPY   261218C00710000",
      "SPY   261218C00720000",
      "SPY   270115C00700000",
      "SPY   261218P00710000",
      "SPY   261218P00720000",
    ]);
  });

  it("stores the same quote rows twice and keeps one copy", async () => {
    const ids = await upsertContracts(db, [contract(spy, 610, "C"), contract(spy, 610, "P")]);
    const rows = [...ids.values()].map((id) => quote(id));
    expect(await insertQuotes(db, rows)).toBe(2);
    const before = await count(db, "market_data_ticks");
    expect(await insertQuotes(db, rows)).toBe(0);
    // A batch mixing stored and new rows stores only the new ones.
    const later = [...ids.values()].map((id) => quote(id, { time: new Date(SNAPSHOT.getTime() + 60_000) }));
    expect(await insertQuotes(db, [...rows, ...later])).toBe(2);
    expect(await count(db, "market_data_ticks")).toBe(before + 2);
  });

  it("keeps one copy when two writers race on the same rows in opposite orders", async () => {
    const base = Date.parse("2026-11-21T21:45:00Z");
    const rows = Array.from({ length: 3_000 }, (_, i) =>
      quote(900_000 + (i % 300), {
        time: new Date(base + Math.floor(i / 300) * 60_000),
        collectionType: "race",
      }),
    );
    const [first, second] = await Promise.all([
      insertQuotes(db, rows),
      insertQuotes(db, [...rows].reverse()),
    ]);
    expect(first + second).toBe(3_000);
    const stored = await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM market_data_ticks WHERE collection_type = 'race'",
    );
    expect(stored.rows[0]!.n).toBe(3_000);
  });

  it("stores malformed values as NULL instead of failing the batch", async () => {
    // Prices and greeks are stored scaled (migration 075): read back as the decimals they stand for.
    const decimal = (name: string) => `${decimalSql("", name)} AS ${name}`;
    const [id] = (await upsertContracts(db, [contract(spy, 620, "C")])).values();
    const stored = await insertQuotes(db, [
      quote(id!, {
        bidPrice: Number.NaN,
        askPrice: 1e12, // beyond numeric(12,4)
        delta: 1000, // beyond numeric(7,4)
        bidSize: 2 ** 40, // beyond int
        volume: Number.POSITIVE_INFINITY,
        impliedVolatility: 0.12345678,
        lastPrice: null,
      }),
    ]);
    expect(stored).toBe(1);
    const row = await db.query(
      `SELECT ${decimal("bid_price")}, ${decimal("ask_price")}, ${decimal("delta")}, bid_size, volume,
              ${decimal("implied_volatility")}, ${decimal("last_price")}, open_interest,
              collection_date, time FROM market_data_ticks WHERE contract_id = $1`,
      [id],
    );
    expect(row.rows[0]).toEqual({
      bid_price: null,
      ask_price: null,
      delta: null,
      bid_size: null,
      volume: null,
      implied_volatility: 0.1235,
      last_price: null,
      open_interest: 1523,
      collection_date: "2026-11-20",
      time: SNAPSHOT,
    });
  });

  it("stores underlying ticks idempotently", async () => {
    const row = {
      time: SNAPSHOT,
      collectionDate: "2026-11-20",
      underlyingId: spy,
      collectionType: "eod",
      lastPrice: 601.23,
    };
    expect(await insertUnderlyingTicks(db, [row])).toBe(1);
    expect(await insertUnderlyingTicks(db, [row])).toBe(0);
    expect(await count(db, "underlying_ticks")).toBe(1);
  });

  it("tracks a collection from start to completion, and does not restart a completed one", async () => {
    const key = { collectionDate: "2026-11-20", symbol: "SPY", collectionType: "eod" };
    const started = await startCollection(db, key);
    expect(started.status).toBe("running");
    expect(started.collectionDate).toBe("2026-11-20");
    const done = await completeCollection(db, key, { recordsCollected: 412 });
    expect(done).toMatchObject({ status: "completed", recordsCollected: 412 });
    expect(done.completedAt).toBeInstanceOf(Date);
    const again = await startCollection(db, key);
    expect(again).toMatchObject({ id: started.id, status: "completed", recordsCollected: 412 });
    const forced = await startCollection(db, key, { force: true });
    expect(forced).toMatchObject({ id: started.id, status: "running", recordsCollected: null });
    await failCollection(db, key, "gateway disconnected");
    expect(await getCollection(db, key)).toMatchObject({
      status: "failed",
      errorMessage: "gateway disconnected",
    });
    const retried = await startCollection(db, key);
    expect(retried).toMatchObject({ status: "running", errorMessage: null });
    await expect(completeCollection(db, { ...key, symbol: "QQQ" }, { recordsCollected: 1 })).rejects.toThrow(
      /startCollection first/,
    );
  });

  it("keeps first and last sightings in the lifecycle", async () => {
    const [id] = (await upsertContracts(db, [contract(spy, 630, "P")])).values();
    expect(await touchLifecycle(db, [id!], "2026-11-18")).toEqual([id]);
    expect(await getLifecycle(db, id!)).toEqual({
      contractId: id,
      firstSeen: "2026-11-18",
      lastSeen: "2026-11-18",
      expiryCollected: false,
      status: "listed",
    });
    expect(await touchLifecycle(db, [id!], "2026-11-20")).toEqual([]);
    await markExpiryCollected(db, [id!], "2026-12-18");
    await touchLifecycle(db, [id!], "2026-11-10");
    expect(await getLifecycle(db, id!)).toMatchObject({
      firstSeen: "2026-11-10",
      lastSeen: "2026-11-20",
      expiryCollected: true,
      status: "listed",
    });
    await expireLifecycle(db, spy, "2026-12-19");
    expect((await getLifecycle(db, id!))?.status).toBe("expired");
  });

  it("records dead letters and quality issues", async () => {
    const id = await recordDeadLetter(db, {
      collectionDate: "2026-11-20",
      symbol: "SPY",
      category: "permanent",
      errorCode: 200,
      errorMessage: "No security definition has been found",
      payload: { conId: 1234, strike: 600 },
    });
    const letters = await listDeadLetters(db, { unresolvedOnly: true });
    expect(letters.find((l) => l.id === id)).toMatchObject({
      category: "permanent",
      errorCode: 200,
      payload: { conId: 1234, strike: 600 },
    });
    const stored = await recordQualityIssues(db, [
      {
        collectionDate: "2026-11-20",
        symbol: "SPY",
        rule: "crossed_market",
        severity: "error",
        message: "bid > ask",
      },
      {
        collectionDate: "2026-11-20",
        rule: "low_coverage",
        severity: "warning",
        message: "80%",
        details: { ratio: 0.8 },
      },
    ]);
    expect(stored).toBe(2);
    const details = await db.query("SELECT details FROM data_quality_issues WHERE rule = 'low_coverage'");
    expect(details.rows[0]).toEqual({ details: { ratio: 0.8 } });
  });

  it("records a quality issue once per date, symbol, type, contract and rule", async () => {
    const gap = {
      collectionDate: "2026-11-23",
      symbol: "SPY",
      collectionType: "eod",
      rule: "collection_gap",
      severity: "error" as const,
      message: "eod:SPY:2026-11-23 is missing",
    };
    expect(await recordQualityIssues(db, [gap, { ...gap, message: "found again in the same check" }])).toBe(
      1,
    );
    expect(await recordQualityIssues(db, [gap, { ...gap, symbol: null }, { ...gap, contractId: null }])).toBe(
      1,
    );
    const rows = await db.query<{ symbol: string | null; message: string }>(
      "SELECT symbol, message FROM data_quality_issues WHERE collection_date = '2026-11-23' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { symbol: "SPY", message: "eod:SPY:2026-11-23 is missing" },
      { symbol: null, message: "eod:SPY:2026-11-23 is missing" },
    ]);
  });
});
