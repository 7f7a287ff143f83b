import { describe, expect, it } from "vitest";
import {
  earlyClosesOf,
  etInstant,
  holidaysOf,
  isTradingDay,
  monthlyExpiry,
  nextTradingDay,
  previousTradingDay,
  sessionKindForOption,
  sessionOf,
  toEt,
  weeklyExpiryOf,
} from "../../src/calendar/index.ts";

/**
 * NYSE full-day closures and 13:00 early closes as NYSE published them, typed in from
 * NYSE "Holidays & Trading Hours" (https://www.nyse.com/markets/hours-calendars, the year tables and their
 * "Each market will close early at 1:00 p.m." footnotes) and, for past years, NYSE Group press releases
 * (e.g. "NYSE Group Announces 2018 Holiday Calendar"; 2018-12-05 and 2025-01-09 national days of mourning).
 * These lists are data, written by hand: they are not generated from the rules under test.
 */
const NYSE_PUBLISHED: Record<number, { holidays: string[]; earlyCloses: string[] }> = {
  2015: {
    holidays: ["01-01", "01-19", "02-16", "04-03", "05-25", "07-03", "09-07", "11-26", "12-25"],
    earlyCloses: ["11-27", "12-24"],
  },
  2016: {
    holidays: ["01-01", "01-18", "02-15", "03-25", "05-30", "07-04", "09-05", "11-24", "12-26"],
    earlyCloses: ["11-25"],
  },
  2017: {
    holidays: ["01-02", "01-16", "02-20", "04-14", "05-29", "07-04", "09-04", "11-23", "12-25"],
    earlyCloses: ["07-03", "11-24"],
  },
  2018: {
    holidays: ["01-01", "01-15", "02-19", "03-30", "05-28", "07-04", "09-03", "11-22", "12-05", "12-25"],
    earlyCloses: ["07-03", "11-23", "12-24"],
  },
  2019: {
    holidays: ["01-01", "01-21", "02-18", "04-19", "05-27", "07-04", "09-02", "11-28", "12-25"],
    earlyCloses: ["07-03", "11-29", "12-24"],
  },
  2020: {
    holidays: ["01-01", "01-20", "02-17", "04-10", "05-25", "07-03", "09-07", "11-26", "12-25"],
    earlyCloses: ["11-27", "12-24"],
  },
  2021: {
    holidays: ["01-01", "01-18", "02-15", "04-02", "05-31", "07-05", "09-06", "11-25", "12-24"],
    earlyCloses: ["11-26"],
  },
  2022: {
    holidays: ["01-17", "02-21", "04-15", "05-30", "06-20", "07-04", "09-05", "11-24", "12-26"],
    earlyCloses: ["11-25"],
  },
  2023: {
    holidays: ["01-02", "01-16", "02-20", "04-07", "05-29", "06-19", "07-04", "09-04", "11-23", "12-25"],
    earlyCloses: ["07-03", "11-24"],
  },
  2024: {
    holidays: ["01-01", "01-15", "02-19", "03-29", "05-27", "06-19", "07-04", "09-02", "11-28", "12-25"],
    earlyCloses: ["07-03", "11-29", "12-24"],
  },
  2025: {
    holidays: [
      "01-01",
      "01-09",
      "01-20",
      "02-17",
      "04-18",
      "05-26",
      "06-19",
      "07-04",
      "09-01",
      "11-27",
      "12-25",
    ],
    earlyCloses: ["07-03", "11-28", "12-24"],
  },
  2026: {
    holidays: ["01-01", "01-19", "02-16", "04-03", "05-25", "06-19", "07-03", "09-07", "11-26", "12-25"],
    earlyCloses: ["11-27", "12-24"],
  },
  2027: {
    holidays: ["01-01", "01-18", "02-15", "03-26", "05-31", "06-18", "07-05", "09-06", "11-25", "12-24"],
    earlyCloses: ["11-26"],
  },
};

