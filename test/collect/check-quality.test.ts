import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStoredCollection } from "../../src/collect/check-quality.ts";
import { configSchema } from "../../src/config/schema.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import type { Database } from "../../src/store/database.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";

const DATE = "2026-03-10";
const RUN = "5a1e2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";

describe("checkStoredCollection (embedded engine)", () => {
  let test: TestDatabase;
  let db: Database;
  const config = configSchema.parse({});
  const target = {
    symbol: "SPY",
    date: DATE,
    type: "eod",
    runId: RUN,
    since: null,
    listed: 3,
    selected: 3,
    unlistedExpiries: [],
  };

  beforeAll(async () => {
    test = await openTestDatabase("pglite");
    db = test.db;
    const spy = await upsertUnderlying(db, { symbol: "SPY", securityType: "ETF" });
    const ids = await upsertContracts(
      db,
      [600, 605].map((strike) => ({
        contractSymbol: `SPY   260417C00${strike}000`,
        underlyingId: spy,
        strikePrice: strike,
        optionType: "C" as const,
        expirationDate: "2026-04-17",
        tradingClass: "SPY",
      })),
    );
    const [crossed, fine] = [...ids.values()];
    const row = (contractId: number, bidPrice: number, askPrice: number) => ({
      time: new Date("2026-03-10T20:45:00Z"),
      collectionDate: DATE,
      contractId,
      collectionType: "eod",
      bidPrice,
      askPrice,
    });
    await insertQuotes(db, [row(crossed!, 5.2, 5.1), row(fine!, 3, 3.1)]);
  });
  afterAll(() => test?.drop());

  it("stores what the rules found with the run id, logs it and emits quality_checked", async () => {
    const log = capturedLog();
    const bus = new EventBus();
    const seen: ChainvaultEvent[] = [];
    bus.on((event) => void seen.push(event));
    const result = await checkStoredCollection(target, { db, config, logger: log.logger, events: bus });
    // Two of three selected contracts stored: coverage 67 %; one of them crossed.
    expect(result?.issues.map((issue) => issue.rule)).toEqual(["crossed_market", "coverage_low"]);
    const stored = await db.query(
      "SELECT rule, severity, run_id::text AS run FROM data_quality_issues ORDER BY rule",
    );
    expect(stored.rows).toEqual([
      { rule: "coverage_low", severity: "error", run: RUN },
      { rule: "crossed_market", severity: "error", run: RUN },
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: "quality_checked", runId: RUN, symbol: "SPY", contracts: 3 });
    expect(log.matching(/^quality checked: issues recorded/)[0]).toMatchObject({
      level: 40,
      runId: RUN,
      issues: { crossed_market: 1, coverage_low: 1 },
    });
  });

  it("runs nothing when quality.enabled is false", async () => {
    const off = configSchema.parse({ quality: { enabled: false } });
    expect(await checkStoredCollection(target, { db, config: off, logger: capturedLog().logger })).toBeNull();
  });

  it("never throws: a check that cannot store its issues is logged and the caller carries on", async () => {
    const log = capturedLog();
    const seen: ChainvaultEvent[] = [];
    const bus = new EventBus();
    bus.on((event) => void seen.push(event));
    await db.exec("ALTER TABLE data_quality_issues RENAME TO data_quality_issues_away");
    try {
      await expect(
        checkStoredCollection(target, { db, config, logger: log.logger, events: bus }),
      ).resolves.toBeNull();
    } finally {
      await db.exec("ALTER TABLE data_quality_issues_away RENAME TO data_quality_issues");
    }
    expect(log.matching(/^quality checks failed; the collection and its status stand/)[0]).toMatchObject({
      level: 40,
      runId: RUN,
      err: expect.stringMatching(/data_quality_issues/),
    });
    expect(seen).toEqual([]);
  });
});
