import type { Command } from "commander";
import { COLLECTION_TYPES } from "../core/collection.ts";
import { UsageError } from "../core/errors.ts";
import { addDatabaseOptions } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

interface ExportOptions extends DatabaseOptions {
  symbols: string;
  from: string;
  to: string;
  type: string;
  layout: string;
  format: string;
  out: string;
}

const TYPES = ["eod", "analytics", "all"] as const;
const LAYOUTS = ["quotes", "daily"] as const;
const FORMATS = ["csv", "parquet"] as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}; got "${value}"`);
  }
  return value as T;
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("export")
      .description(
        [
          "Export stored chains for backtests, from the views chain_quotes (--layout quotes: one row per",
          "contract per snapshot) or chain_daily (--layout daily: one row per contract per day, the 15:45",
          "and end-of-day snapshots side by side as in Cboe's EOD Summary). Columns: docs/schema.md.",
          "CSV: one file with a header (RFC 4180), OUT/chain_<layout>.csv, the file OUT when it ends",
          "in .csv, or standard output with --out -. Parquet (zstd): a Hive-partitioned tree",
          "OUT/symbol=SPY/date=2026-12-01/part.parquet that DuckDB, pandas and polars read as one dataset.",
          "Rows stream through a server-side cursor (memory stays flat); files appear only when the",
          "export succeeded. Reads through the daemon's server when it holds the embedded database.",
          "Exit 2 for an unknown symbol, --from after --to or a range with no data; 1 when OUT cannot",
          "be written.",
          "Example: chainvault export --symbols SPY,QQQ --from 2026-11-02 --to 2026-11-30 --format parquet --out ./chains",
        ].join("\n"),
      )
      .requiredOption("--symbols <list>", "underlyings, e.g. SPY,QQQ")
      .requiredOption("--from <YYYY-MM-DD>", "first New York trading date")
      .requiredOption("--to <YYYY-MM-DD>", "last New York trading date")
      .option(
        "--type <type>",
        "snapshots to export (--layout quotes): eod | analytics | all (every collection type)",
        "all",
      )
      .option("--layout <layout>", "quotes | daily", "quotes")
      .option("--format <format>", "csv | parquet", "csv")
      .requiredOption("--out <DIR|FILE.csv|->", "a directory, a .csv file, or - for standard output (CSV)"),
  ).action(async (options: ExportOptions) => {
    // Loaded here, not at the top: the Parquet writer (DuckDB) is large and only this command needs it.
    const [{ parseDate, parseSymbols }, { withDatabase }, { runExport, STDOUT }] = await Promise.all([
      import("./collect.ts"),
      import("./context.ts"),
      import("../export/run-export.ts"),
    ]);
    const symbols = parseSymbols(options.symbols);
    const from = parseDate(options.from, "--from");
    const to = parseDate(options.to, "--to");
    const type = oneOf("--type", options.type, TYPES);
    const layout = oneOf("--layout", options.layout, LAYOUTS);
    const format = oneOf("--format", options.format, FORMATS);
    if (layout === "daily" && type !== "all") {
      throw new UsageError(
        "--layout daily always pairs the analytics (15:45) and eod snapshots: leave out --type",
      );
    }
    if (options.out.trim() === "") throw new UsageError("--out needs a directory, a .csv file or -");
    const result = await withDatabase(
      options,
      ({ db }) =>
        runExport(db, {
          layout,
          format,
          symbols,
          from,
          to,
          types: type === "all" ? COLLECTION_TYPES : [type],
          out: options.out,
        }),
      { readOnly: true, migrate: true },
    );
    const where = options.out === STDOUT ? "standard output" : options.out;
    const files = format === "parquet" ? ` in ${result.partitions} files (one per symbol and day)` : "";
    // On stdout the data is the output: the summary goes to stderr.
    const report = options.out === STDOUT ? process.stderr : process.stdout;
    report.write(`exported ${result.rows} rows (${layout}, ${format}) to ${where}${files}\n`);
  });
}
