import type { Command } from "commander";
import type { DashboardCommandOptions } from "../dashboard.ts";
import { addDatabaseOptions } from "../options.ts";

/** The port `chainvault dashboard` listens on unless told: near 8080, not taken by anything chainvault talks to. */
const DEFAULT_DASHBOARD_PORT = 8787;

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("dashboard")
      .description(
        "Serve a read-only dashboard in the browser: a heat map of the last 90 trading days (symbol × collection " +
          "type, by outcome and coverage), today's plan in New York and local time, the next slots, recent failures, " +
          "dead letters and quality issues with their run_id, storage per table; and the chains: calls | strike | " +
          "puts per expiry, IV smile, term structure, implied forward and box rate. Everything is served from this " +
          "process (no CDN). Bound to 127.0.0.1; another --host needs a token (http.token or $CHAINVAULT_HTTP_TOKEN), " +
          "sent as `Authorization: Bearer` or by opening the page once as /?token=…. While the daemon holds the " +
          "embedded database this reads through its server; the daemon can serve the page itself (http.dashboard: true). " +
          "Runs until Ctrl-C.",
      )
      .option("--port <port>", `TCP port (0: any free port)`, String(DEFAULT_DASHBOARD_PORT))
      .option("--host <address>", "address to listen on; off loopback a token is required", "127.0.0.1"),
  ).action(async (options: DashboardCommandOptions) =>
    (await import("../dashboard.ts")).dashboardAction(options),
  );
}
