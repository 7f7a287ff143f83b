import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase, TestEngine } from "../helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-11-30", 2);
// Wednesday before Thanksgiving (Thursday 2026-11-26, NYSE closed) and the Friday after.
const HOLIDAY_DAYS = tradingDaysFrom("2026-11-25", 2);

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
      rows += await seedSyntheticChains(test.db, {
        symbols: ["IWM"],
        days: HOLIDAY_DAYS,
        expiries: 2,
        strikes: 5,
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
        // As reported on quote_date: IB's close and open interest are the previous session's.
        prior_close: eod.prior_close,
        open_interest_reported: eod.open_interest,
        open_interest_date: DAYS[0],
        delta_eod: eod.delta,
        trade_volume: eod.volume,
        // quote_date's own figures come with the next trading day's snapshot, not stored yet.
        close: null,
        open_interest: null,
      });
    });

    it("chain_daily: each day's own open interest and close, from the next trading day's snapshot", async () => {
      const { db } = test;
      const [monday, tuesday] = DAYS as [string, string];
      const dailyRow = async (day: string) =>
        (
          await db.query(
            `SELECT * FROM chain_daily WHERE underlying_symbol = 'SPY' AND quote_date = $1
              ORDER BY expiration, strike, option_type LIMIT 1`,
            [day],
          )
        ).rows[0]!;
      const mondayRow = await dailyRow(monday);
      const tuesdayEod = (
        await db.query(
          `SELECT * FROM chain_quotes WHERE occ_symbol = $1 AND collection_date = $2 AND collection_type = 'eod'`,
          [mondayRow.occ_symbol, tuesday],
        )
      ).rows[0]!;
      expect(tuesdayEod.open_interest_date).toBe(monday);
      expect(mondayRow).toMatchObject({
        open_interest: tuesdayEod.open_interest,
        close: tuesdayEod.prior_close,
      });
      expect((await dailyRow(tuesday)).open_interest).toBeNull();
    });

    it("chain_daily across a holiday: Wednesday's figures come from Friday's snapshot", async () => {
      const { db } = test;
      expect(HOLIDAY_DAYS).toEqual(["2026-11-25", "2026-11-27"]);
      const days = await db.query(
        `SELECT d.quote_date, d.open_interest, d.close, d.open_interest_date, q.open_interest AS friday_oi,
                q.prior_close AS friday_prior_close, q.open_interest_date AS friday_oi_date
           FROM chain_daily d
           LEFT JOIN chain_quotes q ON q.contract_id = d.contract_id AND q.collection_date = '2026-11-27'
                                   AND q.collection_type = 'eod'
          WHERE d.contract_id = (SELECT min(w.contract_id) FROM chain_daily w JOIN chain_daily f USING (contract_id)
                                  WHERE w.underlying_symbol = 'IWM' AND w.quote_date = '2026-11-25'
                                    AND f.quote_date = '2026-11-27')
          ORDER BY d.quote_date`,
      );
      const [wednesday, friday] = days.rows as [Record<string, unknown>, Record<string, unknown>];
      expect(wednesday).toMatchObject({ quote_date: "2026-11-25", friday_oi_date: "2026-11-25" });
      expect(wednesday.open_interest).toBe(wednesday.friday_oi);
      expect(wednesday.close).toBe(wednesday.friday_prior_close);
      expect(wednesday.open_interest).not.toBeNull();
      // Friday's snapshot reported Wednesday's figures (no session on Thanksgiving); Friday's own come Monday.
      expect(friday).toMatchObject({ quote_date: "2026-11-27", open_interest_date: "2026-11-25" });
      expect(friday.open_interest).toBeNull();
      expect(friday.close).toBeNull();
    });
  },
);
