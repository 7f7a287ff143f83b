import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import {
  dueSlots,
  lastSlotOf,
  nextSlotAfter,
  slotsBetween,
  slotsForDate,
  zoneGapNote,
  type Slot,
} from "../../src/schedule/index.ts";
import type { Clock as FullClock } from "../../src/core/clock.ts";

type Clock = Pick<FullClock, "now">;

const SYMBOLS = ["SPY", "PLTR", "TSLA"];
const ZONE = "Asia/Jerusalem";
const defaults = configSchema.parse({}).schedule;
const options = { symbols: SYMBOLS, schedule: defaults, zone: ZONE };

// ---------------------------------------------------------------------------------------------------------------
// An independent model of the 2026 plan: hand-written calendar facts (NYSE 2026 list, the option expiries worked
// out by hand) + the rule table of issue 5 + wall-clock → UTC done with Intl offsets (not luxon, as the code does).
// ---------------------------------------------------------------------------------------------------------------

const HOLIDAYS_2026 = new Set([
  "2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19",
  "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25",
]); // prettier-ignore
const EARLY_CLOSES_2026 = new Set(["2026-11-27", "2026-12-24"]);
const FIRST_TRADING_DAYS_2026 = new Set([
  "2026-01-02", "2026-02-02", "2026-03-02", "2026-04-01", "2026-05-01", "2026-06-01",
  "2026-07-01", "2026-08-03", "2026-09-01", "2026-10-01", "2026-11-02", "2026-12-01",
]); // prettier-ignore
const MONTHLY_EXPIRIES_2026 = new Set([
  "2026-01-16", "2026-02-20", "2026-03-20", "2026-04-17", "2026-05-15", "2026-06-18",
  "2026-07-17", "2026-08-21", "2026-09-18", "2026-10-16", "2026-11-20", "2026-12-18",
]); // prettier-ignore
// The trading day after each monthly expiry (2026-01-19 is MLK Day, 2026-06-19 Juneteenth).
const POST_EXPIRY_2026 = new Set([
  "2026-01-20", "2026-02-23", "2026-03-23", "2026-04-20", "2026-05-18", "2026-06-22",
  "2026-07-20", "2026-08-24", "2026-09-21", "2026-10-19", "2026-11-23", "2026-12-21",
]); // prettier-ignore
// Weeks whose Friday is closed expire on Thursday (2027-01-01, New Year's Day, is a Friday).
const THURSDAY_EXPIRIES_2026 = new Set([
  "2026-04-02",
  "2026-06-18",
  "2026-07-02",
  "2026-12-24",
  "2026-12-31",
]);
// Weeks whose Thursday is closed discover on Friday.
const FRIDAY_DISCOVERIES_2026 = new Set(["2026-01-02", "2026-11-27"]);

/** The rule table of issue 5: per symbol?, time, zone basis, moves with an early close?, valid until. */
// prettier-ignore
const RULES = {
  backup:             { perSymbol: false, time: "02:00", basis: "et",    closeRelative: false, window: "nextBackup" },
  pre_market:         { perSymbol: true,  time: "06:30", basis: "et",    closeRelative: false, window: "open" },
  monthly_discovery:  { perSymbol: true,  time: "06:30", basis: "et",    closeRelative: false, window: "nextOpen" },
  post_expiry:        { perSymbol: false, time: "07:00", basis: "et",    closeRelative: false, window: "nextOpen" },
  gap_check:          { perSymbol: false, time: "08:00", basis: "local", closeRelative: false, window: "nextGapCheck" },
  analytics:          { perSymbol: true,  time: "15:45", basis: "et",    closeRelative: true,  window: "close" },
  eod:                { perSymbol: true,  time: "16:45", basis: "et",    closeRelative: true,  window: "nextOpen" },
  pre_expiry:         { perSymbol: true,  time: "15:00", basis: "et",    closeRelative: true,  window: "close" },
  settlement:         { perSymbol: true,  time: "15:59", basis: "et",    closeRelative: true,  window: "close" },
  expiry_processing:  { perSymbol: false, time: "17:00", basis: "et",    closeRelative: true,  window: "nextOpen" },
  weekly_discovery:   { perSymbol: true,  time: "17:00", basis: "et",    closeRelative: true,  window: "nextOpen" },
  weekend_review:     { perSymbol: false, time: "08:00", basis: "local", closeRelative: false, window: "nextOpen" },
  weekend_prep:       { perSymbol: false, time: "18:00", basis: "local", closeRelative: false, window: "nextOpen" },
  archive:            { perSymbol: false, time: "03:00", basis: "local", closeRelative: false, window: "dayAfter" },
} as const;
type RuleType = keyof typeof RULES;

