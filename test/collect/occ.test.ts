import { describe, expect, it } from "vitest";
import { occSymbol, parseOccSymbol } from "../../src/collect/occ.ts";

describe("OCC option symbols", () => {
  it("formats the root padded to 6, YYMMDD, the right and the strike × 1000 in 8 digits", () => {
    expect(occSymbol("SPY", "2026-12-18", "C", 600)).toBe("SPY   261218C00600000");
    expect(occSymbol("TSLA", "2027-01-15", "P", 250)).toBe("TSLA  270115P00250000");
    expect(occSymbol("PLTR", "2026-06-05", "C", 2.5)).toBe("PLTR  260605C00002500");
    expect(occSymbol("F", "2026-03-20", "P", 12.375)).toBe("F     260320P00012375");
    expect(occSymbol("SPXW", "2026-12-31", "C", 99999.999)).toBe("SPXW  261231C99999999");
    expect(occSymbol("BRK.B", "2026-12-18", "C", 500)).toBe("BRKB  261218C00500000");
    for (const symbol of [
      occSymbol("SPY", "2026-12-18", "C", 600),
      occSymbol("F", "2026-03-20", "P", 12.375),
    ]) {
      expect(symbol).toHaveLength(21);
    }
  });

  it("keeps strikes exact despite binary fractions", () => {
    expect(occSymbol("X", "2026-01-16", "C", 0.1 + 0.2)).toBe("X     260116C00000300");
    expect(occSymbol("X", "2026-01-16", "C", 1.005)).toBe("X     260116C00001005");
  });

  it("parses a symbol back to its parts", () => {
    expect(parseOccSymbol("SPY   261218C00600000")).toEqual({
      root: "SPY",
      expiry: "2026-12-18",
      right: "C",
      strike: 600,
    });
    expect(parseOccSymbol("F     260320P00012375")).toEqual({
      root: "F",
      expiry: "2026-03-20",
      right: "P",
      strike: 12.375,
    });
    expect(parseOccSymbol("PLTR  260605C00002500").strike).toBe(2.5);
  });

  it("round-trips over roots, dates, rights and fractional strikes", () => {
    for (const root of ["A", "QQQ", "GOOGL", "SPXW12"])
      for (const expiry of ["2026-02-27", "2028-02-29", "2030-12-31"])
        for (const right of ["C", "P"] as const)
          for (const strike of [0.5, 1, 2.5, 12.375, 99.99, 600, 4125.5]) {
            expect(parseOccSymbol(occSymbol(root, expiry, right, strike))).toEqual({
              root,
              expiry,
              right,
              strike,
            });
          }
  });

  it("rejects what OCC cannot express", () => {
    expect(() => occSymbol("TOOLONG", "2026-12-18", "C", 600)).toThrow(RangeError);
    expect(() => occSymbol("", "2026-12-18", "C", 600)).toThrow(RangeError);
    expect(() => occSymbol("SPY", "2026-02-30", "C", 600)).toThrow(RangeError);
    expect(() => occSymbol("SPY", "20261218", "C", 600)).toThrow(RangeError);
    expect(() => occSymbol("SPY", "2026-12-18", "C", 12.3456)).toThrow(RangeError);
    expect(() => occSymbol("SPY", "2026-12-18", "C", 0)).toThrow(RangeError);
    expect(() => occSymbol("SPY", "2026-12-18", "C", 100000)).toThrow(RangeError);
    expect(() => parseOccSymbol("SPY261218C00600000")).toThrow(RangeError);
    expect(() => parseOccSymbol("SPY   261318C00600000")).toThrow(RangeError);
    expect(() => parseOccSymbol("SPY   261218X00600000")).toThrow(RangeError);
    expect(() => parseOccSymbol("      261218C00600000")).toThrow(RangeError);
  });
});
