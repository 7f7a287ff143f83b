import type { Command } from "commander";
import type { CollectOptions } from "../collect.ts";
import { COLLECTION_TYPES } from "../../core/collection.ts";
import { addDatabaseOptions, addGatewayOption } from "../options.ts";

export function register(program: Command): void {
  addGatewayOption(
    addDatabaseOptions(
      program
        .command("collect")
        .description(
          "Collect option chains from TWS / IB Gateway (ib.host:ib.port) into the database, as fast as IB's pacing allows.\n" +
            "Per symbol: discover the chain, select strikes (config `selection`), take one streaming snapshot per contract\n" +
            "(quotes, sizes, volume, open interest, IB's greeks), fill missing greeks from Black-Scholes, and store the rows\n" +
            "while the run proceeds. A completed (date, symbol, type) is skipped unless --force; an interrupted one resumes.\n" +
            "One run per (date, symbol, type): a key another live run holds is left alone and reported busy.\n" +
            "Exit status 1 when any symbol failed, else 75 when any was busy (try again later). SIGTERM/SIGINT: no further\n" +
            'contract is requested, what arrived is written, cut-short symbols are recorded partial ("interrupted by\n' +
            'SIGTERM") and the next run resumes them; exit status 143 (SIGTERM) / 130 (SIGINT), at the latest after\n' +
            "collect.shutdown_grace_seconds. Try it without a gateway: `chainvault demo`.",
        )
        .option(
          "--symbols <list>",
          "comma-separated underlyings (default: config `symbols`, i.e. SPY,PLTR,TSLA)",
        )
        .option("--type <type>", `collection type: ${COLLECTION_TYPES.join(" | ")}`, "eod")
        .option(
          "--date <YYYY-MM-DD>",
          "New York trading date the rows belong to (default: the gateway's today); refused (exit 2) unless the gateway's clock serves it: from its midnight to the next session's open",
        )
        .option(
          "--force",
          "re-run a completed collection: the new snapshot is stored beside the old one, which is deleted when the new one is recorded",
        )
        .option(
          "--split",
          "split the collection into parts (config collect.part_seconds each) that `chainvault worker` processes take\n" +
            "from the queue, one gateway each; wait for them and print the summary (needs a PostgreSQL server).\n" +
            "Also on with config collect.split. Exit status 0 only when every part completed",
        )
        .option("--verbose", "log every step (debug level)")
        .option(
          "--json",
          "print only the summary object on stdout: {run_id, symbols:[…], duration_s, pacing_lower_bound_s}",
        ),
    ),
  ).action(async (options: CollectOptions) => (await import("../collect.ts")).collectAction(options));
}
