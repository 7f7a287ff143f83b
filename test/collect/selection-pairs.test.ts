import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { startHarness, type Harness } from "./harness.ts";
import { decimalSql } from "../../src/store/repositories/tick-columns.ts";

// Mon 13 – Fri 17 January 2025, then Tue 21 (Monday 20 is Martin Luther King Jr. Day).
const DAYS = ["2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-21"];
// Thresholds that bite: near the money many sides pass, further out many fail, often one side of a strike only.
const MIN_OPEN_INTEREST = 600;
const MIN_VOLUME = 250;

interface StoredSide {
  day: string;
  expiry: string;
  strike: string;
  right: "C" | "P";
  open_interest: number | null;
  volume: string | null;
  underlying_price: string | null;
}

/**
 * A week of daily runs with the window selection and its liquidity filter (the previous runs' open interest and
 * volume): every strike is stored with both rights, also where the filter would have kept one side alone.
 */
describe("window selection over a simulated week keeps call/put pairs", () => {
  let h: Harness;
  let sides: StoredSide[];

  beforeAll(async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DAYS[0]!, timeEt: "16:45" },
      sim: { frozenClock: true },
      config: {
        selection: {
          mode: "window",
          max_days_to_expiry: 30,
          stock_min_open_interest: MIN_OPEN_INTEREST,
          min_daily_volume: MIN_VOLUME,
          // Only the one strike nearest the money is kept regardless of liquidity.
          tiers: {
            low_iv: { range: 0.15, min_strikes: 1 },
            normal_iv: { range: 0.25, min_strikes: 1 },
            high_iv: { range: 0.35, min_strikes: 1 },
          },
        },
        collect: { include_vix: false },
      },
    });
    for (const day of DAYS) {
      h.sim.clock.set(etInstant(day, "16:45"));
      const summary = await h.collect({ symbols: ["PLTR"] });
      expect(summary.symbols[0]?.status).toBe("completed");
    }
    const rows = await h.db.query<StoredSide>(
      `SELECT q.collection_date::text AS day, c.expiration_date::text AS expiry, c.strike_price AS strike,
              c.option_type AS right, q.open_interest, q.volume,
              ${decimalSql("q", "underlying_price")} AS underlying_price
         FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
        ORDER BY 1, 2, 3, 4`,
    );
    sides = rows.rows;
  }, 240_000);
  afterAll(() => h?.close());

  const key = (side: StoredSide) => `${side.day}|${side.expiry}|${Number(side.strike)}`;

  it("stores no strike with one right only, on any day", () => {
    const rights = new Map<string, string[]>();
    for (const side of sides) rights.set(key(side), [...(rights.get(key(side)) ?? []), side.right]);
    const single = [...rights.entries()].filter(([, r]) => r.length !== 2);
    expect(single).toEqual([]);
    expect(new Set(sides.map((side) => side.day))).toEqual(new Set(DAYS));
  });

  it("drops illiquid strikes after the first day, and keeps pairs where only one side was liquid", () => {
    const byDay = new Map<string, StoredSide[]>();
    for (const side of sides) byDay.set(side.day, [...(byDay.get(side.day) ?? []), side]);
    const liquid = (side: StoredSide) =>
      (side.open_interest ?? 0) >= MIN_OPEN_INTEREST || Number(side.volume ?? 0) >= MIN_VOLUME;
    let oneSided = 0;
    let dropped = 0;
    for (let i = 1; i < DAYS.length; i++) {
      const before = byDay.get(DAYS[i - 1]!)!;
      const today = new Set(byDay.get(DAYS[i]!)!.map((side) => `${side.expiry}|${Number(side.strike)}`));
      const strikes = new Map<string, StoredSide[]>();
      for (const side of before) {
        const strike = `${side.expiry}|${Number(side.strike)}`;
        strikes.set(strike, [...(strikes.get(strike) ?? []), side]);
      }
      for (const [strike, pair] of strikes) {
        // Exactly one side liquid by itself: a per-contract filter would have kept that side alone.
        if (pair.filter(liquid).length === 1 && today.has(strike)) oneSided++;
        // Both sides illiquid: the strike goes (unless its expiry did).
        if (!today.has(strike) && pair[0]!.expiry > DAYS[i]!) dropped++;
      }
    }
    // The filter works (the first run knew no activity; later ones drop strikes) …
    expect(dropped).toBeGreaterThan(10);
    // … and keeps both rights where one alone would have passed it.
    expect(oneSided).toBeGreaterThan(10);
  });
});
