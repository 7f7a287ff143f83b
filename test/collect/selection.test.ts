import { describe, expect, it } from "vitest";
import {
  selectContracts,
  strikeActivity,
  type ChainContract,
  type ContractActivity,
} from "../../src/collect/selection.ts";
import { configSchema } from "../../src/config/schema.ts";

const defaults = configSchema.parse({}).selection;
const settingsWith = (selection: Record<string, unknown>) => configSchema.parse({ selection }).selection;

/** A chain with both rights at every strike, conIds numbered from `firstConId`. */
function chain(expiry: string, strikes: number[], firstConId = 1): ChainContract[] {
  return strikes.flatMap((strike, i) => [
    { conId: firstConId + 2 * i, expiry, strike, right: "C" as const },
    { conId: firstConId + 2 * i + 1, expiry, strike, right: "P" as const },
  ]);
}
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
const strikesOf = (selected: { contract: ChainContract }[]) =>
  [...new Set(selected.map((s) => s.contract.strike))].sort((a, b) => a - b);

const base = { underlyingPrice: 100, securityType: "STK" as const, asOf: "2026-11-25", settings: defaults };

describe("selectContracts, window mode", () => {
  // Strikes 50..150 by 1: 101 strikes.
  const contracts = chain("2026-12-18", range(50, 150, 1));

  it("uses ±15 % below 20 % IV", () => {
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.15 });
    expect(result.window).toMatchObject({ tier: "low_iv", range: 0.15, minStrikes: 11 });
    expect(strikesOf(result.selected)).toEqual(range(85, 115, 1));
    expect(result.selected.every((s) => s.reasons.includes("window"))).toBe(true);
    expect(result.skipped.notSelected).toBe(202 - 62);
  });

  it("uses ±25 % from 20 % to 40 % IV inclusive, and for an unknown IV", () => {
    for (const impliedVolatility of [0.2, 0.3, 0.4, null]) {
      const result = selectContracts({ ...base, contracts, impliedVolatility });
      expect(result.window?.tier).toBe("normal_iv");
      expect(strikesOf(result.selected)).toEqual(range(75, 125, 1));
    }
  });

  it("uses ±35 % above 40 % IV", () => {
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.85 });
    expect(result.window).toMatchObject({ tier: "high_iv", range: 0.35, minStrikes: 31 });
    expect(strikesOf(result.selected)).toEqual(range(65, 135, 1));
  });

  it("widens a sparse window to the minimum count, nearest to the money first", () => {
    // Strikes every 10: the ±15 % window holds 90, 100, 110 only; 11 strikes are required.
    const sparse = chain("2026-12-18", range(10, 300, 10));
    const low = selectContracts({ ...base, underlyingPrice: 103, contracts: sparse, impliedVolatility: 0.1 });
    expect(strikesOf(low.selected)).toEqual(range(50, 150, 10));
    expect(low.selected).toHaveLength(22);
    const reasonsAt = (strike: number) => low.selected.find((s) => s.contract.strike === strike)?.reasons;
    expect(reasonsAt(100)).toEqual(["window"]);
    expect(reasonsAt(150)).toEqual(["min-count"]);
    expect(reasonsAt(50)).toEqual(["min-count"]);
    const normal = selectContracts({
      ...base,
      underlyingPrice: 103,
      contracts: sparse,
      impliedVolatility: 0.3,
    });
    expect(strikesOf(normal.selected)).toHaveLength(21);
    const high = selectContracts({
      ...base,
      underlyingPrice: 103,
      contracts: sparse,
      impliedVolatility: 0.6,
    });
    expect(strikesOf(high.selected)).toHaveLength(30); // the chain only has 30 strikes
  });

  it("breaks distance ties toward the lower strike", () => {
    const even = chain("2026-12-18", [90, 95, 105, 110]);
    const settings = settingsWith({ tiers: { low_iv: { range: 0.01, min_strikes: 1 } } });
    const result = selectContracts({ ...base, contracts: even, impliedVolatility: 0.1, settings });
    expect(strikesOf(result.selected)).toEqual([95]);
  });

  it("applies the expiry window and minimum per expiry", () => {
    const twoExpiries = [
      ...chain("2026-12-18", range(50, 150, 1)),
      ...chain("2027-01-15", range(60, 140, 20), 1000),
    ];
    const result = selectContracts({ ...base, contracts: twoExpiries, impliedVolatility: 0.1 });
    const january = result.selected.filter((s) => s.contract.expiry === "2027-01-15");
    expect(strikesOf(january)).toEqual([60, 80, 100, 120, 140]); // fewer than 11 listed: all of them
    expect(strikesOf(result.selected.filter((s) => s.contract.expiry === "2026-12-18"))).toEqual(
      range(85, 115, 1),
    );
  });

  it("requires the underlying price", () => {
    expect(() =>
      selectContracts({ ...base, contracts, impliedVolatility: 0.2, underlyingPrice: null }),
    ).toThrow(RangeError);
  });
});

