import type { Command } from "commander";
import type { QualityOptions } from "../quality.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("quality")
      .description(
        "Show the data-quality issues the checks after each collection found (data_quality_issues), per symbol,\n" +
          "collection type and rule: severity, how many, the run that found them (run_id) and examples.\n" +
          "Exit code: 0 when no issue is at severity error, 3 when any is (for cron and monitoring).\n" +
          "Rules, severities and thresholds: the `quality:` block of chainvault.yaml (see the README).",
      )
      .option("--date <YYYY-MM-DD>", "New York date (default: the last trading day in New York)")
      .option("--symbols <list>", "comma-separated underlyings (default: all)")
      .option("--examples <n>", "example messages per rule", "3")
      .option("--json", "print one JSON object: { date, symbols, totals, issues: [...] }"),
  ).action(async (options: QualityOptions) => (await import("../quality.ts")).qualityAction(options));
}