describe("NYSE holidays and early closes 2015–2027 match NYSE's published lists", () => {
  for (const [yearText, expected] of Object.entries(NYSE_PUBLISHED)) {
    const year = Number(yearText);
    it(`${year}`, () => {
      expect(holidaysOf(year).map((h) => h.date)).toEqual(expected.holidays.map((d) => `${year}-${d}`));
      expect(earlyClosesOf(year)).toEqual(
        expected.earlyCloses.map((d) => ({ date: `${year}-${d}`, closeEt: "13:00" })),
      );
      for (const d of expected.holidays) expect(isTradingDay(`${year}-${d}`)).toBe(false);
      for (const d of expected.earlyCloses) expect(isTradingDay(`${year}-${d}`)).toBe(true);
    });
  }

  it("counts every weekday of 2015–2027 that is not listed as a trading day", () => {
    for (const [yearText, expected] of Object.entries(NYSE_PUBLISHED)) {
      const year = Number(yearText);
      const closed = new Set(expected.holidays.map((d) => `${year}-${d}`));
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
        const day = new Date(t);
        const iso = day.toISOString().slice(0, 10);
        const weekend = day.getUTCDay() === 0 || day.getUTCDay() === 6;
        expect(isTradingDay(iso), iso).toBe(!weekend && !closed.has(iso));
      }
    }
  });
});

describe("observance edge cases", () => {
  it("does not observe a Saturday New Year's Day on the Friday before", () => {
    expect(isTradingDay("2021-12-31")).toBe(true);
    expect(holidaysOf(2021).map((h) => h.date)).not.toContain("2021-12-31");
    expect(holidaysOf(2022).some((h) => h.name === "New Year's Day")).toBe(false);
    expect(isTradingDay("2010-12-31")).toBe(true); // 2011-01-01 was a Saturday too
  });

  it("moves a Sunday holiday to Monday", () => {
    expect(isTradingDay("2021-07-05")).toBe(false); // Independence Day 2021 was a Sunday
    expect(isTradingDay("2021-07-02")).toBe(true);
    expect(isTradingDay("2017-01-02")).toBe(false); // New Year's Day 2017 was a Sunday
    expect(isTradingDay("2022-12-26")).toBe(false);
  });

  it("moves a Saturday holiday other than New Year's Day to Friday", () => {
    expect(holidaysOf(2027).find((h) => h.date === "2027-12-24")?.name).toBe("Christmas Day");
    expect(holidaysOf(2026).find((h) => h.date === "2026-07-03")?.name).toBe("Independence Day");
    expect(holidaysOf(2027).find((h) => h.date === "2027-06-18")?.name).toBe(
      "Juneteenth National Independence Day",
    );
  });

  it("starts Juneteenth in 2022", () => {
    expect(isTradingDay("2021-06-18")).toBe(true);
    expect(isTradingDay("2021-06-21")).toBe(true);
    expect(isTradingDay("2022-06-20")).toBe(false); // 2022-06-19 was a Sunday
    expect(isTradingDay("2022-06-17")).toBe(true);
    expect(isTradingDay("2026-06-19")).toBe(false);
  });

  it("starts Martin Luther King Jr. Day in 1998", () => {
    expect(isTradingDay("1997-01-20")).toBe(true);
    expect(isTradingDay("1998-01-19")).toBe(false);
  });

  it("closes on Good Friday (Easter Sunday − 2 days)", () => {
    const goodFridays = [
      "1990-04-13", "2000-04-21", "2008-03-21", "2011-04-22", "2038-04-23", "2100-03-26",
    ]; // prettier-ignore
    for (const date of goodFridays) {
      expect(isTradingDay(date), date).toBe(false);
      expect(holidaysOf(Number(date.slice(0, 4))).find((h) => h.date === date)?.name).toBe("Good Friday");
    }
  });

  it("keeps the unscheduled closures", () => {
    const closures = [
      "1994-04-27", "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2004-06-11", "2007-01-02",
      "2012-10-29", "2012-10-30", "2018-12-05", "2025-01-09",
    ]; // prettier-ignore
    for (const date of closures) expect(isTradingDay(date), date).toBe(false);
    expect(nextTradingDay("2001-09-10")).toBe("2001-09-17");
    expect(previousTradingDay("2012-10-31")).toBe("2012-10-26");
  });

  it("has no early close on the eve of a holiday that falls on the weekend or on a closed day", () => {
    expect(earlyClosesOf(2026).map((e) => e.date)).not.toContain("2026-07-02"); // July 3 is the holiday
    expect(earlyClosesOf(2027).map((e) => e.date)).not.toContain("2027-12-23");
    expect(earlyClosesOf(2021).map((e) => e.date)).not.toContain("2021-07-02");
  });

  it("lists holidays on weekdays only and sorted for every year 1990–2100", () => {
    for (let year = 1990; year <= 2100; year++) {
      const dates = holidaysOf(year).map((h) => h.date);
      expect(dates).toEqual([...dates].sort());
      expect(dates.length).toBeGreaterThanOrEqual(7);
      for (const date of dates) expect(new Date(`${date}T12:00:00Z`).getUTCDay() % 6).not.toBe(0);
      for (const e of earlyClosesOf(year)) expect(isTradingDay(e.date)).toBe(true);
    }
  });
});

