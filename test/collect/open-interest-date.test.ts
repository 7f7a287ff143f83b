import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import { chainQuotes } from "../../src/store/reads/chain-reads.ts";
import { startHarness, type Harness } from "./harness.ts";

// Collection day → the trading day its open interest (and prior close) belongs to.
const CASES: [string, string, string][] = [
  ["Monday", "2025-01-13", "2025-01-10"],
  ["Wednesday", "2025-01-15", "2025-01-14"],
  ["after Martin Luther King Jr. Day", "2025-01-21", "2025-01-17"],
  ["after the closure for President Carter's funeral", "2025-01-10", "2025-01-08"],
];

const FEW = { range: 0.02, min_strikes: 4 };

describe("open interest carries the trading day it belongs to", () => {
  let h: Harness;
  const stored = new Map<string, { withOi: number; dates: Set<string | null> }>();

  beforeAll(async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: CASES[0]![1], timeEt: "16:45" },
      sim: { frozenClock: true },
      config: {
        // A few strikes: what is dated, not how many, is the point.
        selection: {
          mode: "window",
          max_days_to_expiry: 10,
          tiers: { low_iv: FEW, normal_iv: FEW, high_iv: FEW },
        },
        collect: { include_vix: false },
      },
    });
    for (const [, day] of CASES) {
      h.sim.clock.set(etInstant(day, "16:45"));
      const summary = await h.collect({ symbols: ["PLTR"], date: day });
      expect(summary.symbols[0]?.status).toBe("completed");
      const quotes = await chainQuotes(h.db, { symbol: "PLTR", date: day, collectionType: "eod" });
      const withOi = quotes.filter((quote) => quote.openInterest !== null);
      stored.set(day, {
        withOi: withOi.length,
        dates: new Set(withOi.map((quote) => quote.openInterestDate)),
      });
      expect(quotes.filter((q) => q.openInterest === null).every((q) => q.openInterestDate === null)).toBe(
        true,
      );
    }
  }, 120_000);
  afterAll(() => h?.close());

  it.each(CASES)("a chain collected on a %s (%s) stores open interest dated %s", (_, day, oiDate) => {
    const result = stored.get(day)!;
    expect(result.withOi).toBeGreaterThan(0);
    expect([...result.dates]).toEqual([oiDate]);
  });
});
