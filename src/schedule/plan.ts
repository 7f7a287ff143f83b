import {
  addDays,
  etInstant,
  holidaysOf,
  isEarlyClose,
  isMonthlyExpiry,
  isTradingDay,
  nextTradingDay,
  previousTradingDay,
  REGULAR_OPEN_ET,
  sessionOf,
  toEt,
  weekdayOf,
  weeklyExpiryOf,
  zonedInstant,
  type IsoDate,
  DAY_MS,
} from "../calendar/index.ts";
import { formatMinutes, minutesOfDay } from "../calendar/time.ts";
import type { Config } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { slotKey } from "../core/collection.ts";
import { PER_SYMBOL_TYPES, SLOT_TYPES, type Slot, type SlotType } from "./slot.ts";
import { checkZone, planZone } from "./zones.ts";
import { hasAmMonthlies, hasPmDailies } from "../config/symbols.ts";

/*
 * Why the plan lives in exchange time.
 * The market opens and closes by the New York clock. A schedule at fixed Israeli wall-clock
 * times (23:45, 22:00) breaks, because the US and Israel change their clocks on different dates: for about three weeks a
 * year (2026: 03-08..03-27 and 10-25..11-01) they are 6 hours apart instead of 7, so such a schedule fires an hour late —
 * the Friday 15:00 ET pre-expiry check at 16:00 ET, after the expiring options stopped trading. (Both zones are on summer time together, so 16:45 ET is 23:45 in
 * Jerusalem in summer as in winter.) So every collection is set in New York time and converted to an instant per
 * date with the zone rules; only the housekeeping slots (gap check, weekend review/prep), which are about the
 * user's day rather than the market's, use the user's local time.
 *
 * Symbol-specific closes shift nothing. SPY/QQQ/IWM options trade to 16:15, but expiring ETF options stop at
 * 16:00 on their last day, so pre_expiry (15:00) and settlement (15:59) stay before 16:00 for every symbol; the
 * analytics snapshot (15:45) is before either close and the EOD snapshot (16:45) after both.
 */

export type ScheduleConfig = Config["schedule"];

export interface PlanOptions {
  /** Underlyings, in configured order; per-symbol slots are made for each. */
  symbols: readonly string[];
  schedule: ScheduleConfig;
  /** Zone of the local-time slots; default schedule.timezone, else the machine's zone. */
  zone?: string;
}

/** The regular equity close the ET collection times are written against. */
const REGULAR_CLOSE_MINUTES = 16 * 60;

/** Slot types set relative to the close: on an early close they keep their distance to it (16:45 → 13:45). */
const CLOSE_RELATIVE: ReadonlySet<SlotType> = new Set<SlotType>([
  "analytics",
  "eod",
  "pre_expiry",
  "settlement",
  "expiry_processing",
  "weekly_discovery",
]);

interface Context {
  symbols: readonly string[];
  schedule: ScheduleConfig;
  zone: string;
}

function contextOf(options: PlanOptions): Context {
  return {
    symbols: options.symbols,
    schedule: options.schedule,
    zone: options.zone === undefined ? planZone(options.schedule) : checkZone(options.zone),
  };
}

function holidayName(date: IsoDate): string {
  const found = holidaysOf(Number(date.slice(0, 4))).find((h) => h.date === date);
  return found ? found.name : "weekend";
}

function earlyCloseReason(date: IsoDate): string {
  const monthDay = date.slice(5);
  if (monthDay === "07-03") return "eve of Independence Day";
  if (monthDay === "07-05") return "day after Independence Day";
  if (monthDay === "12-24") return "Christmas Eve";
  if (monthDay === "12-26") return "day after Christmas";
  return "day after Thanksgiving";
}

/** The closed weekdays between two trading days (exclusive), e.g. the holiday a gap check has to cover. */
function closedWeekdaysBetween(after: IsoDate, before: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let day = addDays(after, 1); day < before; day = addDays(day, 1)) {
    const weekday = weekdayOf(day);
    if (weekday !== 0 && weekday !== 6) days.push(day);
  }
  return days;
}

