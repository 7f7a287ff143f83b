import type { Command } from "commander";
import type { ExportOptions } from "../export.ts";
import { addDatabaseOptions } from "../options.ts";

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
          "be written. Guide: docs/backtesting.md.",
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
  ).action(async (options: ExportOptions) => (await import("../export.ts")).exportAction(options));
}
