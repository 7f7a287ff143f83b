import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { addDatabaseOptions } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

// Only commander's types and small modules at the top: the server, the reads and the status report load in
// the action, so `chainvault --help` and every other command start without them.

export interface DashboardCommandOptions extends DatabaseOptions {
  port: string;
  host: string;
}

/** The port `chainvault dashboard` listens on unless told: near 8080, not taken by anything chainvault talks to. */
export const DEFAULT_DASHBOARD_PORT = 8787;

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
  ).action(async (options: DashboardCommandOptions) => {
    const port = parsePort(options.port);
    let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    try {
      await runDashboard({ ...options, port }, stopRequested);
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  });
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535)
    throw new UsageError(`--port must be a TCP port number from 0 to 65535 (got ${JSON.stringify(text)})`);
  return port;
}

/** `chainvault dashboard` until `stopRequested` resolves; `onServing` hears the URL (tests). */
export async function runDashboard(
  options: Omit<DashboardCommandOptions, "port"> & { port: number },
  stopRequested: Promise<NodeJS.Signals>,
  onServing?: (url: string) => void,
): Promise<void> {
  const [{ loadCommandConfig, openCommandContext }, access, { startDashboardServer }, { systemClock }] =
    await Promise.all([
      import("./context.ts"),
      import("../http/access.ts"),
      import("../dashboard/server.ts"),
      import("../core/clock.ts"),
    ]);
  const { config } = loadCommandConfig(options);
  const token = access.resolveHttpToken(config.http);
  // Before the database opens: a reachable address without a token is refused with nothing done.
  access.assertExposureAllowed(options.host, token, config.http.token_env);
  const context = await openCommandContext(options, { migrate: true, readOnly: true });
  try {
    const server = await startDashboardServer({
      host: options.host,
      port: options.port,
      ...(token !== undefined ? { token } : {}),
      tokenEnv: config.http.token_env,
      db: context.db,
      plan: { symbols: config.symbols, schedule: config.schedule },
      clock: systemClock,
      logger: context.logger,
    }).catch((error: unknown) => {
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      throw new UsageError(
        inUse
          ? `${options.host}:${options.port} is in use: pick another with --port`
          : `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      );
    });
    process.stdout.write(
      `dashboard at ${server.url}/` +
        (context.servedBy ? ` (reading through the daemon's server, pid ${context.servedBy.pid})` : "") +
        "\nCtrl-C stops.\n",
    );
    onServing?.(server.url);
    await stopRequested;
    await server.close();
  } finally {
    await context.db.close();
  }
}
