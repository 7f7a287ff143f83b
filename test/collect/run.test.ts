import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { occSymbol } from "../../src/collect/occ.ts";
import { TEST_ENGINES } from "../helpers/db.ts";
import { startHarness, storedAs } from "./harness.ts";
import type { Harness } from "./harness.ts";
import { decimalColumnsSql } from "../../src/store/repositories/tick-columns.ts";

const DATE = "2025-01-15"; // a Wednesday; the simulator's clock is at 16:45 ET, after the close
const CONFIG = { selection: { mode: "window", max_days_to_expiry: 3 } };

interface StoredQuote {
  contract_id: number;
  contract_symbol: string;
  ib_con_id: string;
  bid_price: string | null;
  ask_price: string | null;
  bid_size: number | null;
  open_interest: number | null;
  delta: string | null;
  gamma: string | null;
  theta: string | null;
  vega: string | null;
  rho: string | null;
  implied_volatility: string | null;
  underlying_price: string | null;
  market_data_type: number;
  greeks_source: string;
  time: Date;
}

describe.each(TEST_ENGINES)("runCollection against the simulator (%s)", (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      engine,
      start: { date: DATE, timeEt: "16:45" },
      config: CONFIG,
      sim: { frozenClock: true },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("collects SPY and PLTR completely while an unknown symbol fails alone", async () => {
    // The handshake: NEXT_VALID_ID, the managed accounts and the farm notices were all seen.
    expect(h.ib.accounts.length).toBeGreaterThan(0);
    expect([...h.ib.farms.values()].some(Boolean)).toBe(true);
    const summary = await h.collect({ symbols: ["SPY", "NOSUCH", "PLTR"], date: DATE });
    const bySymbol = Object.fromEntries(summary.symbols.map((entry) => [entry.symbol, entry]));
    expect(bySymbol.NOSUCH?.status).toBe("failed");
    expect(bySymbol.NOSUCH?.error).toMatch(/NOSUCH/);
    for (const symbol of ["SPY", "PLTR"]) {
      const entry = bySymbol[symbol]!;
      expect(entry.status).toBe("completed");
      expect(entry.contracts_selected).toBeGreaterThan(10);
      expect(entry.contracts_discovered).toBeGreaterThanOrEqual(entry.contracts_selected);
      expect(entry.coverage).toBeGreaterThanOrEqual(0.99);
      expect(entry.new_listings).toBe(entry.contracts_discovered);
    }
    // Discovery asked only for contracts that exist: not one 200 beyond the unknown symbol's.
    expect(h.ib.errorCounts.get(200)).toBe(1);

    const status = await h.db.query<{ symbol: string; status: string; records_collected: number }>(
      "SELECT symbol, status, records_collected FROM daily_collection_status WHERE collection_date = $1 ORDER BY symbol",
      [DATE],
    );
    expect(status.rows.map((row) => [row.symbol, row.status])).toEqual([
      ["NOSUCH", "failed"],
      ["PLTR", "completed"],
      ["SPY", "completed"],
    ]);
    expect(status.rows.find((row) => row.symbol === "SPY")?.records_collected).toBe(
      bySymbol.SPY?.quotes_stored,
    );
  });

  it("stores quotes, open interest, greeks and OCC symbols that match the simulator's model", async () => {
    const rows = await h.db.query<StoredQuote>(
      `SELECT q.*, ${decimalColumnsSql("q")}, c.contract_symbol, c.ib_con_id FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
        WHERE q.collection_date = $1 AND q.collection_type = 'eod' ORDER BY c.contract_symbol`,
      [DATE],
    );
    expect(rows.rows.length).toBeGreaterThan(20);
    let checked = 0;
    for (const row of rows.rows) {
      const contract = h.sim.market.contract(Number(row.ib_con_id), DATE)!;
      expect(contract).toBeDefined();
      expect(row.contract_symbol).toBe(
        occSymbol(contract.symbol, contract.expiry, contract.right, contract.strike),
      );
      expect(row.contract_symbol).toBe(contract.localSymbol);
      // After the close the collector asks for frozen data: the values of the last close.
      expect(row.market_data_type).toBe(2);
      const instant = h.sim.market.lastCloseBefore(contract.symbol, h.sim.clock.now(), true);
      const model = h.sim.market.optionQuote(contract, instant);
      expect(Number(row.bid_price)).toBeCloseTo(model.bid, 4);
      expect(Number(row.ask_price)).toBeCloseTo(model.ask, 4);
      expect(row.bid_size).toBe(model.bidSize);
      expect(row.open_interest).toBe(model.openInterest);
      expect(storedAs(row.delta, model.model.delta, 4), "delta").toBe(true);
      expect(storedAs(row.gamma, model.model.gamma, 6), "gamma").toBe(true);
      expect(storedAs(row.vega, model.model.vega, 4), "vega").toBe(true);
      expect(storedAs(row.theta, model.model.theta, 4), "theta").toBe(true);
      expect(storedAs(row.implied_volatility, model.model.impliedVol, 4), "implied_volatility").toBe(true);
      expect(Number(row.underlying_price)).toBeCloseTo(model.model.underlyingPrice, 4);
      expect(row.greeks_source).toBe("ib");
      expect(row.rho).not.toBeNull();
      checked++;
    }
    expect(checked).toBe(rows.rows.length);

    const underlying = await h.db.query<{
      symbol: string;
      last_price: string;
      implied_volatility: string | null;
    }>(
      `SELECT u.symbol, t.last_price, t.implied_volatility FROM underlying_ticks t
         JOIN underlying_securities u ON u.id = t.underlying_id WHERE t.collection_date = $1 ORDER BY u.symbol`,
      [DATE],
    );
    expect(underlying.rows.map((row) => row.symbol)).toEqual(["PLTR", "SPY", "VIX"]);
    expect(underlying.rows.find((row) => row.symbol === "SPY")?.implied_volatility).not.toBeNull();
  });

  it("records each discovered contract's lifecycle", async () => {
    const lifecycle = await h.db.query<{ n: string; first_seen: string; status: string }>(
      `SELECT count(*) AS n, min(first_seen)::text AS first_seen, min(status) AS status FROM option_contract_lifecycle`,
    );
    const contracts = await h.db.query<{ n: string }>("SELECT count(*) AS n FROM option_chains");
    expect(Number(lifecycle.rows[0]?.n)).toBe(Number(contracts.rows[0]?.n));
    expect(lifecycle.rows[0]?.first_seen).toBe(DATE);
    expect(lifecycle.rows[0]?.status).toBe("listed");
  });

  it("skips a completed collection", async () => {
    // Forced re-runs tell old rows from new by the gateway's time, which this describe's frozen simulator
    // clock makes depend on how long the first run took: they are proven in test/faults/force-replace.test.ts.
    const before = await h.db.query<{ n: string }>("SELECT count(*) AS n FROM market_data_ticks");
    const skipped = await h.collect({ symbols: ["SPY"], date: DATE });
    expect(skipped.symbols[0]?.status).toBe("skipped");
    const after = await h.db.query<{ n: string }>("SELECT count(*) AS n FROM market_data_ticks");
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it("resumes an interrupted run without requesting stored contracts again, leaving no gap or duplicate", async () => {
    const spy = await h.db.query<{ id: number }>("SELECT id FROM underlying_securities WHERE symbol = 'SPY'");
    const spyId = spy.rows[0]!.id;
    const all = await h.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
        WHERE c.underlying_id = $1 AND q.collection_date = $2`,
      [spyId, DATE],
    );
    const total = Number(all.rows[0]?.n);
    // A crash: the status row still says running and the last 7 contracts never got stored.
    await h.db.query(
      `DELETE FROM market_data_ticks WHERE contract_id IN (
         SELECT q.contract_id FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
          WHERE c.underlying_id = $1 AND q.collection_date = $2 ORDER BY q.contract_id DESC LIMIT 7)`,
      [spyId, DATE],
    );
    await h.db.query(
      "UPDATE daily_collection_status SET status = 'running', completed_at = NULL WHERE symbol = 'SPY' AND collection_date = $1",
      [DATE],
    );
    const before = h.ib.messagesSent;
    const resumed = await h.collect({ symbols: ["SPY"], date: DATE });
    const sent = h.ib.messagesSent - before;
    expect(resumed.symbols[0]).toMatchObject({ status: "completed", quotes_stored: total, coverage: 1 });
    // Exactly: the clock (1), VIX details (1, its tick is stored already), SPY details (1), its quote (request +
    // cancel), chain parameters (1), one CONTRACT_DATA per expiry and right, and two per missing contract.
    const expiries = h.sim.market
      .expirations("SPY", DATE)
      .filter((expiry) => Date.parse(expiry) - Date.parse(DATE) <= 3 * 86_400_000);
    expect(sent).toBe(1 + 1 + 1 + 2 + 1 + 2 * expiries.length + 7 * 2);
    const after = await h.db.query<{ n: string; contracts: string }>(
      `SELECT count(*) AS n, count(DISTINCT q.contract_id) AS contracts FROM market_data_ticks q
         JOIN option_chains c ON c.id = q.contract_id WHERE c.underlying_id = $1 AND q.collection_date = $2`,
      [spyId, DATE],
    );
    expect(Number(after.rows[0]?.n)).toBe(total);
    expect(Number(after.rows[0]?.contracts)).toBe(total);
  });
});
