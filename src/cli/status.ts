import { symbolNames } from "../config/symbols.ts";
import { UsageError } from "../core/errors.ts";
import { defaultStatusRange, rangeEndingAt, statusReport } from "../status/report.ts";
import type { StatusReport, StatusSlot } from "../status/report.ts";
import { parseDate, parseSymbols } from "./parse-flags.ts";
import { withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { EXIT_FAILURES_FOUND } from "./exit-codes.ts";

export interface StatusCommandOptions extends DatabaseOptions {
  from?: string;
  to?: string;
  date?: string;
  symbols?: string;
  json?: boolean;
}

/** The longest error shown in the table; --json has it whole. */
const ERROR_WIDTH = 70;

export async function statusAction(options: StatusCommandOptions): Promise<void> {
  const range = parseRange(options);
  const symbols = options.symbols === undefined ? undefined : parseSymbols(options.symbols);
  await withDatabase(
    options,
    async ({ db, config }) => {
      const report = await statusReport(db, {
        ...range,
        ...(symbols ? { symbols } : {}),
        plan: { symbols: symbolNames(config.symbols), schedule: config.schedule },
        now: new Date(),
      });
      process.stdout.write(options.json ? `${JSON.stringify(reportJson(report))}\n` : formatReport(report));
      if (report.failed) process.exitCode = EXIT_FAILURES_FOUND;
    },
    { migrate: true, readOnly: true },
  );
}

function parseRange(options: StatusCommandOptions): { from: string; to: string } {
  if (options.date !== undefined) {
    if (options.from !== undefined || options.to !== undefined)
      throw new UsageError(
        "--date is one day (--from D --to D): give either --date or --from/--to, not both",
      );
    const date = parseDate(options.date);
    return { from: date, to: date };
  }
  const to = options.to === undefined ? defaultStatusRange(new Date()).to : parseDate(options.to, "--to");
  const from = options.from === undefined ? rangeEndingAt(to).from : parseDate(options.from, "--from");
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}; give the earlier date first`);
  return { from, to };
}

/** The documented `status --json` object. */
export function reportJson(report: StatusReport): object {
  return {
    from: report.from,
    to: report.to,
    installed_at: report.installedAt?.toISOString() ?? null,
    counts: report.counts,
    failed: report.failed,
    slots: report.slots.map((slot) => ({
      date: slot.date,
      symbol: slot.symbol,
      type: slot.type,
      manual: slot.manual,
      planned_at: slot.plannedAt?.toISOString() ?? null,
      valid_until: slot.validUntil?.toISOString() ?? null,
      outcome: slot.outcome,
      run_id: slot.runId,
      listed: slot.listed,
      selected: slot.selected,
      stored: slot.stored,
      coverage: slot.coverage,
      quality_score: slot.qualityScore,
      started_at: slot.startedAt?.toISOString() ?? null,
      finished_at: slot.finishedAt?.toISOString() ?? null,
      duration_s: slot.durationSeconds,
      error: slot.error,
      note: slot.note,
      parts: slot.parts,
    })),
  };
}

function oneLine(text: string | null, width: number): string {
  if (text === null) return "";
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

const dash = (value: number | null, show: (value: number) => string = String): string =>
  value === null ? "-" : show(value);

function cells(slot: StatusSlot): string[] {
  return [
    slot.date,
    slot.symbol,
    slot.type,
    slot.manual ? `${slot.outcome} (manual)` : slot.outcome,
    dash(slot.listed),
    dash(slot.selected),
    dash(slot.stored),
    dash(slot.coverage, (value) => `${(value * 100).toFixed(1)}%`),
    dash(slot.qualityScore, (value) => value.toFixed(3)),
    dash(slot.durationSeconds, (value) => `${value.toFixed(1)}s`),
    oneLine(
      [slot.parts, slot.error ?? slot.note].filter((text) => text !== null).join("; ") || null,
      ERROR_WIDTH,
    ),
  ];
}

export function formatReport(report: StatusReport): string {
  const title =
    `slots ${report.from} .. ${report.to}` + (report.from === report.to ? ` (${report.from})` : "");
  if (report.slots.length === 0)
    return `${title}: nothing planned or recorded (no trading day, or no symbols configured)\n`;
  const header = [
    "date",
    "symbol",
    "type",
    "outcome",
    "listed",
    "selected",
    "stored",
    "coverage",
    "quality",
    "duration",
    "error / note",
  ];
  const rows = report.slots.map(cells);
  const widths = header.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  const counted = Object.entries(report.counts)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(", ");
  const footer = [`${report.slots.length} slots: ${counted}`];
  if (report.counts.skipped > 0) {
    footer.push(
      report.installedAt
        ? `skipped: their window closed before chainvault first started on this database (${report.installedAt.toISOString()})`
        : "skipped: chainvault has not run a collection or the daemon on this database yet",
    );
  }
  if (report.failed) {
    footer.push(
      "failed, dead_lettered or missed slots lost data: collect one again while IB still lists its contracts with\n" +
        "`chainvault collect --date DATE --symbols SYMBOL --type TYPE` (see `--json` for the whole error)",
    );
  }
  return [title, line(header), ...rows.map(line), "", ...footer].join("\n") + "\n";
}
