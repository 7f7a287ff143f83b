import type { Command } from "commander";
import type { DatabaseOptions } from "../options.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("demo")
      .description(
        "See chainvault work without a gateway: starts the built-in simulated IB Gateway in-process (IB's rate and\n" +
          "line limits lifted), collects the SPY, SPX (SPX and SPXW), PLTR and TSLA end-of-day chains of the last trading day into the\n" +
          "embedded database (--data-dir, default ./data), then prints the summary and a few stored rows.\n" +
          "Inspect the result afterwards with `chainvault status --date D` or `chainvault db info`.",
      )
      .option("--json", "print only the collection summary object"),
  ).action(async (options: DatabaseOptions & { json?: boolean }) =>
    (await import("../demo.ts")).demoAction(options),
  );
}
