import { defaultCollectionDate } from "../collect/run.ts";
import { UsageError } from "../core/errors.ts";
import { summarizeQualityIssues } from "../store/repositories/quality-issues.ts";
import type { QualityIssueGroup } from "../store/repositories/quality-issues.ts";
import { parseDate, parseSymbols } from "./parse-flags.ts";
import { withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";
import { EXIT_FAILURES_FOUND, EXIT_OK } from "./exit-codes.ts";

export interface QualityOptions extends DatabaseOptions {
  date?: string;
  symbols?: string;
  examples: string;
  json?: boolean;
}

function parseExamples(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 0 || count > 1000)
    throw new UsageError(`--examples must be a whole number from 0 to 1000; got "${text}"`);
  return count;
}

function toJson(group: QualityIssueGroup): Record<string, unknown> {
  return {
    collection_date: group.collectionDate,
    symbol: group.symbol,
    collection_type: group.collectionType,
    rule: group.rule,
    severity: group.severity,
    count: group.count,
    affected: group.affected,
    run_id: group.runId,
    examples: group.examples,
  };
}

function formatGroups(date: string, groups: readonly QualityIssueGroup[]): string {
  if (groups.length === 0) return `no quality issues recorded for ${date}\n`;
  const header = ["symbol", "type", "rule", "severity", "count", "run", "example"];
  const cells = groups.map((group) => [
    group.symbol ?? "-",
    group.collectionType ?? "-",
    group.rule,
    group.severity,
    String(group.count),
    group.runId ?? "-",
    group.examples[0] ?? "",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [`quality issues on ${date}`, line(header), ...cells.map(line)].join("\n") + "\n";
}

function totals(groups: readonly QualityIssueGroup[]): Record<"error" | "warning" | "info", number> {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const group of groups) counts[group.severity] += group.count;
  return counts;
}

export async function qualityAction(options: QualityOptions): Promise<void> {
  const date = options.date === undefined ? defaultCollectionDate(new Date()) : parseDate(options.date);
  const symbols = options.symbols === undefined ? undefined : parseSymbols(options.symbols);
  const examples = parseExamples(options.examples);
  const groups = await withDatabase(
    options,
    ({ db }) =>
      summarizeQualityIssues(db, { from: date, to: date, examples, ...(symbols ? { symbols } : {}) }),
    { migrate: true },
  );
  const counts = totals(groups);
  if (options.json) {
    const report = { date, symbols: symbols ?? null, totals: counts, issues: groups.map(toJson) };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(formatGroups(date, groups));
    if (groups.length > 0)
      process.stdout.write(
        `${counts.error} errors, ${counts.warning} warnings, ${counts.info} info` +
          (counts.error > 0
            ? "; before the next session opens, `chainvault collect --force --symbols SYMBOL` takes a collection " +
              "again and re-checks it (`--json` for every example)\n"
            : "\n"),
      );
  }
  process.exitCode = counts.error > 0 ? EXIT_FAILURES_FOUND : EXIT_OK;
}