/** The day of the week's discovery: Thursday, or when Thursday is closed the next trading day of that week. */
function weeklyDiscoveryDay(date: IsoDate): IsoDate | null {
  const weekday = weekdayOf(date);
  if (weekday === 0 || weekday === 6) return null;
  const thursday = addDays(date, 4 - weekday);
  if (isTradingDay(thursday)) return thursday;
  const friday = addDays(thursday, 1);
  if (isTradingDay(friday)) return friday;
  for (let day = addDays(thursday, -1); weekdayOf(day) >= 1 && weekdayOf(day) <= 3; day = addDays(day, -1)) {
    if (isTradingDay(day)) return day;
  }
  return null;
}

function joinNotes(...notes: Array<string | null>): string | null {
  const present = notes.filter((n): n is string => n !== null);
  return present.length > 0 ? present.join("; ") : null;
}

// The plan of a date never changes for one configuration, and a daemon asks about the same few dates all day.
const planCache = new WeakMap<ScheduleConfig, Map<string, Slot[]>>();
const PLAN_CACHE_DATES = 1000;

function cloneSlot(slot: Slot): Slot {
  return { ...slot, at: new Date(slot.at), validUntil: new Date(slot.validUntil) };
}

/** Every slot that belongs to one date (a trading day, or a weekend day for the weekend slots), sorted. */
function slotsOfDate(date: IsoDate, context: Context): Slot[] {
  let cache = planCache.get(context.schedule);
  if (!cache) planCache.set(context.schedule, (cache = new Map()));
  const key = `${date}|${context.zone}|${context.symbols.join(",")}`;
  let slots = cache.get(key);
  if (!slots) {
    if (cache.size >= PLAN_CACHE_DATES) cache.clear();
    slots = computeSlotsOfDate(date, context);
    cache.set(key, slots);
  }
  return slots.map(cloneSlot);
}

