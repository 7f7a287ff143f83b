import { symbolNames } from "../config/symbols.ts";
import {
  addDays,
  etInstant,
  holidaysOf,
  inZone,
  toEt,
  type Holiday,
  type IsoDate,
} from "../calendar/index.ts";
import {
  LOCAL_TIME_TYPES,
  checkZone,
  machineZone,
  slotsBetween,
  zoneGapNote,
  type PlanOptions,
  type Slot,
} from "../schedule/index.ts";
import { loadCommandConfig, type ConfigOptions } from "./context.ts";
import { UsageError, errorMessage } from "../core/errors.ts";

/** One line of `chainvault schedule --json`. */
export interface ScheduleRow {
  type: string;
  symbol: string | null;
  /** The New York trading date the slot belongs to. */
  date: IsoDate;
  at_utc: string;
  at_et: string;
  /** "YYYY-MM-DDTHH:MM" in the display zone. */
  at_local: string;
  note: string | null;
}

/**
 * The slots belonging to the dates from .. from+days-1, in time order, shown in displayZone. ET-timed slots get a
 * note when New York and the display zone are not their usual distance apart (their clocks change on different
 * dates), since that is when a slot "moves" on the user's clock.
 */
export function scheduleRows(
  from: IsoDate,
  days: number,
  displayZone: string,
  plan: PlanOptions,
): ScheduleRow[] {
  const until = addDays(from, days);
  // Local-time slots can sit a day away from their New York date; widen the search and filter by date.
  const slots = slotsBetween(
    etInstant(addDays(from, -2), "00:00"),
    etInstant(addDays(until, 2), "00:00"),
    plan,
  );
  return slots
    .filter((slot) => slot.date >= from && slot.date < until)
    .map((slot) => toRow(slot, displayZone));
}

function toRow(slot: Slot, displayZone: string): ScheduleRow {
  const local = inZone(slot.at, displayZone);
  const zoneNote = LOCAL_TIME_TYPES.has(slot.type) ? null : zoneGapNote(slot.at, displayZone);
  const notes = [slot.note, zoneNote].filter((n): n is string => n !== null);
  return {
    type: slot.type,
    symbol: slot.symbol,
    date: slot.date,
    at_utc: slot.at.toISOString(),
    at_et: toEt(slot.at).time,
    at_local: `${local.date}T${local.time}`,
    note: notes.length > 0 ? notes.join("; ") : null,
  };
}

/** Rows that differ only by symbol become one line; weekday closures in the range get a line of their own. */
function textTable(rows: ScheduleRow[], closures: Holiday[]): string[] {
  const merged: Array<ScheduleRow & { symbols: string[] }> = [];
  for (const row of rows) {
    const last = merged.at(-1);
    if (
      last &&
      last.type === row.type &&
      last.at_utc === row.at_utc &&
      last.note === row.note &&
      row.symbol
    ) {
      last.symbols.push(row.symbol);
    } else {
      merged.push({ ...row, symbols: row.symbol ? [row.symbol] : [] });
    }
  }
  // A note shared by several lines (typically the daylight-saving one) is printed once, as a footnote.
  const counts = new Map<string, number>();
  for (const row of merged) if (row.note) counts.set(row.note, (counts.get(row.note) ?? 0) + 1);
  const footnotes = [...counts].filter(([, count]) => count > 1).map(([note]) => note);
  const noteCell = (note: string | null): string => {
    if (note === null) return "";
    const index = footnotes.indexOf(note);
    return index >= 0 ? `[${index + 1}]` : note;
  };
  const closed = closures.map((h) => ({ date: h.date, cells: [h.date, "-", "-", "closed", "-", h.name] }));
  const lineOf = (r: (typeof merged)[number]): string[][] => {
    const before = closed.filter((c) => c.date < r.date);
    closed.splice(0, before.length);
    return [
      ...before.flatMap((c) => [c.cells]),
      [
        r.date,
        r.at_et,
        r.at_local.replace("T", " "),
        r.type,
        r.symbols.length > 0 ? r.symbols.join(",") : "-",
        noteCell(r.note),
      ],
    ];
  };
  const table: string[][] = [
    ["DATE", "ET", "LOCAL", "TYPE", "SYMBOLS", "NOTE"],
    ...merged.flatMap((r) => lineOf(r)),
    ...closed.map((c) => c.cells),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  const lines = table.map((line) =>
    line
      .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd(),
  );
  if (footnotes.length > 0) lines.push("", ...footnotes.map((note, index) => `[${index + 1}] ${note}`));
  return lines;
}

function closuresBetween(from: IsoDate, days: number): Holiday[] {
  const until = addDays(from, days);
  const years = new Set([Number(from.slice(0, 4)), Number(until.slice(0, 4))]);
  return [...years].flatMap((year) => holidaysOf(year)).filter((h) => h.date >= from && h.date < until);
}

function parseFrom(text: string | undefined): IsoDate {
  if (text === undefined) return toEt(new Date()).date;
  try {
    etInstant(text, "00:00");
  } catch (error) {
    throw new UsageError(`--from: ${errorMessage(error)}`);
  }
  return text;
}

function parseDays(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 366) {
    throw new UsageError(`--days ${text}: give a whole number of days from 1 to 366, e.g. --days 7`);
  }
  return Number(text);
}

function parseZone(text: string, flag: string): string {
  try {
    return checkZone(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${errorMessage(error)}`);
  }
}

export interface ScheduleOptions extends ConfigOptions {
  from?: string;
  days: string;
  tz?: string;
  json?: boolean;
}

export function scheduleAction(options: ScheduleOptions): void {
  const from = parseFrom(options.from);
  const days = parseDays(options.days);
  const displayZone = parseZone(options.tz ?? machineZone(), "--tz");
  const { config } = loadCommandConfig(options);
  const planZone = parseZone(config.schedule.timezone ?? machineZone(), "schedule.timezone");
  const rows = scheduleRows(from, days, displayZone, {
    symbols: symbolNames(config.symbols),
    schedule: config.schedule,
    zone: planZone,
  });
  if (options.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    return;
  }
  const source = config.schedule.timezone ? "schedule.timezone" : "the machine's zone";
  const header = [
    `Collection plan for ${from} .. ${addDays(from, days - 1)}: ET is America/New_York, LOCAL is ${displayZone}.`,
    `gap_check, weekend_review and weekend_prep are set in ${planZone} (${source}).`,
    "",
  ];
  const closures = closuresBetween(from, days);
  const body =
    rows.length > 0 || closures.length > 0 ? textTable(rows, closures) : ["no slots on these dates"];
  process.stdout.write([...header, ...body].join("\n") + "\n");
}
