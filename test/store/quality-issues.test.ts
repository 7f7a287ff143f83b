import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import {
  recordQualityIssues,
  replaceCollectionIssues,
  summarizeQualityIssues,
} from "../../src/store/repositories/quality-issues.ts";
import type { QualityIssueInput } from "../../src/store/repositories/quality-issues.ts";
import { chainQuotes } from "../../src/store/reads/chain-reads.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import {
  collectionUnderlyingTick,
  insertUnderlyingTicks,
} from "../../src/store/repositories/underlying-ticks.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

const DATE = "2026-03-10";
const RUN_A = "0b6f3c1e-8a64-4a4f-9d55-3f0f6f1d2a01";
const RUN_B = "7d2a9e40-1c3b-4f8e-a2d1-6b5c4e3f2a10";
const T1 = new Date("2026-03-10T20:45:00Z");
const T2 = new Date("2026-03-10T20:50:00Z");

describe.each(TEST_ENGINES)("quality issues and the checks' reads on %s", (engine) => {
  let test: TestDatabase;
  let db: Database;
  let call: number;
  let put: number;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    db = test.db;
    const spy = await upsertUnderlying(db, { symbol: "SPY", securityType: "ETF" });
    const ids = await upsertContracts(
      db,
      (["C", "P"] as const).map((right) => ({
        contractSymbol: `SPY   260417${right}00600000`,
        underlyingId: spy,
        strikePrice: 600,
        optionType: right,
        expirationDate: "2026-04-17",
        ibConId: right === "C" ? 501 : 502,
        tradingClass: "SPY",
      })),
    );
    call = ids.get("SPY   260417C00600000")!;
    put = ids.get("SPY   260417P00600000")!;
  });
  afterAll(() => test?.drop());

  const issue = (overrides: Partial<QualityIssueInput>): QualityIssueInput => ({
    collectionDate: DATE,
    symbol: "SPY",
    collectionType: "eod",
    rule: "crossed_market",
    severity: "error",
    message: "crossed",
    ...overrides,
  });

  it("stores each issue with its run id, and replaces a collection's checked rules with the latest run's", async () => {
    await recordQualityIssues(db, [
      issue({ contractId: call, runId: RUN_A, message: "call crossed" }),
      issue({ contractId: put, runId: RUN_A, rule: "iv_out_of_range", severity: "warning" }),
      issue({ rule: "collection_gap", message: "the daemon's, not a check's" }),
      issue({ collectionType: "pre_market", contractId: call, runId: RUN_A }),
    ]);
    const stored = await replaceCollectionIssues(
      db,
      { collectionDate: DATE, symbol: "SPY", collectionType: "eod" },
      ["crossed_market", "iv_out_of_range", "coverage_low"],
      [
        issue({ contractId: put, runId: RUN_B, message: "put crossed" }),
        issue({ rule: "coverage_low", runId: RUN_B, message: "98 of 100", details: { affected: 2 } }),
      ],
    );
    expect(stored).toBe(2);
    const rows = await db.query<{
      collection_type: string;
      rule: string;
      contract_id: number | null;
      run_id: string | null;
    }>(
      `SELECT collection_type, rule, contract_id, run_id::text FROM data_quality_issues
        WHERE collection_date = $1 ORDER BY collection_type, rule, contract_id`,
      [DATE],
    );
    expect(rows.rows).toEqual([
      { collection_type: "eod", rule: "collection_gap", contract_id: null, run_id: null },
      { collection_type: "eod", rule: "coverage_low", contract_id: null, run_id: RUN_B },
      { collection_type: "eod", rule: "crossed_market", contract_id: put, run_id: RUN_B },
      { collection_type: "pre_market", rule: "crossed_market", contract_id: call, run_id: RUN_A },
    ]);
  });

  it("summarizes per date, symbol, type, rule, severity and run, errors first, with examples and affected contracts", async () => {
    await recordQualityIssues(db, [
      issue({ collectionType: "analytics", contractId: call, runId: RUN_A, message: "first" }),
      issue({ collectionType: "analytics", contractId: put, runId: RUN_A, message: "second" }),
      issue({
        collectionType: "analytics",
        rule: "stale_quote",
        severity: "warning",
        contractId: call,
        runId: RUN_A,
      }),
      issue({ symbol: "QQQ", collectionType: "analytics", contractId: call, runId: RUN_A }),
      issue({ collectionDate: "2026-03-11", collectionType: "analytics", contractId: call, runId: RUN_A }),
    ]);
    const groups = await summarizeQualityIssues(db, { from: DATE, to: DATE, symbols: ["SPY"], examples: 1 });
    expect(
      groups.map((g) => [g.collectionType, g.rule, g.severity, g.runId, g.count, g.affected, g.examples]),
    ).toEqual([
      ["analytics", "crossed_market", "error", RUN_A, 2, 2, ["first"]],
      ["analytics", "stale_quote", "warning", RUN_A, 1, 1, ["crossed"]],
      ["eod", "collection_gap", "error", null, 1, 1, ["the daemon's, not a check's"]],
      ["eod", "coverage_low", "error", RUN_B, 1, 2, ["98 of 100"]],
      ["eod", "crossed_market", "error", RUN_B, 1, 1, ["put crossed"]],
      ["pre_market", "crossed_market", "error", RUN_A, 1, 1, ["crossed"]],
    ]);
    expect(groups[0]!.collectionDate).toBe(DATE);
    const everyone = await summarizeQualityIssues(db, { from: DATE, to: DATE, examples: 3 });
    expect(everyone.map((g) => g.symbol)).toContain("QQQ");
  });

  it("reads a collection's newest quote per contract (from `since` on) and its underlying's newest tick", async () => {
    const row = (contractId: number, time: Date, bid: number) => ({
      time,
      collectionDate: DATE,
      contractId,
      collectionType: "eod",
      bidPrice: bid,
      askPrice: bid + 0.1,
      volume: 7,
      openInterest: null,
      delta: 0.5,
      gamma: 0.01,
      theta: -0.2,
      vega: 0.3,
      impliedVolatility: 0.2,
      underlyingPrice: 601.5,
    });
    await insertQuotes(db, [row(call, T1, 1), row(call, T2, 2), row(put, T1, 3)]);
    const quotes = await chainQuotes(db, { symbol: "SPY", date: DATE, collectionType: "eod" });
    expect(quotes).toEqual([
      expect.objectContaining({
        contractId: call,
        contractSymbol: "SPY   260417C00600000",
        right: "C",
        strike: 600,
        expiry: "2026-04-17",
        time: T2,
        bid: 2,
        ask: 2.1,
        volume: 7,
        openInterest: null,
        impliedVolatility: 0.2,
        delta: 0.5,
        gamma: 0.01,
        theta: -0.2,
        vega: 0.3,
        underlyingPrice: 601.5,
      }),
      expect.objectContaining({ contractId: put, right: "P", bid: 3 }),
    ]);
    const since = await chainQuotes(db, { symbol: "SPY", date: DATE, collectionType: "eod", since: T2 });
    expect(since.map((quote) => quote.contractId)).toEqual([call]);
    expect(await chainQuotes(db, { symbol: "SPY", date: DATE, collectionType: "pre_market" })).toEqual([]);

    const spy = (await db.query<{ id: number }>("SELECT id FROM underlying_securities WHERE symbol = 'SPY'"))
      .rows[0]!.id;
    await insertUnderlyingTicks(db, [
      {
        time: T1,
        collectionDate: DATE,
        underlyingId: spy,
        collectionType: "eod",
        bidPrice: 600,
        askPrice: 600.2,
      },
      {
        time: T2,
        collectionDate: DATE,
        underlyingId: spy,
        collectionType: "eod",
        lastPrice: 601,
        closePrice: 599,
      },
    ]);
    expect(await collectionUnderlyingTick(db, "SPY", DATE, "eod")).toEqual({
      bid: null,
      ask: null,
      last: 601,
      close: 599,
    });
    expect(await collectionUnderlyingTick(db, "SPY", DATE, "analytics")).toBeNull();
  });
});