function computeSlotsOfDate(date: IsoDate, context: Context): Slot[] {
  const { schedule, zone } = context;
  const slots: Slot[] = [];
  const add = (
    type: SlotType,
    at: Date,
    validUntil: Date,
    note: string | null,
    only: readonly string[] | null = null,
  ): void => {
    if (!schedule[type].enabled) return;
    const symbols = PER_SYMBOL_TYPES.has(type) ? (only ?? context.symbols) : [null];
    for (const symbol of symbols) {
      slots.push({ key: slotKey({ type, symbol, date }), type, symbol, date, at, validUntil, note });
    }
  };

  if (date.endsWith("-02")) {
    // Archive the closed months, then apply guarded retention (src/daemon/maintenance.ts); on any day of the week.
    const at = zonedInstant(date, schedule.archive.time_local, zone);
    add("archive", at, new Date(at.getTime() + 24 * 3_600_000), null);
  }
  const weekday = weekdayOf(date);
  if (weekday === 6 || weekday === 0) {
    const nextOpen = etInstant(nextTradingDay(date), REGULAR_OPEN_ET);
    if (weekday === 6)
      add("weekend_review", zonedInstant(date, schedule.weekend_review.time_local, zone), nextOpen, null);
    else add("weekend_prep", zonedInstant(date, schedule.weekend_prep.time_local, zone), nextOpen, null);
    return sortSlots(slots, context);
  }
  if (!isTradingDay(date)) return sortSlots(slots, context); // nothing on holidays; the next gap check covers them

  const session = sessionOf(date, "equity")!;
  const closeShift = minutesOfDay(session.closeEt) - REGULAR_CLOSE_MINUTES;
  const early = isEarlyClose(date);
  const next = nextTradingDay(date);
  const previous = previousTradingDay(date);
  const open = etInstant(date, REGULAR_OPEN_ET);
  const close = etInstant(date, session.closeEt);
  const nextOpen = etInstant(next, REGULAR_OPEN_ET);

  /** The configured ET time of a slot on this date, and a note when an early close moved it. */
  const timeOf = (type: SlotType): { at: Date; note: string | null } => {
    const configured = (schedule[type] as { time_et: string }).time_et;
    if (!early || !CLOSE_RELATIVE.has(type)) return { at: etInstant(date, configured), note: null };
    const moved = formatMinutes(minutesOfDay(configured) + closeShift);
    return {
      at: etInstant(date, moved),
      note: `early close ${session.closeEt} ET (${earlyCloseReason(date)}): ${moved} ET instead of ${configured}`,
    };
  };
  const etSlot = (type: SlotType, validUntil: Date, reason: string | null = null): void => {
    const { at, note } = timeOf(type);
    add(type, at, validUntil, joinNotes(reason, note));
  };

  const closedBefore = closedWeekdaysBetween(previous, date);
  const coversNote =
    closedBefore.length > 0
      ? `first trading morning after ${closedBefore.map((d) => `${d} (${holidayName(d)})`).join(", ")}: covers it`
      : null;

  // The nightly backup belongs to the trading day it precedes (the previous sessions' data, before this one writes);
  // a machine that was off at 02:00 still takes it later that day, until the next one is due.
  etSlot("backup", etInstant(next, schedule.backup.time_et));
  etSlot("pre_market", open);
  if (previous.slice(0, 7) !== date.slice(0, 7)) {
    const firstWeekday = closedBefore.find((d) => d.slice(0, 7) === date.slice(0, 7));
    etSlot(
      "monthly_discovery",
      nextOpen,
      firstWeekday
        ? `${firstWeekday} closed (${holidayName(firstWeekday)}): first trading day of the month`
        : null,
    );
  }
  if (isMonthlyExpiry(previous)) etSlot("post_expiry", nextOpen, `after the monthly expiry of ${previous}`);
  const gapCheckAt = (day: IsoDate) => zonedInstant(day, schedule.gap_check.time_local, zone);
  add("gap_check", gapCheckAt(date), gapCheckAt(next), coversNote);
  etSlot("analytics", close);
  if (weeklyExpiryOf(date) === date) {
    const friday = addDays(date, 5 - weekday);
    const thursdayNote =
      friday !== date
        ? `${friday} closed (${holidayName(friday)}): this week's options expire ${date}`
        : null;
    etSlot("pre_expiry", close, thursdayNote);
    etSlot("settlement", close, thursdayNote);
    if (isMonthlyExpiry(date)) etSlot("expiry_processing", nextOpen, thursdayNote);
  } else {
    // AM-settled monthlies (SPX, NDX, RUT) stop trading the session before their expiry morning: today, when the
    // next session is a monthly expiry. Their last look before settlement is taken today.
    const amLastDay = isMonthlyExpiry(next) ? context.symbols.filter(hasAmMonthlies) : [];
    if (amLastDay.length > 0) {
      const { at, note } = timeOf("pre_expiry");
      add(
        "pre_expiry",
        at,
        close,
        joinNotes(`last trading day of the AM-settled monthlies of ${next}`, note),
        amLastDay,
      );
    }
    // Index options with PM dailies (SPXW, XSP, NDXP, RUTW) expire today too: their settlement is collected daily.
    const dailies = context.symbols.filter(hasPmDailies);
    if (dailies.length > 0) {
      const { at, note } = timeOf("settlement");
      const why =
        amLastDay.length > 0
          ? "PM-settled daily expiry; AM-settled monthlies' last trading day"
          : "PM-settled daily expiry";
      add("settlement", at, close, joinNotes(why, note), dailies);
    }
  }
  etSlot("eod", nextOpen);
  if (weeklyDiscoveryDay(date) === date && weekday !== 4) {
    const thursday = addDays(date, 4 - weekday);
    etSlot(
      "weekly_discovery",
      nextOpen,
      `${thursday} closed (${holidayName(thursday)}): discovery on ${date}`,
    );
  } else if (weekday === 4) {
    etSlot("weekly_discovery", nextOpen);
  }
  return sortSlots(slots, context);
}

