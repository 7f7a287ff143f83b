import type { Command } from "commander";
import type { WorkerOptions } from "../worker.ts";
import { addDatabaseOptions, addGatewayOption } from "../options.ts";

export function register(program: Command): void {
  addGatewayOption(
    addDatabaseOptions(
      program
        .command("worker")
        .description(
          "Take parts of split collections (config collect.split, or `collect --split`) from the job queue and collect\n" +
            "them with one gateway (--gateway NAME of the `gateways` list, default the first), until SIGTERM/SIGINT.\n" +
            "Run one per gateway, on any machine that reaches the PostgreSQL server (DATABASE_URL / database.url; the\n" +
            "embedded database serves one process only). Each part's contracts not yet stored are snapshotted and\n" +
            "stored, so a part taken twice stores nothing twice. While the gateway refuses connections the worker takes\n" +
            "no part and reports gateway_unreachable naming it (an alert); a part in flight when the gateway is lost or\n" +
            "the worker is stopped goes back to the queue and resumes elsewhere. A killed worker's part is taken again\n" +
            "after daemon.heartbeat_seconds. See README, Running a fleet.",
        )
        .option(
          "--http",
          "serve /healthz, /readyz (database, queue, this gateway) and /metrics on http.host:http.port, as the daemon does\n" +
            "(for Kubernetes probes; the same token rule: off loopback it needs http.token / http.token_env)",
        )
        .option("--verbose", "log every step (debug level)")
        .option(
          "--json",
          "print one JSON line per part on stdout: {part, status, stored, requested, collection}",
        ),
    ),
  ).action(async (options: WorkerOptions) => (await import("../worker.ts")).workerAction(options));
}