describe("early closes before 2015", () => {
  // NYSE closings history as compiled in pandas_market_calendars (pandas_market_calendars/holidays/nyse.py:
  // MonTuesThursBeforeIndependenceDay from 1995, FridayAfterIndependenceDayNYSEpre2013, Wednesday from 2013,
  // DayAfterThanksgiving 14:00 in 1992 and 13:00 from 1993, ChristmasEve 14:00 1990–1992, 1997/2003-12-26).
  const closeOf = (date: string) =>
    earlyClosesOf(Number(date.slice(0, 4))).find((e) => e.date === date)?.closeEt;

  it("follows the Independence Day half-day rules of their time", () => {
    expect(closeOf("2012-07-03")).toBe("13:00"); // Tuesday
    expect(closeOf("2013-07-03")).toBe("13:00"); // Wednesday, from 2013
    expect(closeOf("2002-07-03")).toBeUndefined(); // Wednesday before 2013: Friday 5 July instead
    expect(closeOf("2002-07-05")).toBe("13:00");
    expect(closeOf("1996-07-05")).toBe("13:00");
    expect(closeOf("1995-07-03")).toBe("13:00"); // Monday
    expect(closeOf("1990-07-03")).toBeUndefined();
  });

  it("follows the Thanksgiving and Christmas half-day rules of their time", () => {
    expect(closeOf("1991-11-29")).toBeUndefined();
    expect(closeOf("1992-11-27")).toBe("14:00");
    expect(closeOf("1993-11-26")).toBe("13:00");
    expect(closeOf("1990-12-24")).toBe("14:00");
    expect(closeOf("1996-12-24")).toBe("13:00");
    expect(closeOf("1997-12-26")).toBe("13:00");
    expect(closeOf("2003-12-26")).toBe("13:00");
    expect(sessionOf("1992-11-27", "broad_etf_option")).toEqual({ openEt: "09:30", closeEt: "14:15" });
  });
});

describe("sessions", () => {
  it("opens 09:30 and closes 16:00 for equities and equity options, 16:15 for broad ETF options", () => {
    expect(sessionOf("2026-03-09", "equity")).toEqual({ openEt: "09:30", closeEt: "16:00" });
    expect(sessionOf("2026-03-09", "equity_option")).toEqual({ openEt: "09:30", closeEt: "16:00" });
    expect(sessionOf("2026-03-09", "broad_etf_option")).toEqual({ openEt: "09:30", closeEt: "16:15" });
  });

  it("closes at 13:00 on early closes, 13:15 for broad ETF options", () => {
    expect(sessionOf("2026-11-27", "equity")).toEqual({ openEt: "09:30", closeEt: "13:00" });
    expect(sessionOf("2026-12-24", "equity_option")).toEqual({ openEt: "09:30", closeEt: "13:00" });
    expect(sessionOf("2026-12-24", "broad_etf_option")).toEqual({ openEt: "09:30", closeEt: "13:15" });
  });

  it("has no session on holidays and weekends", () => {
    expect(sessionOf("2026-04-03", "equity")).toBeNull();
    expect(sessionOf("2026-03-07", "broad_etf_option")).toBeNull();
  });

  it("classifies broad ETF and index options", () => {
    for (const symbol of ["SPY", "QQQ", "IWM", "DIA", "spy", "VIX"]) {
      expect(sessionKindForOption(symbol)).toBe("broad_etf_option");
    }
    for (const symbol of ["PLTR", "TSLA", "AAPL", "XLF"])
      expect(sessionKindForOption(symbol)).toBe("equity_option");
  });
});

