import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { americanGreeks } from "../../src/pricing/american.ts";
import { americanImpliedVolatility } from "../../src/pricing/american-implied-volatility.ts";
import { impliedVolatility } from "../../src/pricing/implied-volatility.ts";
import { timeToExpiryYears } from "../../src/pricing/year-fraction.ts";
import { startHarness, type Harness } from "./harness.ts";
import { decimalColumnsSql } from "../../src/store/repositories/tick-columns.ts";

const DATE = "2025-01-15";

interface Row {
  symbol: string;
  option_type: "C" | "P";
  strike_price: string;
  expiration_date: string;
  ib_con_id: string;
  time: Date;
  bid_price: string | null;
  ask_price: string | null;
  underlying_price: string | null;
  implied_volatility: string | null;
  delta: string | null;
  gamma: string | null;
  rho: string | null;
  greeks_source: string | null;
  iv_flag: string | null;
}

/**
 * End to end with IB's greeks switched off (the simulator's greeklessOptionSymbols fault: IB's "not computed"
 * option computations): the collector's fallback fills IV and greeks of these American-style options with the
 * American model and says so in greeks_source, or flags the quote.
 */
describe("American fallback when IB sends no greeks", () => {
  let h: Harness;
  let rows: Row[];

  beforeAll(async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "11:00" },
      sim: { faults: { greeklessOptionSymbols: ["*"] } },
      config: { selection: { mode: "window", max_days_to_expiry: 40 }, collect: { include_vix: false } },
    });
    const summary = await h.collect({ symbols: ["SPY", "PLTR"], type: "analytics" });
    expect(summary.symbols.map((entry) => entry.status)).toEqual(["completed", "completed"]);
    const result = await h.db.query<Row>(
      `SELECT u.symbol, c.option_type, c.strike_price, c.expiration_date::text AS expiration_date, c.ib_con_id,
              q.time, q.greeks_source, q.iv_flag, ${decimalColumnsSql("q")}
         FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
         JOIN underlying_securities u ON u.id = c.underlying_id
        WHERE q.collection_date = $1`,
      [DATE],
    );
    rows = result.rows;
  });
  afterAll(() => h?.close());

  it("fills every quote with a two-sided market from the American model, or flags it", () => {
    expect(rows.length).toBeGreaterThan(200);
    const sources = new Map<string, number>();
    for (const row of rows) {
      const key = `${row.greeks_source}/${row.iv_flag}`;
      sources.set(key, (sources.get(key) ?? 0) + 1);
      if (row.greeks_source === "amer") {
        expect(row.iv_flag).toBeNull();
        for (const value of [row.implied_volatility, row.delta, row.gamma, row.rho])
          expect(value).not.toBeNull();
      } else {
        // Nothing from IB and nothing from the model: a flagged mid (or no two-sided market at all).
        expect(row.greeks_source).toBeNull();
        expect(row.implied_volatility).toBeNull();
        expect(row.delta).toBeNull();
        if (Number(row.bid_price) > 0 && row.ask_price !== null) expect(row.iv_flag).not.toBeNull();
      }
    }
    expect(sources.get("amer/null")).toBeGreaterThan(rows.length * 0.6);
    expect([...sources.keys()].some((key) => key.startsWith("ib") || key.startsWith("bs"))).toBe(false);
  });

  it("stores the American IV of the mid and the American greeks at it", () => {
    let checked = 0;
    for (const row of rows.filter((r) => r.greeks_source === "amer")) {
      const market = {
        right: row.option_type,
        spot: Number(row.underlying_price),
        strike: Number(row.strike_price),
        timeYears: timeToExpiryYears(row.time, row.expiration_date),
        rate: h.config.pricing.risk_free_rate,
        dividendYield: h.config.pricing.dividend_yield[row.symbol] ?? 0,
      };
      const mid = (Number(row.bid_price) + Number(row.ask_price)) / 2;
      const iv = americanImpliedVolatility({ ...market, price: mid })!;
      expect(Number(row.implied_volatility)).toBeCloseTo(iv, 4);
      const greeks = americanGreeks({ ...market, volatility: iv });
      expect(Number(row.delta)).toBeCloseTo(greeks.delta, 4);
      expect(Number(row.rho)).toBeCloseTo(greeks.rho, 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("recovers the simulator's volatility for deep in-the-money puts, where European Black–Scholes misreads it", () => {
    let deep = 0;
    let europeanOff = 0;
    for (const row of rows) {
      const spot = Number(row.underlying_price);
      if (row.option_type !== "P" || Number(row.strike_price) < spot * 1.08) continue;
      if (row.greeks_source !== "amer") {
        expect(row.iv_flag).not.toBeNull();
        continue;
      }
      deep++;
      const contract = h.sim.market.contract(Number(row.ib_con_id))!;
      const truth = h.sim.market.optionQuote(contract, row.time).model.impliedVol;
      const stored = Number(row.implied_volatility);
      const market = {
        right: "P" as const,
        spot,
        strike: Number(row.strike_price),
        timeYears: timeToExpiryYears(row.time, row.expiration_date),
        rate: h.config.pricing.risk_free_rate,
        dividendYield: h.config.pricing.dividend_yield[row.symbol] ?? 0,
      };
      const mid = (Number(row.bid_price) + Number(row.ask_price)) / 2;
      // The mid is the model price rounded out to ticks; that difference, over vega, is how far σ may move.
      const atTruth = americanGreeks({ ...market, volatility: truth });
      const allowed = Math.abs(mid - atTruth.price) / (atTruth.vega * 100);
      expect(Math.abs(stored - truth), row.ib_con_id).toBeLessThanOrEqual(1.5 * allowed + 2e-3);
      const european = impliedVolatility({ ...market, price: mid });
      if (european === null || Math.abs(european - truth) > Math.abs(stored - truth) + 0.01) europeanOff++;
    }
    expect(deep).toBeGreaterThan(10);
    expect(europeanOff).toBeGreaterThan(0);
  });
});