describe("open-interest and volume filters", () => {
  const contracts = chain("2026-12-18", range(50, 150, 1));
  const conIdAt = (strike: number, right: "C" | "P") =>
    contracts.find((c) => c.strike === strike && c.right === right)!.conId;

  /** Every contract has OI 0 and volume 0 except the given ones. */
  function activityWith(entries: [number, "C" | "P", ContractActivity][]): Map<number, ContractActivity> {
    const activity = new Map<number, ContractActivity>(
      contracts.map((c) => [c.conId, { openInterest: 0, volume: 0, averageVolume: null }]),
    );
    for (const [strike, right, value] of entries) activity.set(conIdAt(strike, right), value);
    return activity;
  }

  it("keeps window strikes beyond the minimum count only when liquid, by the stock threshold (OI 50) or volume 10, both rights", () => {
    const activity = activityWith([
      [120, "C", { openInterest: 50, volume: 0 }],
      [121, "C", { openInterest: 49, volume: 9 }],
      [80, "P", { openInterest: 0, volume: 10 }],
      [79, "P", { openInterest: 10 }],
    ]);
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.3, activity });
    const selected = result.selected.map(
      (s) => `${s.contract.strike}${s.contract.right}:${s.reasons.join("+")}`,
    );
    // The 21 strikes nearest to 100 (90..110) stay whatever their liquidity.
    expect(strikesOf(result.selected.filter((s) => s.reasons.includes("min-count")))).toEqual(
      range(90, 110, 1),
    );
    // A liquid side takes its strike in, and with it the other side.
    expect(selected).toContain("120C:window");
    expect(selected).toContain("120P:window");
    expect(selected).toContain("80P:window");
    expect(selected).toContain("80C:window");
    expect(selected.some((s) => s.startsWith("121"))).toBe(false);
    expect(selected.some((s) => s.startsWith("79"))).toBe(false);
    expect(result.selected).toHaveLength(42 + 4);
  });

  it("uses the ETF threshold (OI 100) for ETFs and indexes", () => {
    const activity = activityWith([
      [120, "C", { openInterest: 99 }],
      [121, "C", { openInterest: 100 }],
    ]);
    for (const securityType of ["ETF", "IND"] as const) {
      const result = selectContracts({ ...base, securityType, contracts, impliedVolatility: 0.3, activity });
      const windowed = result.selected
        .filter((s) => s.reasons.includes("window"))
        .map((s) => `${s.contract.strike}${s.contract.right}`);
      expect(windowed).toEqual(["121C", "121P"]);
    }
  });

  it("treats a strike with no activity known on either side as liquid (the first run has no history)", () => {
    // 120: the call is known to be dead, the put unknown — the known side decides; 121: nothing known.
    const activity = new Map<number, ContractActivity>([[conIdAt(120, "C"), { openInterest: 0, volume: 0 }]]);
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.3, activity });
    expect(strikesOf(result.selected)).toEqual(range(75, 125, 1).filter((strike) => strike !== 120));
    expect(result.selected).toHaveLength(50 * 2);
  });

  it("sums the two sides: neither alone liquid, together they are", () => {
    // ETF threshold 100: call 60 + put 50 open interest; at 122, volume 6 + 4 = 10.
    const activity = activityWith([
      [121, "C", { openInterest: 60, volume: 0 }],
      [121, "P", { openInterest: 50, volume: 0 }],
      [122, "C", { openInterest: 0, volume: 6 }],
      [122, "P", { openInterest: 0, volume: 4 }],
      [123, "C", { openInterest: 60, volume: 5 }],
      [123, "P", { openInterest: 39, volume: 4 }],
    ]);
    const result = selectContracts({
      ...base,
      securityType: "ETF",
      contracts,
      impliedVolatility: 0.3,
      activity,
    });
    const windowed = strikesOf(result.selected.filter((s) => s.reasons.includes("window")));
    expect(windowed).toEqual([121, 122]);
  });

  it("never selects one right of a strike without the other", () => {
    // Random activity on every contract: whatever is selected comes in pairs.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const activity = new Map<number, ContractActivity>(
      contracts.map((c) => [
        c.conId,
        { openInterest: Math.floor(random() * 120), volume: Math.floor(random() * 12), averageVolume: null },
      ]),
    );
    for (const securityType of ["STK", "ETF"] as const) {
      const result = selectContracts({ ...base, securityType, contracts, impliedVolatility: 0.3, activity });
      const rights = new Map<number, string[]>();
      for (const s of result.selected)
        rights.set(s.contract.strike, [...(rights.get(s.contract.strike) ?? []), s.contract.right]);
      expect([...rights.values()].every((r) => r.length === 2)).toBe(true);
      // The filter did drop strikes: the pairing is not the window alone.
      expect(rights.size).toBeLessThan(51);
      expect(rights.size).toBeGreaterThan(21);
    }
  });

  it("honours configured thresholds", () => {
    const settings = settingsWith({ stock_min_open_interest: 500, min_daily_volume: 1000 });
    const activity = activityWith([[120, "C", { openInterest: 400, volume: 900 }]]);
    const result = selectContracts({ ...base, settings, contracts, impliedVolatility: 0.3, activity });
    expect(result.selected.some((s) => s.contract.strike === 120)).toBe(false);
  });
});