describe("option expiries", () => {
  it("puts the 2026 monthlies on the third Friday, Thursday 18 June because Juneteenth is a Friday", () => {
    const expected = [
      "2026-01-16", "2026-02-20", "2026-03-20", "2026-04-17", "2026-05-15", "2026-06-18",
      "2026-07-17", "2026-08-21", "2026-09-18", "2026-10-16", "2026-11-20", "2026-12-18",
    ]; // prettier-ignore
    expect(Array.from({ length: 12 }, (_, i) => monthlyExpiry(2026, i + 1))).toEqual(expected);
  });

  it("moves a Good Friday monthly to Thursday", () => {
    expect(monthlyExpiry(2025, 4)).toBe("2025-04-17");
    expect(monthlyExpiry(2022, 4)).toBe("2022-04-14");
    expect(monthlyExpiry(2022, 6)).toBe("2022-06-17"); // Juneteenth 2022 was observed Monday
  });

  it("finds the weekly expiry of the week", () => {
    expect(weeklyExpiryOf("2026-03-09")).toBe("2026-03-13");
    expect(weeklyExpiryOf("2026-03-13")).toBe("2026-03-13");
    expect(weeklyExpiryOf("2026-03-30")).toBe("2026-04-02"); // Good Friday week
    expect(weeklyExpiryOf("2026-06-29")).toBe("2026-07-02"); // Independence Day observed Friday
    expect(weeklyExpiryOf("2026-12-21")).toBe("2026-12-24"); // Christmas Friday: Thursday, an early close
    expect(weeklyExpiryOf("2026-11-23")).toBe("2026-11-27"); // the early-close Friday itself
    expect(weeklyExpiryOf("2026-03-14")).toBeNull(); // Saturday: not in a Mon–Fri week
    expect(weeklyExpiryOf("2001-09-12")).toBe("2001-09-10");
  });
});

describe("New York time", () => {
  it("converts ET wall-clock times to UTC across daylight saving", () => {
    expect(etInstant("2026-01-05", "16:45").toISOString()).toBe("2026-01-05T21:45:00.000Z");
    expect(etInstant("2026-03-09", "16:45").toISOString()).toBe("2026-03-09T20:45:00.000Z");
    expect(etInstant("2026-11-02", "06:30").toISOString()).toBe("2026-11-02T11:30:00.000Z");
    expect(etInstant("2026-03-08", "02:30").toISOString()).toBe("2026-03-08T07:30:00.000Z"); // skipped hour
    expect(etInstant("2026-11-01", "01:30").toISOString()).toBe("2026-11-01T05:30:00.000Z"); // first 01:30
  });

  it("converts UTC instants to the New York date and time", () => {
    expect(toEt(new Date("2026-07-01T20:45:00Z"))).toEqual({ date: "2026-07-01", time: "16:45" });
    expect(toEt(new Date("2026-01-02T03:00:00Z"))).toEqual({ date: "2026-01-01", time: "22:00" });
  });

  it("rejects malformed input with a message that shows the expected form", () => {
    expect(() => etInstant("2026-3-9", "16:45")).toThrow(/YYYY-MM-DD/);
    expect(() => etInstant("2026-02-30", "16:45")).toThrow(/no such day/);
    expect(() => etInstant("2026-03-09", "4:45pm")).toThrow(/HH:MM/);
    expect(() => isTradingDay("tomorrow")).toThrow(/YYYY-MM-DD/);
  });
});
