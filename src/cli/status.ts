import type { Command } from "commander";
import { toEt } from "../calendar/index.ts";
import { listCollections } from "../store/repositories/collection-status.ts";
import type { CollectionStatusRow } from "../store/repositories/collection-status.ts";
import { parseDate } from "./collect.ts";
import { addDatabaseOptions, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

function isoDate(value: unknown): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
}

function formatRows(date: string, rows: CollectionStatusRow[]): string {
  if (rows.length === 0) return `no collections recorded for ${date}\n`;
  const header = ["symbol", "type", "status", "records", "started (UTC)", "completed (UTC)", "error"];
  const time = (value: Date | null) => (value ? value.toISOString().slice(11, 19) : "-");
  const cells = rows.map((row) => [
    row.symbol,
    row.collectionType,
    row.status ?? "-",
    String(row.recordsCollected ?? "-"),
    time(row.startedAt),
    time(row.completedAt),
    row.errorMessage ?? "",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  return [`collections on ${date}`, line(header), ...cells.map(line)].join("\n") + "\n";
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("status")
      .description(
        "Show the collections recorded for a day (daily_collection_status): per symbol and type, whether it is\n" +
          "running, completed, partial or failed, how many quotes it stored and why it failed.",
      )
      .option("--date <YYYY-MM-DD>", "New York date (default: today in New York)")
      .option("--json", "print a JSON array of the status rows"),
  ).action(async (options: DatabaseOptions & { date?: string; json?: boolean }) => {
    const date = options.date === undefined ? toEt(new Date()).date : parseDate(options.date);
    await withDatabase(
      options,
      async ({ db }) => {
        const rows = await listCollections(db, date, date);
        if (options.json) {
          const out = rows.map((row) => ({
            collection_date: isoDate(row.collectionDate),
            symbol: row.symbol,
            collection_type: row.collectionType,
            status: row.status,
            records_collected: row.recordsCollected,
            started_at: row.startedAt,
            completed_at: row.completedAt,
            error_message: row.errorMessage,
          }));
          process.stdout.write(`${JSON.stringify(out)}\n`);
        } else {
          process.stdout.write(formatRows(date, rows));
        }
      },
      { migrate: true, readOnly: true },
    );
  });
}
