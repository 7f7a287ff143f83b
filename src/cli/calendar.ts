import { earlyClosesOf, holidaysOf, toEt } from "../calendar/index.ts";
import { UsageError } from "../core/errors.ts";

/** The range the calendar rules are written and tested for. */
const FIRST_YEAR = 1990;
const LAST_YEAR = 2100;

export interface CalendarReport {
  year: number;
  holidays: string[];
  early_closes: Array<{ date: string; close_et: string }>;
}

export function calendarReport(year: number): CalendarReport {
  return {
    year,
    holidays: holidaysOf(year).map((h) => h.date),
    early_closes: earlyClosesOf(year).map((e) => ({ date: e.date, close_et: e.closeEt })),
  };
}

function parseYear(text: string | undefined): number {
  if (text === undefined) return Number(toEt(new Date()).date.slice(0, 4));
  if (!/^\d{4}$/.test(text) || Number(text) < FIRST_YEAR || Number(text) > LAST_YEAR) {
    throw new UsageError(`--year ${text}: give a year from ${FIRST_YEAR} to ${LAST_YEAR}, e.g. --year 2026`);
  }
  return Number(text);
}

function weekdayName(date: string): string {
  return new Date(`${date}T12:00:00Z`).toLocaleDateString("en-US", { weekday: "short", timeZone: "UTC" });
}

export function calendarAction(options: { year?: string; json?: boolean }): void {
  const year = parseYear(options.year);
  const report = calendarReport(year);
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return;
  }
  const lines = [`NYSE ${year}: closed`];
  for (const holiday of holidaysOf(year)) {
    lines.push(`  ${holiday.date}  ${weekdayName(holiday.date)}  ${holiday.name}`);
  }
  lines.push(
    "Early closes (equities and equity options; SPY/QQQ/IWM/DIA and index options 15 minutes later):",
  );
  if (report.early_closes.length === 0) lines.push("  none");
  for (const early of report.early_closes) {
    lines.push(`  ${early.date}  ${weekdayName(early.date)}  close ${early.close_et} ET`);
  }
  process.stdout.write(lines.join("\n") + "\n");
}
