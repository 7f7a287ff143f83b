import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { occSymbol } from "../../src/collect/occ.ts";
import type { Database } from "../../src/store/database.ts";
import { chainQuotes } from "../../src/store/reads/chain-reads.ts";
import type { ChainQuote } from "../../src/store/reads/chain-reads.ts";
import { ContractCache } from "../../src/store/reads/contract-cache.ts";
import { upsertContracts } from "../../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import { openTestDatabase, TEST_ENGINES } from "../helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-03-02", 3);
const SYMBOLS = ["SPY", "QQQ"];

describe.each(TEST_ENGINES)("the chain at one snapshot on %s", (engine) => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase(engine));
    await seedSyntheticChains(db, { symbols: SYMBOLS, days: DAYS, expiries: 2, strikes: 6 });
  }, 60_000);
  afterAll(() => drop?.());

  /** The same snapshot through the chain_quotes view, which joins contracts and underlyings itself. */
  async function viewChain(symbol: string, date: string, type: string) {
    const result = await db.query<{ occ: string; bid: number | null; delta: number | null; time: Date }>(
      `SELECT occ_symbol AS occ, bid::float8 AS bid, delta::float8 AS delta, quote_time AS time FROM chain_quotes
        WHERE underlying_symbol = $1 AND collection_date = $2 AND collection_type = $3
        ORDER BY expiration, strike, option_type`,
      [symbol, date, type],
    );
    return result.rows;
  }

  const brief = (quotes: ChainQuote[]) =>
    quotes.map((q) => ({ occ: q.contractSymbol, bid: q.bid, delta: q.delta, time: q.time }));

  it("holds exactly the symbol's quotes of that snapshot, in chain order, as the view has them", async () => {
    for (const symbol of SYMBOLS) {
      for (const type of ["analytics", "eod"]) {
        const quotes = await chainQuotes(db, { symbol, date: DAYS[1]!, collectionType: type });
        expect(quotes.length).toBe(2 * 6 * 2);
        expect(quotes.every((q) => q.contractSymbol.startsWith(symbol))).toBe(true);
        expect(brief(quotes)).toEqual(await viewChain(symbol, DAYS[1]!, type));
      }
    }
  });

  it("serves later reads from a ContractCache and reads a contract listed since when a chain quotes it", async () => {
    const cache = new ContractCache();
    const first = await chainQuotes(db, { symbol: "SPY", date: DAYS[2]!, collectionType: "eod" }, cache);
    const underlyingId = (
      await db.query<{ id: number }>("SELECT id FROM underlying_securities WHERE symbol = 'SPY'")
    ).rows[0]!.id;
    const contract = {
      contractSymbol: occSymbol("SPY", "2027-12-17", "C", 1000),
      underlyingId,
      strikePrice: 1000,
      optionType: "C" as const,
      expirationDate: "2027-12-17",
      tradingClass: "SPY",
      multiplier: 100,
      ibConId: 987654321,
    };
    const id = (await upsertContracts(db, [contract])).get(contract.contractSymbol)!;
    await insertQuotes(db, [
      {
        contractId: id,
        time: first[0]!.time,
        collectionDate: DAYS[2]!,
        collectionType: "eod",
        bidPrice: 1.25,
      },
    ]);
    const cached = await chainQuotes(db, { symbol: "SPY", date: DAYS[2]!, collectionType: "eod" }, cache);
    const fresh = await chainQuotes(db, { symbol: "SPY", date: DAYS[2]!, collectionType: "eod" });
    expect(cached).toEqual(fresh);
    expect(cached).toHaveLength(first.length + 1);
    expect(cached.at(-1)).toMatchObject({
      contractId: id,
      contractSymbol: contract.contractSymbol,
      expiry: "2027-12-17",
      strike: 1000,
      right: "C",
      conId: 987654321,
      bid: 1.25,
      ask: null,
    });
  });

  it("reads the same chain through a cache smaller than the chain (it starts over)", async () => {
    const small = new ContractCache(5);
    for (const date of DAYS) {
      const fresh = await chainQuotes(db, { symbol: "QQQ", date, collectionType: "analytics" });
      expect(await chainQuotes(db, { symbol: "QQQ", date, collectionType: "analytics" }, small)).toEqual(
        fresh,
      );
    }
  });

  it("shows a contract quoted twice in one snapshot once, with its latest quote; `since` keeps only the newer", async () => {
    const before = await chainQuotes(db, { symbol: "QQQ", date: DAYS[0]!, collectionType: "eod" });
    const target = before[3]!;
    const later = new Date(target.time.getTime() + 60_000);
    await insertQuotes(db, [
      {
        contractId: target.contractId,
        time: later,
        collectionDate: DAYS[0]!,
        collectionType: "eod",
        bidPrice: 9.5,
      },
    ]);
    const after = await chainQuotes(db, { symbol: "QQQ", date: DAYS[0]!, collectionType: "eod" });
    expect(after).toHaveLength(before.length);
    expect(after[3]).toMatchObject({ contractId: target.contractId, time: later, bid: 9.5 });
    const since = await chainQuotes(db, {
      symbol: "QQQ",
      date: DAYS[0]!,
      collectionType: "eod",
      since: later,
    });
    expect(since.map((q) => q.contractId)).toEqual([target.contractId]);
  });

  it("stores a quote of a contract option_chains does not hold under underlying 0, in no chain", async () => {
    const spy = await chainQuotes(db, { symbol: "SPY", date: DAYS[0]!, collectionType: "eod" });
    const stored = await insertQuotes(db, [
      {
        contractId: 99_999_999,
        time: spy[0]!.time,
        collectionDate: DAYS[0]!,
        collectionType: "eod",
        bidPrice: 1,
      },
    ]);
    expect(stored).toBe(1);
    const row = await db.query<{ underlying_id: number }>(
      "SELECT underlying_id FROM market_data_ticks WHERE contract_id = 99999999",
    );
    expect(row.rows).toEqual([{ underlying_id: 0 }]);
    expect(await chainQuotes(db, { symbol: "SPY", date: DAYS[0]!, collectionType: "eod" })).toEqual(spy);
  });
});