function sortSlots(slots: Slot[], context: Context): Slot[] {
  const symbolOrder = (symbol: string | null) => (symbol === null ? -1 : context.symbols.indexOf(symbol));
  return slots.sort(
    (a, b) =>
      a.at.getTime() - b.at.getTime() ||
      SLOT_TYPES.indexOf(a.type) - SLOT_TYPES.indexOf(b.type) ||
      symbolOrder(a.symbol) - symbolOrder(b.symbol),
  );
}

// Local-time slots may sit a calendar day away from their New York date (e.g. 08:00 in Tokyo is the evening
// before in New York); looking this many days beyond the range catches them.
const DATE_MARGIN_DAYS = 2;

/** Every enabled slot with from <= at < to, in time order (ties: SLOT_TYPES order, then symbol order). */
export function slotsBetween(from: Date, to: Date, options: PlanOptions): Slot[] {
  if (!(from.getTime() < to.getTime())) return [];
  const context = contextOf(options);
  const first = addDays(toEt(from).date, -DATE_MARGIN_DAYS);
  const last = addDays(toEt(to).date, DATE_MARGIN_DAYS);
  const slots: Slot[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) {
    for (const slot of slotsOfDate(date, context)) {
      if (slot.at.getTime() >= from.getTime() && slot.at.getTime() < to.getTime()) slots.push(slot);
    }
  }
  return sortSlots(slots, context);
}

/** The slots belonging to one date, whenever they fall. */
export function slotsForDate(date: IsoDate, options: PlanOptions): Slot[] {
  return slotsOfDate(date, contextOf(options));
}

/** The first slot strictly after an instant (looks up to 32 days ahead); undefined when every slot is disabled. */
export function nextSlotAfter(instant: Date, options: PlanOptions): Slot | undefined {
  const from = new Date(instant.getTime() + 1);
  // Usually the next slot is hours away: look one day ahead first, then widen.
  for (const days of [1, 4, 32]) {
    const found = slotsBetween(from, new Date(from.getTime() + days * DAY_MS), options)[0];
    if (found) return found;
  }
  return undefined;
}

/** The latest slot of a type at or before an instant (looks up to 32 days back); undefined when there is none. */
export function lastSlotOf(type: SlotType, instant: Date, options: PlanOptions): Slot | undefined {
  const to = new Date(instant.getTime() + 1);
  for (const days of [1, 4, 32]) {
    const slots = slotsBetween(new Date(to.getTime() - days * DAY_MS), to, options);
    const found = slots.filter((slot) => slot.type === type).at(-1);
    if (found) return found;
  }
  return undefined;
}

/**
 * What a scheduler should do now about the slots since an instant (e.g. its last check, or a few days back on
 * start): slots with since <= at <= now split into those still inside their window (run them) and those past it
 * (record them as missed). Idempotency is the caller's: each slot's key says which run it is.
 */
export function dueSlots(
  since: Date,
  clock: Pick<Clock, "now">,
  options: PlanOptions,
): { due: Slot[]; missed: Slot[] } {
  const now = clock.now();
  const slots = slotsBetween(since, new Date(now.getTime() + 1), options);
  return {
    due: slots.filter((slot) => now.getTime() < slot.validUntil.getTime()),
    missed: slots.filter((slot) => now.getTime() >= slot.validUntil.getTime()),
  };
}

/** True while the slot may still run at the clock's instant. */
export function isWithinWindow(slot: Slot, clock: Pick<Clock, "now">): boolean {
  const now = clock.now().getTime();
  return now >= slot.at.getTime() && now < slot.validUntil.getTime();
}