describe("unusual activity", () => {
  const contracts = chain("2026-12-18", range(50, 150, 1));
  const conIdAt = (strike: number, right: "C" | "P") =>
    contracts.find((c) => c.strike === strike && c.right === right)!.conId;

  it("keeps a strike where a side trades at least 5× its own average volume, wherever the strike is", () => {
    const activity = new Map<number, ContractActivity>([
      [conIdAt(50, "C"), { openInterest: 0, volume: 500, averageVolume: 100 }],
      [conIdAt(51, "C"), { openInterest: 0, volume: 499, averageVolume: 100 }],
      [conIdAt(100, "P"), { openInterest: 1000, volume: 5000, averageVolume: 10 }],
      [conIdAt(150, "P"), { openInterest: 0, volume: 6, averageVolume: 1 }], // 6× but only 6 lots: noise
      [conIdAt(149, "P"), { openInterest: 0, volume: 60, averageVolume: null }], // no history yet
    ]);
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.1, activity });
    const reasonsOf = (strike: number, right: "C" | "P") =>
      result.selected.find((s) => s.contract.conId === conIdAt(strike, right))?.reasons;
    // One side's spike takes the strike in, both rights.
    expect(reasonsOf(50, "C")).toEqual(["unusual-activity"]);
    expect(reasonsOf(50, "P")).toEqual(["unusual-activity"]);
    expect(reasonsOf(51, "C")).toBeUndefined();
    expect(reasonsOf(100, "P")).toEqual(["window", "unusual-activity"]);
    expect(reasonsOf(100, "C")).toEqual(["window", "unusual-activity"]);
    expect(reasonsOf(150, "P")).toBeUndefined();
    expect(reasonsOf(149, "P")).toBeUndefined();
  });

  it("follows the configured multiplier", () => {
    const activity = new Map<number, ContractActivity>([
      [conIdAt(50, "C"), { volume: 300, averageVolume: 100 }],
    ]);
    const settings = settingsWith({ unusual_activity_multiplier: 3 });
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.1, activity, settings });
    expect(result.selected.some((s) => s.contract.conId === conIdAt(50, "C"))).toBe(true);
  });
});

