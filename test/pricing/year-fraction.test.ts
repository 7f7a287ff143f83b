import { describe, expect, it } from "vitest";
import {
  MILLISECONDS_PER_YEAR,
  expiryInstant,
  timeToExpiryYears,
  yearFraction,
} from "../../src/pricing/year-fraction.ts";

describe("year fraction", () => {
  it("puts the expiry at the 16:00 New York close, in EST and in EDT", () => {
    expect(expiryInstant("2026-12-18").toISOString()).toBe("2026-12-18T21:00:00.000Z");
    expect(expiryInstant("2026-07-17").toISOString()).toBe("2026-07-17T20:00:00.000Z");
    expect(expiryInstant("2026-11-27", "13:00").toISOString()).toBe("2026-11-27T18:00:00.000Z");
  });

  it("counts ACT/365 in exact elapsed time", () => {
    expect(timeToExpiryYears(new Date("2026-12-17T21:00:00Z"), "2026-12-18")).toBe(1 / 365);
    expect(timeToExpiryYears(new Date("2026-12-18T20:55:00Z"), "2026-12-18")).toBe(
      (5 * 60 * 1000) / MILLISECONDS_PER_YEAR,
    );
    // 2026-03-08 is the DST switch: Friday 16:00 EST to Monday 16:00 EDT is 71 hours, not 72.
    expect(timeToExpiryYears(new Date("2026-03-06T21:00:00Z"), "2026-03-09")).toBe(71 / (365 * 24));
  });

  it("is 0 once expired and rejects malformed dates", () => {
    expect(timeToExpiryYears(new Date("2026-12-18T21:00:01Z"), "2026-12-18")).toBe(0);
    expect(yearFraction(new Date("2027-01-01"), new Date("2026-01-01"))).toBe(0);
    expect(() => expiryInstant("2026-13-01")).toThrow(RangeError);
    expect(() => expiryInstant("20261218")).toThrow(RangeError);
    expect(() => expiryInstant("2026-12-18", "4pm")).toThrow(RangeError);
  });
});
