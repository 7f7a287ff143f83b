import { afterEach, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { discoverUnderlying } from "../../src/collect/discovery.ts";
import { defaultCollectionDate } from "../../src/collect/run.ts";
import { IbRequestError } from "../../src/ib/client.ts";
import { byConId, optionExpiryQuery } from "../../src/ib/contract-objects.ts";
import { TEST_ENGINES } from "../helpers/db.ts";
import { startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

const DATE = "2025-01-15";
const SMALL = { selection: { mode: "window", max_days_to_expiry: 2 }, collect: { include_vix: false } };

async function typesBySymbol(h: Harness, date: string): Promise<Record<string, number[]>> {
  const result = await h.db.query<{ symbol: string; market_data_type: number }>(
    `SELECT DISTINCT u.symbol, q.market_data_type FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE q.collection_date = $1 ORDER BY 1, 2`,
    [date],
  );
  const out: Record<string, number[]> = {};
  for (const row of result.rows) (out[row.symbol] ??= []).push(row.market_data_type);
  return out;
}

describe.each(TEST_ENGINES)("market-data types and IB errors (%s)", (engine) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("falls back to delayed data for a symbol without a subscription (354) and remembers it", async () => {
    h = await startHarness({
      engine,
      start: { date: DATE, timeEt: "16:45" },
      config: SMALL,
      sim: { faults: { unsubscribedSymbols: ["PLTR"] } },
    });
    const summary = await h.collect({ symbols: ["SPY", "PLTR"], date: DATE });
    expect(summary.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
      ["SPY", "completed", 1],
      ["PLTR", "completed", 1],
    ]);
    // After the close: frozen (2) for the subscribed symbol, delayed-frozen (4) for the other.
    expect(await typesBySymbol(h, DATE)).toEqual({ PLTR: [4], SPY: [2] });
    const seen354 = h.ib.errorCounts.get(354) ?? 0;
    expect(seen354).toBeGreaterThan(0);

    const again = await h.collect({ symbols: ["PLTR"], date: DATE, type: "analytics" });
    expect(again.symbols[0]?.coverage).toBe(1);
    expect(h.ib.errorCounts.get(354)).toBe(seen354);
  });

  it("uses live data in session, with IB's greeks", async () => {
    h = await startHarness({ engine, start: { date: DATE, timeEt: "11:00" }, config: SMALL });
    const summary = await h.collect({ symbols: ["PLTR"], type: "analytics" });
    expect(summary.date).toBe(DATE); // the gateway's New York date
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    expect(await typesBySymbol(h, DATE)).toEqual({ PLTR: [1] });
    const greeks = await h.db.query<{ n: string; ib: string }>(
      "SELECT count(*) AS n, count(*) FILTER (WHERE greeks_source = 'ib' AND delta_e4 IS NOT NULL) AS ib FROM market_data_ticks",
    );
    expect(greeks.rows[0]?.ib).toBe(greeks.rows[0]?.n);
  });

  it("handles 200 for a nonexistent contract quietly: the request fails as permanent, the connection goes on", async () => {
    h = await startHarness({ engine, start: { date: DATE, timeEt: "16:45" }, config: SMALL });
    // 2025-01-18 is a Saturday: no such expiry.
    const error = await h.ib
      .contractDetails(optionExpiryQuery("SPY", "20250118", "C", "SPY"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IbRequestError);
    expect((error as IbRequestError).code).toBe(200);
    expect((error as IbRequestError).category).toBe("permanent");
    const missing = await h.ib.marketData({
      contract: byConId(123),
      snapshot: false,
      genericTicks: "101",
      timeoutMs: 2000,
    });
    expect(missing.error?.code).toBe(200);
    expect(h.ib.marketDataLinesHeld).toBe(0);
    expect(h.ib.isConnected).toBe(true);
    const spy = await discoverUnderlying(h.db, h.ib, "SPY");
    expect(spy.securityType).toBe("ETF");
    const summary = await h.collect({ symbols: ["SPY"], date: DATE });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
  });

  it("collects only the contracts expiring that day for pre_expiry", async () => {
    h = await startHarness({ engine, start: { date: "2025-01-17", timeEt: "15:00" }, config: SMALL });
    const summary = await h.collect({ symbols: ["PLTR"], type: "pre_expiry" });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    const expiries = await h.db.query<{ expiration_date: string }>(
      `SELECT DISTINCT c.expiration_date::text AS expiration_date FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id`,
    );
    expect(expiries.rows.map((row) => row.expiration_date)).toEqual(["2025-01-17"]);
  });
});

describe("the default collection date", () => {
  it("is the gateway's New York date, or the last trading day when the market is closed that day", () => {
    expect(defaultCollectionDate(etInstant("2025-01-15", "23:30"))).toBe("2025-01-15");
    expect(defaultCollectionDate(etInstant("2025-01-18", "10:00"))).toBe("2025-01-17"); // Saturday
    expect(defaultCollectionDate(etInstant("2025-01-20", "17:00"))).toBe("2025-01-17"); // MLK day
  });
});
