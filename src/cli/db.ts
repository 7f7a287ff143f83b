import path from "node:path";
import { DEFAULT_SERVE_PORT } from "./commands/db.ts";
import type { Config } from "../config/schema.ts";
import { CommandFailure, ResourceBusy, UsageError, errorMessage } from "../core/errors.ts";
import { createLogger } from "../logger.ts";
import { redactUrl } from "../logger.ts";
import { databaseInfo } from "../store/info.ts";
import type { DatabaseInfo } from "../store/info.ts";
import { migrate } from "../store/migrate.ts";
import { openEmbedded } from "../store/open.ts";
import { serveEmbedded } from "../store/serve/serve-embedded.ts";
import type { ServedDatabase } from "../store/serve/serve-embedded.ts";
import { readServeRecord, servedUrl } from "../store/serve/serve-record.ts";
import type { ServeRecord } from "../store/serve/serve-record.ts";
import { EMBEDDED_DATABASE } from "../store/serve/wire-server.ts";
import { loadCommandConfig, openConfiguredDatabase, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

/** The port `db serve` and the daemon use unless told otherwise. */

/** How a client connects to this database: a server's URL (password hidden), or the embedded one served. */
export interface ConnectionInfo {
  url: string;
  /** The process serving the embedded database, when the command read through it. */
  served_by_pid: number | null;
  /** Whether `chainvault db serve` (or the daemon) must run for the URL to answer. */
  needs_db_serve: boolean;
}

export function connectionInfo(config: Config, servedBy: ServeRecord | null): ConnectionInfo {
  if (config.database.url !== undefined)
    return { url: redactUrl(config.database.url), served_by_pid: null, needs_db_serve: false };
  if (servedBy !== null)
    return { url: servedUrl(servedBy), served_by_pid: servedBy.pid, needs_db_serve: false };
  const port = config.database.serve_port || DEFAULT_SERVE_PORT;
  return {
    url: servedUrl({ address: "127.0.0.1", port, database: EMBEDDED_DATABASE }),
    served_by_pid: null,
    needs_db_serve: true,
  };
}

function connectionLine(connection: ConnectionInfo): string {
  if (connection.served_by_pid !== null)
    return `${connection.url} (served read-only by process ${connection.served_by_pid})`;
  if (connection.needs_db_serve)
    return `${connection.url} (read-only, while \`chainvault db serve\` or the daemon runs)`;
  return connection.url;
}

function retentionLine(info: DatabaseInfo, keepDays: number): string {
  const { archive } = info;
  const dropped =
    archive.dropped > 0
      ? `dropped ${archive.droppedRows.toLocaleString("en-US")} raw rows of ${archive.droppedFrom}..${archive.droppedTo} (archived, verified)`
      : "nothing dropped";
  return (
    `retention:   keep ${keepDays} days, older months only where a verified archive exists; ${dropped}; ` +
    `archive: ${archive.archived} month-tables, ${archive.verified} verified`
  );
}

function formatInfo(info: DatabaseInfo, connection: ConnectionInfo, keepDays: number): string {
  const mode =
    info.timescaledb === null ? "plain PostgreSQL (no hypertables)" : `TimescaleDB ${info.timescaledb}`;
  const width = Math.max(...Object.keys(info.tables).map((name) => name.length), 5);
  const lines = [
    `engine:      ${info.engine}`,
    `connect:     ${connectionLine(connection)}`,
    `mode:        ${mode}`,
    `migration:   ${info.migration}${info.migration === 0 ? " (run `chainvault db migrate`)" : ""}`,
    `hypertables: ${info.hypertables.length > 0 ? info.hypertables.join(", ") : "none"}`,
    retentionLine(info, keepDays),
    "tables:",
    ...Object.entries(info.tables).map(
      ([name, rows]) => `  ${name.padEnd(width)}  ${rows.toLocaleString("en-US")} rows`,
    ),
  ];
  return lines.join("\n") + "\n";
}

export async function dbMigrateAction(options: DatabaseOptions): Promise<void> {
  await withDatabase(options, async ({ db }) => {
    const result = await migrate(db);
    const mode = db.timescale ? "TimescaleDB" : "plain";
    const what = result.applied.length > 0 ? `applied ${result.applied.join(", ")}` : "already up to date";
    const skipped =
      result.skipped.length > 0 ? `; skipped ${result.skipped.join(", ")} (they need TimescaleDB)` : "";
    process.stdout.write(
      `${db.engine} (${mode}): ${what}${skipped}; schema at migration ${result.current}\n`,
    );
  });
}

export async function dbInfoAction(options: DatabaseOptions & { json?: boolean }): Promise<void> {
  await withDatabase(
    options,
    async ({ db, config, servedBy }) => {
      const info = await databaseInfo(db);
      const connection = connectionInfo(config, servedBy);
      process.stdout.write(
        options.json
          ? JSON.stringify({ ...info, retention: { keep_days: config.retention.keep_days }, connection }) +
              "\n"
          : formatInfo(info, connection, config.retention.keep_days),
      );
    },
    { readOnly: true },
  );
}

export async function dbServeAction(options: DbServeOptions): Promise<void> {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (onSignal = resolve));
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    await runDbServe(options, stopRequested);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

export interface DbServeOptions extends DatabaseOptions {
  port?: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new UsageError(`--port must be a TCP port number from 0 to 65535 (got ${JSON.stringify(text)})`);
  }
  return port;
}

/**
 * `chainvault db serve` until `stopRequested` resolves: opens the embedded database (taking its lock),
 * brings the schema up to date and serves it. Exported for tests, which run it in their own process.
 */
export async function runDbServe(
  options: DbServeOptions,
  stopRequested: Promise<NodeJS.Signals>,
  onServing?: (served: ServedDatabase) => void,
): Promise<void> {
  const port = options.port === undefined ? undefined : parsePort(options.port);
  const { config } = loadCommandConfig(options);
  if (config.database.url !== undefined) {
    throw new UsageError(
      `db serve serves the embedded database, but DATABASE_URL (database.url) names a server: ` +
        `connect to ${redactUrl(config.database.url)} directly (psql, DBeaver, pandas and DuckDB all can)`,
    );
  }
  const logger = createLogger({ level: config.log.level });
  const dataDir = config.database.data_dir;
  const serving = readServeRecord(path.resolve(dataDir));
  if (serving !== null) {
    throw new ResourceBusy(
      `${path.resolve(dataDir)} is already served by process ${serving.pid} (the daemon, or another db serve) ` +
        `at ${servedUrl(serving)}: connect there`,
    );
  }
  const { db, pglite } = await openConfiguredDatabase(config, logger, (open) =>
    openEmbedded(open.dataDir, open.logger),
  );
  try {
    await migrate(db, { logger });
    const servePort = port ?? config.database.serve_port ?? DEFAULT_SERVE_PORT;
    let served: ServedDatabase;
    try {
      served = await serveEmbedded({
        pglite,
        db,
        dataDir,
        port: servePort,
        idleInTransactionSeconds: config.database.serve_idle_in_transaction_seconds,
        logger,
      });
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      throw new CommandFailure(
        inUse
          ? `127.0.0.1:${servePort} is in use by another program (a PostgreSQL server?): pick another with --port or database.serve_port`
          : `cannot serve on 127.0.0.1:${servePort}: ${errorMessage(error)}`,
      );
    }
    process.stdout.write(
      `serving ${path.resolve(dataDir)} read-only at ${served.url}\n` +
        `  psql ${served.url}\n` +
        "Ctrl-C stops.\n",
    );
    onServing?.(served);
    await stopRequested;
    await served.close();
  } finally {
    await db.close();
  }
}