/** Minutes east of UTC of a zone at an instant, read from Intl's "GMT+03:00" style name. */
function intlOffsetMinutes(zone: string, ms: number): number {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(new Date(ms))
    .find((part) => part.type === "timeZoneName")!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0; // "GMT" alone
  return (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** Wall-clock date + time in a zone → UTC ISO string, by fixed-point iteration on the zone offset. */
function wallToUtc(date: string, time: string, zone: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  const asUtc = Date.UTC(y, m - 1, d, hh, mm);
  let guess = asUtc - intlOffsetMinutes(zone, asUtc) * 60_000;
  guess = asUtc - intlOffsetMinutes(zone, guess) * 60_000;
  return new Date(guess).toISOString();
}

function minus3h(time: string): string {
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  return `${String(hh - 3).padStart(2, "0")}:${String(mm).padStart(2, "0")}`;
}

function expectedSlotsOf(date: string): string[] {
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  const out: string[] = [];
  const put = (type: RuleType) => {
    const rule = RULES[type];
    const time = rule.closeRelative && EARLY_CLOSES_2026.has(date) ? minus3h(rule.time) : rule.time;
    const at = wallToUtc(date, time, rule.basis === "et" ? "America/New_York" : ZONE);
    const until = {
      open: () => wallToUtc(date, "09:30", "America/New_York"),
      close: () => wallToUtc(date, EARLY_CLOSES_2026.has(date) ? "13:00" : "16:00", "America/New_York"),
      nextOpen: () => wallToUtc(nextTradingDate(date), "09:30", "America/New_York"),
      nextGapCheck: () => wallToUtc(nextTradingDate(date), "08:00", ZONE),
      nextBackup: () => wallToUtc(nextTradingDate(date), "02:00", "America/New_York"),
      dayAfter: () => new Date(Date.parse(at) + 86_400_000).toISOString(),
    }[rule.window]();
    for (const symbol of rule.perSymbol ? SYMBOLS : ["*"])
      out.push(`${at} ${type} ${symbol} ${date} ${until}`);
  };
  // The monthly archive: the 2nd of every month, trading day or not.
  if (date.endsWith("-02")) put("archive");
  if (weekday === 6) put("weekend_review");
  if (weekday === 0) put("weekend_prep");
  if (weekday === 0 || weekday === 6 || HOLIDAYS_2026.has(date)) return out;
  put("backup");
  put("pre_market");
  put("gap_check");
  put("analytics");
  put("eod");
  if (FIRST_TRADING_DAYS_2026.has(date)) put("monthly_discovery");
  if (POST_EXPIRY_2026.has(date)) put("post_expiry");
  if ((weekday === 5 || THURSDAY_EXPIRIES_2026.has(date)) && !THURSDAY_EXPIRIES_2026.has(addDay(date, -1))) {
    put("pre_expiry");
    put("settlement");
  }
  if (MONTHLY_EXPIRIES_2026.has(date)) put("expiry_processing");
  if ((weekday === 4 && !HOLIDAYS_2026.has(date)) || FRIDAY_DISCOVERIES_2026.has(date))
    put("weekly_discovery");
  return out;
}

function nextTradingDate(date: string): string {
  let next = addDay(date, 1);
  const closed = (d: string) => [0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay());
  while (closed(next) || HOLIDAYS_2026.has(next) || next === "2027-01-01") next = addDay(next, 1);
  return next;
}

function addDay(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function describeSlot(slot: Slot): string {
  return `${slot.at.toISOString()} ${slot.type} ${slot.symbol ?? "*"} ${slot.date} ${slot.validUntil.toISOString()}`;
}

class SteppedClock implements Clock {
  constructor(private instant: Date) {}
  now(): Date {
    return this.instant;
  }
  set(instant: Date): void {
    this.instant = instant;
  }
}

describe("the 2026 plan, driven by an injected clock", () => {
  it("runs every slot of 2026 at exactly the instant, and with the window, the independent model computes", () => {
    const dates: string[] = [];
    for (let d = "2026-01-01"; d <= "2026-12-31"; d = addDay(d, 1)) dates.push(d);
    const expected = dates.flatMap(expectedSlotsOf).sort();

    // The daemon's loop: wake at the next slot, ask what is due since the last wake, repeat.
    const start = new Date(wallToUtc("2026-01-01", "00:00", ZONE));
    const end = new Date(wallToUtc("2027-01-01", "00:00", "America/New_York")); // after Thursday 31st's 17:00 ET
    const clock = new SteppedClock(start);
    let since = start;
    const ran: Slot[] = [];
    for (;;) {
      const next = nextSlotAfter(clock.now(), options);
      if (!next || next.at >= end) break;
      clock.set(next.at);
      const { due, missed } = dueSlots(since, clock, options);
      expect(missed).toEqual([]);
      for (const slot of due) expect(slot.at.getTime()).toBe(clock.now().getTime());
      ran.push(...due);
      since = new Date(clock.now().getTime() + 1);
    }

    // Every slot ran once, at its time, and in time order.
    const actual = ran.map(describeSlot);
    expect(new Set(ran.map((s) => s.key)).size).toBe(ran.length);
    expect(actual.slice().sort()).toEqual(expected);
    expect(actual).toEqual(actual.slice().sort((a, b) => a.slice(0, 24).localeCompare(b.slice(0, 24))));
    expect(ran.length).toBe(expected.length);
    expect(ran.length).toBeGreaterThan(3000);
  });
});

function slotAt(type: string, symbol: string | null, date: string): Slot {
  const found = slotsForDate(date, options).find((s) => s.type === type && s.symbol === symbol);
  if (!found) throw new Error(`no ${type} ${symbol} slot on ${date}`);
  return found;
}

describe("hand-checked slots of 2026", () => {
  it("puts the EOD at 22:45 in Jerusalem while New York is on summer time and Israel not yet", () => {
    expect(slotAt("eod", "SPY", "2026-03-06").at.toISOString()).toBe("2026-03-06T21:45:00.000Z"); // 23:45 IST
    expect(slotAt("eod", "SPY", "2026-03-09").at.toISOString()).toBe("2026-03-09T20:45:00.000Z"); // 22:45 IST
    expect(slotAt("eod", "TSLA", "2026-03-26").at.toISOString()).toBe("2026-03-26T20:45:00.000Z"); // 22:45 IST
    expect(slotAt("eod", "SPY", "2026-03-27").at.toISOString()).toBe("2026-03-27T20:45:00.000Z"); // 23:45 IDT
    expect(slotAt("pre_expiry", "SPY", "2026-03-13").at.toISOString()).toBe("2026-03-13T19:00:00.000Z"); // 21:00 IST
  });

  it("and in autumn, while Israel is back on winter time and New York not yet", () => {
    expect(slotAt("eod", "SPY", "2026-10-23").at.toISOString()).toBe("2026-10-23T20:45:00.000Z"); // 23:45 IDT
    expect(slotAt("eod", "SPY", "2026-10-26").at.toISOString()).toBe("2026-10-26T20:45:00.000Z"); // 22:45 IST
    expect(slotAt("settlement", "SPY", "2026-10-30").at.toISOString()).toBe("2026-10-30T19:59:00.000Z");
    expect(slotAt("eod", "SPY", "2026-11-02").at.toISOString()).toBe("2026-11-02T21:45:00.000Z"); // 23:45 IST
  });

  it("keeps local-time slots on the Jerusalem clock", () => {
    expect(slotAt("gap_check", null, "2026-03-09").at.toISOString()).toBe("2026-03-09T06:00:00.000Z");
    expect(slotAt("gap_check", null, "2026-07-06").at.toISOString()).toBe("2026-07-06T05:00:00.000Z");
    expect(slotAt("weekend_review", null, "2026-03-21").at.toISOString()).toBe("2026-03-21T06:00:00.000Z");
    expect(slotAt("weekend_review", null, "2026-03-28").at.toISOString()).toBe("2026-03-28T05:00:00.000Z");
    expect(slotAt("weekend_prep", null, "2026-11-01").at.toISOString()).toBe("2026-11-01T16:00:00.000Z");
  });

  it("moves the Good Friday week's expiry to Thursday and says why", () => {
    expect(slotsForDate("2026-04-03", options)).toEqual([]);
    const settlement = slotAt("settlement", "SPY", "2026-04-02");
    expect(settlement.at.toISOString()).toBe("2026-04-02T19:59:00.000Z");
    expect(settlement.validUntil.toISOString()).toBe("2026-04-02T20:00:00.000Z");
    expect(settlement.note).toMatch(/2026-04-03 closed \(Good Friday\)/);
    expect(slotAt("pre_expiry", "PLTR", "2026-04-02").at.toISOString()).toBe("2026-04-02T19:00:00.000Z");
    expect(slotAt("gap_check", null, "2026-04-06").note).toMatch(/2026-04-03 \(Good Friday\)/);
  });

  it("handles Independence Day observed on Friday 3 July and Juneteenth", () => {
    expect(slotsForDate("2026-07-03", options)).toEqual([]);
    expect(slotAt("pre_expiry", "SPY", "2026-07-02").at.toISOString()).toBe("2026-07-02T19:00:00.000Z");
    expect(slotAt("eod", "SPY", "2026-07-02").validUntil.toISOString()).toBe("2026-07-06T13:30:00.000Z");
    expect(slotsForDate("2026-06-19", options)).toEqual([]);
    expect(slotAt("settlement", "TSLA", "2026-06-18").at.toISOString()).toBe("2026-06-18T19:59:00.000Z");
    expect(slotAt("expiry_processing", null, "2026-06-18").at.toISOString()).toBe("2026-06-18T21:00:00.000Z");
    expect(slotAt("post_expiry", null, "2026-06-22").at.toISOString()).toBe("2026-06-22T11:00:00.000Z");
  });

  it("moves close-tied slots three hours earlier on the 2026 early closes", () => {
    for (const date of ["2026-11-27", "2026-12-24"]) {
      expect(slotAt("pre_expiry", "SPY", date).at.toISOString()).toBe(`${date}T17:00:00.000Z`); // 12:00 ET
      expect(slotAt("analytics", "SPY", date).at.toISOString()).toBe(`${date}T17:45:00.000Z`); // 12:45 ET
      expect(slotAt("settlement", "SPY", date).at.toISOString()).toBe(`${date}T17:59:00.000Z`); // 12:59 ET
      expect(slotAt("eod", "SPY", date).at.toISOString()).toBe(`${date}T18:45:00.000Z`); // 13:45 ET
      expect(slotAt("eod", "SPY", date).note).toMatch(/early close 13:00 ET/);
      expect(slotAt("pre_market", "SPY", date).at.toISOString()).toBe(`${date}T11:30:00.000Z`); // unchanged
    }
    expect(slotAt("eod", "SPY", "2026-12-24").note).toMatch(/Christmas Eve/);
    expect(slotAt("weekly_discovery", "SPY", "2026-12-24").at.toISOString()).toBe("2026-12-24T19:00:00.000Z");
    // Thanksgiving Thursday is closed: that week's discovery runs on the early-close Friday, 14:00 ET.
    const discovery = slotAt("weekly_discovery", "SPY", "2026-11-27");
    expect(discovery.at.toISOString()).toBe("2026-11-27T19:00:00.000Z");
    expect(discovery.note).toMatch(/2026-11-26 closed \(Thanksgiving Day\)/);
  });

  it("starts the month on its first trading day", () => {
    expect(slotAt("monthly_discovery", "SPY", "2026-01-02").at.toISOString()).toBe(
      "2026-01-02T11:30:00.000Z",
    );
    expect(slotAt("monthly_discovery", "SPY", "2026-01-02").note).toMatch(/New Year's Day/);
    expect(slotAt("weekly_discovery", "SPY", "2026-01-02").at.toISOString()).toBe("2026-01-02T22:00:00.000Z");
    expect(slotsForDate("2026-08-03", options).some((s) => s.type === "monthly_discovery")).toBe(true);
  });

  it("gives each slot the window the issue describes", () => {
    const eod = slotAt("eod", "SPY", "2026-03-13");
    expect(eod.validUntil.toISOString()).toBe("2026-03-16T13:30:00.000Z"); // Monday's open
    expect(slotAt("pre_market", "SPY", "2026-03-13").validUntil.toISOString()).toBe(
      "2026-03-13T13:30:00.000Z",
    );
    expect(slotAt("analytics", "SPY", "2026-03-13").validUntil.toISOString()).toBe(
      "2026-03-13T20:00:00.000Z",
    );
    expect(slotAt("gap_check", null, "2026-03-13").validUntil.toISOString()).toBe("2026-03-16T06:00:00.000Z");
    expect(eod.key).toBe("eod:SPY:2026-03-13");
    expect(slotAt("gap_check", null, "2026-03-13").key).toBe("gap_check:*:2026-03-13");
  });
});

describe("waking up late", () => {
  it("runs what is still inside its window and reports the rest as missed", () => {
    // Asleep from Friday 2026-03-13 11:00 ET to Saturday 10:00 Jerusalem: the settlement window has closed,
    // the EOD (valid until Monday's open) and the Saturday review can still run.
    const since = new Date("2026-03-13T15:00:00Z");
    const clock: Clock = { now: () => new Date("2026-03-14T08:00:00Z") };
    const { due, missed } = dueSlots(since, clock, options);
    expect(missed.map((s) => `${s.type}:${s.symbol}`)).toEqual([
      "pre_expiry:SPY", "pre_expiry:PLTR", "pre_expiry:TSLA", "analytics:SPY", "analytics:PLTR", "analytics:TSLA",
      "settlement:SPY", "settlement:PLTR", "settlement:TSLA",
    ]); // prettier-ignore
    expect(due.map((s) => `${s.type}:${s.symbol}`)).toEqual([
      "eod:SPY", "eod:PLTR", "eod:TSLA", "weekend_review:null",
    ]); // prettier-ignore
  });
});

describe("the last slot of a type", () => {
  it("is the latest at or before the instant, across weekends and early closes", () => {
    const at = (instant: string) => lastSlotOf("eod", new Date(instant), options);
    expect(at("2026-03-09T20:45:00Z")?.key).toBe("eod:TSLA:2026-03-09"); // the instant itself
    expect(at("2026-03-09T20:44:59Z")?.date).toBe("2026-03-06"); // Monday before 16:45 ET: Friday's
    expect(at("2026-11-30T12:00:00Z")?.at.toISOString()).toBe("2026-11-27T18:45:00.000Z"); // early close
    const disabled = configSchema.parse({ schedule: { eod: { enabled: false } } }).schedule;
    expect(lastSlotOf("eod", new Date("2026-03-09T21:00:00Z"), { ...options, schedule: disabled })).toBe(
      undefined,
    );
  });
});

describe("configuration", () => {
  it("leaves out disabled collections and honours configured times", () => {
    const schedule = configSchema.parse({
      schedule: { analytics: { enabled: false }, eod: { time_et: "17:30" }, timezone: "Europe/London" },
    }).schedule;
    const slots = slotsForDate("2026-03-09", { symbols: ["SPY"], schedule });
    expect(slots.some((s) => s.type === "analytics")).toBe(false);
    expect(slots.find((s) => s.type === "eod")!.at.toISOString()).toBe("2026-03-09T21:30:00.000Z");
    // schedule.timezone places local slots when no zone is passed: 08:00 GMT.
    expect(slots.find((s) => s.type === "gap_check")!.at.toISOString()).toBe("2026-03-09T08:00:00.000Z");
    // An early close keeps the configured distance to the close: 17:30 → 14:30 ET.
    const early = slotsForDate("2026-11-27", { symbols: ["SPY"], schedule });
    expect(early.find((s) => s.type === "eod")!.at.toISOString()).toBe("2026-11-27T19:30:00.000Z");
  });

  it("rejects a malformed time and an unknown zone with a helpful message", () => {
    expect(() => configSchema.parse({ schedule: { eod: { time_et: "4:45 PM" } } })).toThrow(/16:45/);
    expect(() =>
      slotsForDate("2026-03-09", { symbols: ["SPY"], schedule: defaults, zone: "Mars/Olympus" }),
    ).toThrow(/IANA/);
  });
});

describe("zone gap notes", () => {
  it("explains the weeks New York and Jerusalem are 6 hours apart", () => {
    const spring = zoneGapNote(new Date("2026-03-09T20:45:00Z"), ZONE);
    expect(spring).toContain("6 h apart instead of 7 h");
    expect(spring).toContain("New York changed its clocks on 2026-03-08");
    expect(spring).toContain("Asia/Jerusalem follows on 2026-03-27");
    const autumn = zoneGapNote(new Date("2026-10-26T20:45:00Z"), ZONE);
    expect(autumn).toContain(
      "Asia/Jerusalem changed its clocks on 2026-10-25, New York follows on 2026-11-01",
    );
  });

  it("is silent when the zones are their usual distance apart, or have no usual distance", () => {
    expect(zoneGapNote(new Date("2026-04-01T20:45:00Z"), ZONE)).toBeNull();
    expect(zoneGapNote(new Date("2026-01-05T21:45:00Z"), ZONE)).toBeNull();
    expect(zoneGapNote(new Date("2026-03-09T20:45:00Z"), "America/New_York")).toBeNull();
    expect(zoneGapNote(new Date("2026-03-09T20:45:00Z"), "Australia/Sydney")).toBeNull();
    expect(zoneGapNote(new Date("2026-03-09T20:45:00Z"), "Europe/London")).toContain(
      "4 h apart instead of 5 h",
    );
  });
});

describe("slotsBetween", () => {
  it("returns slots in time order within [from, to)", () => {
    const from = new Date("2026-03-09T20:45:00Z");
    const slots = slotsBetween(from, new Date("2026-03-10T10:30:00Z"), options);
    expect(slots.map((s) => `${s.type}:${s.symbol ?? "*"}`)).toEqual([
      "eod:SPY", "eod:PLTR", "eod:TSLA", "backup:*", "gap_check:*",
    ]); // prettier-ignore
    expect(slotsBetween(from, from, options)).toEqual([]);
  });
});

describe("schedule config", () => {
  it("accepts IANA zones and rejects others", () => {
    expect(configSchema.parse({ schedule: { timezone: "Asia/Jerusalem" } }).schedule.timezone).toBe(
      "Asia/Jerusalem",
    );
    expect(() => configSchema.parse({ schedule: { timezone: "Israel Standard Time" } })).toThrow(/IANA/);
    expect(() => configSchema.parse({ schedule: { eod: { enabled: true, when: "late" } } })).toThrow();
  });
});

describe("settlement slots of index options with PM dailies", () => {
  const withSpx = { symbols: ["SPY", "SPX"], schedule: defaults, zone: ZONE };
  const settlements = (date: string) =>
    slotsForDate(date, withSpx)
      .filter((slot) => slot.type === "settlement")
      .map((slot) => [slot.symbol, slot.note]);

  it("plans SPX's settlement every trading day, SPY's only on the week's expiry day", () => {
    expect(settlements("2026-03-10")).toEqual([["SPX", "PM-settled daily expiry"]]);
    expect(settlements("2026-03-13")).toEqual([
      ["SPY", null],
      ["SPX", null],
    ]);
    expect(settlements("2026-04-03")).toEqual([]); // Good Friday: closed
    const tuesday = slotsForDate("2026-03-10", withSpx).find((slot) => slot.type === "settlement")!;
    expect(tuesday.at.toISOString()).toBe("2026-03-10T19:59:00.000Z"); // 15:59 ET
    expect(tuesday.validUntil.toISOString()).toBe("2026-03-10T20:00:00.000Z"); // the close
  });
});
