import { UsageError } from "../core/errors.ts";
import type { DatabaseOptions } from "./options.ts";
import { symbolNames } from "../config/symbols.ts";

export interface DashboardCommandOptions extends DatabaseOptions {
  port: string;
  host: string;
}

/** `chainvault dashboard`: serves until SIGTERM or SIGINT. */
export async function dashboardAction(options: DashboardCommandOptions): Promise<void> {
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
      plan: { symbols: symbolNames(config.symbols), schedule: config.schedule },
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
