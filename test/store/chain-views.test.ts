import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase, TestEngine } from "../helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-11-30", 2);

describe.each(["pglite", "postgres", "timescale"] as TestEngine[])(
  "views chain_quotes and chain_daily (%s)",
  (engine) => {
    let test: TestDatabase;
    let rows: number;

    beforeAll(async () => {
      test = await openTestDatabase(engine);
      rows = await seedSyntheticChains(test.db, {
        symbols: ["SPY", "QQQ"],
        days: DAYS,
        expiries: 2,
        strikes: 3,
      });
    }, 60_000);

    afterAll(async () => {
      await test?.drop();
    });

    it("chain_quotes: one row per stored quote, the contract spelled out, the underlying of the same collection", async () => {
      const { db } = test;
      const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM chain_quotes");
      expect(count.rows[0]!.n).toBe(rows);
      const row = (
        await db.query(
          `SELECT * FROM chain_quotes WHERE underlying_symbol = 'SPY' AND collection_date = $1
            AND collection_type = 'analytics' ORDER BY expiration, strike, option_type LIMIT 1`,
          [DAYS[0]],
        )
      ).rows[0]!;
      const tick = (
        await db.query(
          `SELECT t.bid_price, t.ask_price, t.last_price FROM underlying_ticks t
             JOIN underlying_securities u ON u.id = t.underlying_id
            WHERE u.symbol = 'SPY' AND t.collection_date = $1 AND t.collection_type = 'analytics'`,
          [DAYS[0]],
        )
      ).rows[0]!;
      expect(row).toMatchObject({
        underlying_symbol: "SPY",
        trading_class: "SPY",
        option_type: "C",
        collection_date: DAYS[0],
        collection_type: "analytics",
        underlying_bid: tick.bid_price,
        underlying_ask: tick.ask_price,
        underlying_last: tick.last_price,
      });
      expect(row.occ_symbol).toMatch(/^SPY {3}\d{6}C\d{8}$/);
      expect(row.quote_time).toBeInstanceOf(Date);
    });

    it("chain_daily: one row per contract per day, the 15:45 and end-of-day snapshots side by side", async () => {
      const { db } = test;
      const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM chain_daily");
      expect(count.rows[0]!.n).toBe(rows / 2);
      const daily = (
        await db.query(
          `SELECT * FROM chain_daily WHERE underlying_symbol = 'QQQ' AND quote_date = $1
            ORDER BY expiration, strike, option_type LIMIT 1`,
          [DAYS[1]],
        )
      ).rows[0]!;
      const snapshots = await db.query(
        `SELECT * FROM chain_quotes WHERE occ_symbol = $1 AND collection_date = $2 ORDER BY quote_time`,
        [daily.occ_symbol, DAYS[1]],
      );
      const [analytics, eod] = snapshots.rows as [Record<string, unknown>, Record<string, unknown>];
      expect([analytics.collection_type, eod.collection_type]).toEqual(["analytics", "eod"]);
      expect(daily).toMatchObject({
        root: "QQQ",
        expiration: analytics.expiration,
        strike: analytics.strike,
        quote_time_1545: analytics.quote_time,
        bid_1545: analytics.bid,
        ask_1545: analytics.ask,
        bid_size_1545: analytics.bid_size,
        ask_size_1545: analytics.ask_size,
        underlying_bid_1545: analytics.underlying_bid,
        underlying_ask_1545: analytics.underlying_ask,
        implied_volatility_1545: analytics.implied_volatility,
        delta_1545: analytics.delta,
        rho_1545: analytics.rho,
        quote_time_eod: eod.quote_time,
        bid_eod: eod.bid,
        ask_eod: eod.ask,
        underlying_bid_eod: eod.underlying_bid,
        underlying_ask_eod: eod.underlying_ask,
        prior_close: eod.prior_close,
        // IB's open interest is the previous session's: it carries that day, not quote_date.
        open_interest_date: DAYS[0],
        delta_eod: eod.delta,
        open_interest: eod.open_interest,
        trade_volume: eod.volume,
      });
    });
  },
);
