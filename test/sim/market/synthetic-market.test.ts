import { describe, expect, it } from "vitest";
import { addDays, etInstant } from "../../../src/calendar/index.ts";
import {
  decodeOptionConId,
  optionConId,
  type OptionContract,
} from "../../../src/sim/market/option-contracts.ts";
import { SyntheticMarket } from "../../../src/sim/market/synthetic-market.ts";

describe("synthetic market model", () => {
  const market = new SyntheticMarket(11);

  it("moves a weekly expiry to Thursday when Friday is an exchange holiday (Good Friday 2026-04-03)", () => {
    const expiries = market.expirations("TSLA", "2026-03-16");
    expect(expiries).toContain("2026-04-02");
    expect(expiries).not.toContain("2026-04-03");
    expect(expiries).toContain("2026-03-20"); // March monthly (quarterly)
  });

  it("packs conIds reversibly and stably, also for contracts that have expired", () => {
    const conId = optionConId("SPY", "2024-06-21", 512.5, "P");
    expect(decodeOptionConId(conId)).toEqual({
      symbol: "SPY",
      tradingClass: "SPY",
      expiry: "2024-06-21",
      strike: 512.5,
      right: "P",
    });
    const other = new SyntheticMarket(99).chain("SPY", "2026-01-14");
    const shared = market
      .chain("SPY", "2026-01-14")
      .filter((a) => other.some((b) => b.localSymbol === a.localSymbol));
    expect(shared.length).toBeGreaterThan(100);
    for (const contract of shared)
      expect(other.find((b) => b.localSymbol === contract.localSymbol)?.conId).toBe(contract.conId);
    const expired = market.chain("PLTR", "2026-01-05")[0];
    expect(market.contract(expired?.conId ?? 0)?.expiry).toBe(expired?.expiry);
    expect(market.contract(expired?.conId ?? 0, "2026-03-02")).toBeUndefined();
  });

  it("uses $1 strikes near the money for SPY and $5 far out; equities by price level", () => {
    const date = "2026-01-14";
    const near = market.expirations("SPY", date)[2] as string;
    const spy = market.strikes("SPY", near, date);
    const spot = market.spot("SPY", new Date("2026-01-14T17:00:00Z"));
    const steps = (strikes: number[], around: number, width: number) => {
      const close = strikes.filter((strike) => Math.abs(strike - around) < width);
      return new Set(close.slice(1).map((strike, i) => strike - (close[i] as number)));
    };
    expect(steps(spy, spot, 5)).toEqual(new Set([1]));
    expect(
      Math.min(
        ...steps(
          spy.filter((strike) => strike < spot * 0.9),
          spot * 0.8,
          spot,
        ),
      ),
    ).toBe(5);
    const tslaExpiry = market.expirations("TSLA", date)[1] as string;
    const tsla = market.strikes("TSLA", tslaExpiry, date);
    const tslaSpot = market.spot("TSLA", new Date("2026-01-14T17:00:00Z"));
    // The increment follows the price level on the day the expiry was listed.
    const listed = market.listedOn(
      market.chain("TSLA", date).find((c) => c.expiry === tslaExpiry) as OptionContract,
    ) as string;
    const levelAtListing = market.spot("TSLA", etInstant(addDays(listed, -1), "17:00"));
    const expected = levelAtListing < 150 ? 1 : levelAtListing < 500 ? 2.5 : 5;
    expect(Math.min(...steps(tsla, tslaSpot, tslaSpot * 0.02 + expected * 2))).toBe(expected);
  });

  it("lists new strikes as the underlying moves, never removing listed ones", () => {
    const expiry = "2026-06-18";
    let previous = market.strikes("PLTR", expiry, "2026-01-05");
    let grew = false;
    for (const date of ["2026-02-02", "2026-03-02", "2026-04-01", "2026-05-01", "2026-06-01"]) {
      const strikes = market.strikes("PLTR", expiry, date);
      for (const strike of previous) expect(strikes).toContain(strike);
      if (strikes.length > previous.length) grew = true;
      previous = strikes;
    }
    expect(grew).toBe(true);
  });

  it("walks the underlying deterministically, keeps prices plausible and VIX in a sane range", () => {
    const again = new SyntheticMarket(11);
    const instant = new Date("2027-06-15T15:00:00Z");
    expect(again.spot("TSLA", instant)).toBe(market.spot("TSLA", instant));
    expect(new SyntheticMarket(12).spot("TSLA", instant)).not.toBe(market.spot("TSLA", instant));
    for (const date of ["2022-06-01", "2024-01-10", "2026-01-14", "2028-09-01"]) {
      const at = new Date(`${date}T15:00:00Z`);
      expect(market.spot("SPY", at)).toBeGreaterThan(300);
      expect(market.spot("SPY", at)).toBeLessThan(1100);
      expect(market.spot("VIX", at)).toBeGreaterThan(7);
      expect(market.spot("VIX", at)).toBeLessThan(60);
    }
  });

  it("keeps the total chain size bounded (a full collection is a few thousand contracts)", () => {
    for (const date of ["2025-06-16", "2026-01-14", "2026-11-25"]) {
      const total = ["SPY", "PLTR", "TSLA"].reduce(
        (sum, symbol) => sum + market.chain(symbol, date).length,
        0,
      );
      expect(total).toBeGreaterThan(3000);
      expect(total).toBeLessThan(7500);
    }
  });
});