describe("expiry horizon and mode all", () => {
  const contracts = [
    ...chain("2026-11-20", [100], 1), // expired before asOf
    ...chain("2026-11-25", range(50, 150, 1), 100), // expires today
    ...chain("2026-12-25", range(50, 150, 1), 1000), // 30 days
    ...chain("2027-06-18", range(50, 150, 5), 2000), // 205 days
  ];

  it("takes every listed expiry by default and never an expired one", () => {
    const result = selectContracts({ ...base, contracts, impliedVolatility: 0.1 });
    const expiries = new Set(result.selected.map((s) => s.contract.expiry));
    expect([...expiries]).toEqual(["2026-11-25", "2026-12-25", "2027-06-18"]);
    expect(result.skipped.expired).toBe(2);
  });

  it("stops at max_days_to_expiry (inclusive)", () => {
    const settings = settingsWith({ max_days_to_expiry: 30 });
    const result = selectContracts({ ...base, settings, contracts, impliedVolatility: 0.1 });
    expect(new Set(result.selected.map((s) => s.contract.expiry))).toEqual(
      new Set(["2026-11-25", "2026-12-25"]),
    );
    expect(result.skipped.beyondHorizon).toBe(42);
  });

  it("selects the whole chain in mode all, within the horizon, in input order", () => {
    const all = selectContracts({
      ...base,
      contracts,
      impliedVolatility: 0.1,
      settings: settingsWith({ mode: "all" }),
    });
    expect(all.window).toBeNull();
    expect(all.selected.map((s) => s.contract)).toEqual(contracts.slice(2));
    expect(all.selected.every((s) => s.reasons.length === 1 && s.reasons[0] === "all")).toBe(true);
    const bounded = selectContracts({
      ...base,
      contracts,
      underlyingPrice: null,
      impliedVolatility: null,
      settings: settingsWith({ mode: "all", max_days_to_expiry: 0 }),
    });
    expect(bounded.selected).toHaveLength(202);
    expect(bounded.skipped).toEqual({ expired: 2, beyondHorizon: 202 + 42, notSelected: 0 });
  });
});

describe("strikeActivity: how the two sides of a strike combine", () => {
  it("sums open interest, volume and average volume over the sides that know them", () => {
    expect(
      strikeActivity([
        { openInterest: 60, volume: 3, averageVolume: 2 },
        { openInterest: 50, volume: 7, averageVolume: 1.5 },
      ]),
    ).toEqual({ openInterest: 110, volume: 10, averageVolume: 3.5 });
  });

  it("lets an unknown side add nothing, and is unknown only when no side knows", () => {
    expect(strikeActivity([{ openInterest: 60, volume: null }, undefined])).toEqual({
      openInterest: 60,
      volume: null,
      averageVolume: null,
    });
    expect(strikeActivity([{ openInterest: null }, { volume: Number.NaN, averageVolume: 4 }])).toEqual({
      openInterest: null,
      volume: null,
      averageVolume: 4,
    });
    expect(strikeActivity([undefined, undefined])).toEqual({
      openInterest: null,
      volume: null,
      averageVolume: null,
    });
  });

  it("is the one side's activity at a strike listed with one right only", () => {
    expect(strikeActivity([{ openInterest: 12, volume: 0, averageVolume: 1 }])).toEqual({
      openInterest: 12,
      volume: 0,
      averageVolume: 1,
    });
  });
});
