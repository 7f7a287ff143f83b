import type { Command } from "commander";
import type { StatusCommandOptions } from "../status.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("status")
      .description(
        "Show every planned slot of the schedule (date, symbol, type) with what it came to: completed, partial, " +
          "failed, dead_lettered (the daemon gave up after its retries), missed (not run in its window), running, " +
          "pending (not due yet, or due and waiting), skipped (its window closed before chainvault first started " +
          "on this database). Per slot: contracts listed / selected, quotes stored, coverage, quality score, duration and " +
          "the last error. Runs made by hand for keys the plan does not have are listed too, marked manual. " +
          "Exit status 0 when every planned slot is completed, partial, running, pending or skipped; 3 when any " +
          "failed, was dead-lettered or missed (for cron and monitoring: `chainvault status || notify`).",
      )
      .option("--from <YYYY-MM-DD>", "first New York date (default: 10 trading days before --to)")
      .option("--to <YYYY-MM-DD>", "last New York date (default: today in New York)")
      .option("--date <YYYY-MM-DD>", "one day: the same as --from D --to D")
      .option("--symbols <list>", "only these underlyings, e.g. SPY,PLTR (run-wide slots are left out)")
      .option(
        "--json",
        "print {from, to, installed_at, counts, failed, slots: [{date, symbol, type, manual, outcome, run_id, …}]}",
      ),
  ).action(async (options: StatusCommandOptions) => (await import("../status.ts")).statusAction(options));
}
