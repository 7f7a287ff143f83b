import type { Command } from "commander";
import type { DaemonCommandOptions } from "../daemon.ts";
import { EXIT_FAILURES_FOUND } from "../exit-codes.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("daemon")
      .description(
        "Run unattended: collect every slot of the plan (`chainvault schedule`) at its New York time, exactly once. " +
          "Slots go through a durable job queue in the database (pg-boss), so a restart, a second daemon on the same " +
          "database, or a retry never runs a slot twice. On start and after sleep, slots still inside their window run; " +
          "older ones are recorded as missed. SIGTERM/SIGINT stops the run in flight from taking further contracts, writes " +
          "what arrived, records it as interrupted and hands it back to the queue (it resumes after its retry delay), " +
          "then exits 0; exit 1 when it did not stop within daemon.shutdown_grace_seconds. " +
          `With --once: exit 0 when every slot it ran completed or was skipped, ${EXIT_FAILURES_FOUND} when one failed ` +
          "for good (retries exhausted, dead-lettered) or was missed. " +
          "While it runs it serves /healthz, /readyz and /metrics (Prometheus) on http.host:http.port, 127.0.0.1:9464 " +
          "by default; another address needs a bearer token (CHAINVAULT_HTTP_TOKEN). " +
          "Keep it alive with `chainvault service install`. " +
          "See docs/daemon.md.",
      )
      .option(
        "--once",
        `plan and run what is due now, wait for it to finish (retries included), then exit: 0 when all completed, ` +
          `${EXIT_FAILURES_FOUND} when a slot failed or was missed (for cron or a quick check)`,
      )
      .option("--json-logs", "log JSON lines (pino) on a terminal too (elsewhere they always are)")
      // Not --env-file: Node reads that flag even after the script's name (nodejs/node#54232).
      .option(
        "--environment-file <file>",
        "read NAME=value lines (DATABASE_URL=…, IB_HOST=…) into the environment first, literally: no $ expansion; " +
          "optional quotes and # comments (README: Env file format). Refused unless chmod 600; variables already " +
          "set win. The service files pass ~/.config/chainvault/env",
      ),
  ).action(async (options: DaemonCommandOptions) => (await import("../daemon.ts")).daemonAction(options));
}
