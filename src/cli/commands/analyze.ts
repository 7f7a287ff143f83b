import type { Command } from "commander";
import type { AnalyzeOptions } from "../analyze.ts";
import { COLLECTION_TYPES } from "../../core/collection.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("analyze")
      .description(
        [
          "Chain analytics of one stored snapshot, per expiry:",
          "- the forward and rate put-call parity implies (a robust fit over the 20 strikes",
          "  nearest the money, with the rate's standard error);",
          "- box-spread rates per strike width, at mid and at the touch (lend / borrow);",
          "- parity breaches: conversions/reversals that beat the bid/ask (American options",
          "  only outside the early-exercise band).",
          "Reads expiry_analytics, which each collection fills; a snapshot without stored",
          "analytics is computed on the fly (nothing is written). Rates are continuously",
          "compounded, annual (ACT/365). Formulas: docs/analytics.md.",
          "Exit 2 for an unknown symbol or a snapshot with no quotes.",
          "Example: chainvault analyze --symbol SPY --date 2026-03-09 --json",
        ].join("\n"),
      )
      .requiredOption("--symbol <ticker>", "the underlying, e.g. SPY")
      .requiredOption("--date <YYYY-MM-DD>", "New York trading date of the collection")
      .option("--type <type>", `collection type: ${COLLECTION_TYPES.join(" | ")}`, "eod")
      .option(
        "--json",
        "print {symbol, collection_date, collection_type, source, expiries:[…]} with the columns of expiry_analytics",
      ),
  ).action(async (options: AnalyzeOptions) => (await import("../analyze.ts")).analyzeAction(options));
}
