import type { Command } from "commander";
import type { SimCommandOptions } from "../sim.ts";

export function register(program: Command): void {
  program
    .command("sim")
    .summary("Run the simulated IB gateway (TWS API) with a synthetic option market")
    .description(
      "Run a simulated IB Gateway that speaks the TWS socket protocol (server version 193), so chainvault, or any " +
        "@stoqey/ib client, can connect to it as to a real gateway. It serves SPY, PLTR and TSLA option chains and the " +
        "VIX index from a deterministic synthetic market (the same --seed, --date and --time give the same answers), " +
        "enforces IB's limits (50 messages/s → error 100, 100 market-data lines → 101, historical pacing → 162) and " +
        "can inject faults from a file. The simulated New York clock starts at --date/--time and then runs in real time. " +
        "Stop it with Ctrl-C (SIGINT) or SIGTERM.",
    )
    .option("--port <port>", "TCP port to listen on (0 = any free port)", "7497")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--seed <n>", "seed of the synthetic market", "1")
    .option("--date <YYYY-MM-DD>", "simulated New York date at start (default: today in New York)")
    .option("--time <HH:MM>", "simulated New York time at start (default: now in New York)")
    .option("--rate <n>", 'client messages per second before error 100 ("inf" lifts it)', "50")
    .option("--lines <n>", 'concurrent market-data lines before error 101 ("inf" lifts it)', "100")
    .option("--snapshot-latency <ms>", "time to answer a market-data snapshot", "50")
    .option("--faults <file>", "YAML/JSON file of faults to inject (see docs/simulator.md)")
    .option("--log-level <level>", "log level on stderr; debug logs every request", "info")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  chainvault sim                                   # port 7497, now, IB's limits\n" +
        "  chainvault sim --date 2026-01-14 --time 16:45 --seed 3\n" +
        "  chainvault sim --rate inf --lines inf --log-level debug\n" +
        "  chainvault sim --faults faults.yaml              # e.g. unsubscribed_symbols: [PLTR]",
    )
    .action(async (options: SimCommandOptions) => (await import("../sim.ts")).simAction(options));
}
