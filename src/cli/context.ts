import type { DatabaseOptions } from "./options.ts";
import { loadConfig } from "../config/load.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { Database } from "../store/database.ts";
import { DataDirLockedError } from "../store/data-dir-lock.ts";
import { migrate } from "../store/migrate.ts";
import { openDatabase, openForReading } from "../store/open.ts";
import type { ServeRecord } from "../store/serve/serve-record.ts";
import type { OpenDatabaseOptions } from "../store/open.ts";
import { createLogger } from "../logger.ts";
import type { Logger } from "../logger.ts";
import { CommandFailure, ResourceBusy, UsageError, errorMessage } from "../core/errors.ts";

export type { ConfigOptions, DatabaseOptions } from "./options.ts";

/** Config file → environment → command-line flags, validated. */
export function loadCommandConfig(options: DatabaseOptions): LoadedConfig {
  if (options.config !== undefined && options.config.trim() === "") {
    throw new UsageError("--config needs a file name, e.g. --config ./chainvault.yaml");
  }
  // An empty directory would resolve to the current one and put a database cluster there.
  if (options.dataDir !== undefined && options.dataDir.trim() === "") {
    throw new UsageError("--data-dir needs a directory, e.g. --data-dir ./data");
  }
  const loaded = loadConfig({ file: options.config });
  if (options.dataDir !== undefined) {
    loaded.config = { ...loaded.config, database: { ...loaded.config.database, data_dir: options.dataDir } };
  }
  return loaded;
}

export interface CommandContext {
  config: Config;
  configFile: string | null;
  db: Database;
  logger: Logger;
  /** Set when the embedded data directory is in use and the command reads through its holder's server. */
  servedBy: ServeRecord | null;
}

interface ContextSettings {
  migrate?: boolean;
  logger?: Logger;
  /**
   * The command only reads: an embedded data directory in use by a process that serves it (the daemon,
   * `db serve`) is read through that server. No migration then: the server migrated when it started.
   */
  readOnly?: boolean;
}

/**
 * Opens the database the configuration names through `open` (openDatabase, or an opener that also
 * hands out engine handles, like the daemon's). Failures become one-line CommandFailures (exit 1; a data directory in use by another process: exit 75).
 */
export async function openConfiguredDatabase<T = Database>(
  config: Config,
  logger: Logger,
  open: (options: OpenDatabaseOptions) => Promise<T> = openDatabase as (
    options: OpenDatabaseOptions,
  ) => Promise<T>,
): Promise<T> {
  try {
    return await open({
      url: config.database.url,
      dataDir: config.database.data_dir,
      poolSize: config.database.pool_size,
      logger,
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new ResourceBusy(error.message);
    throw new CommandFailure(`cannot open the database: ${errorMessage(error)}`);
  }
}

/**
 * Loads the configuration and opens the database the options point at; with `migrate` the schema
 * is brought up to date first. Failures to open become one-line CommandFailures (exit 1).
 */
export async function openCommandContext(
  options: DatabaseOptions,
  settings: ContextSettings = {},
): Promise<CommandContext> {
  const { config, file } = loadCommandConfig(options);
  const logger = settings.logger ?? createLogger({ level: config.log.level });
  const { db, servedBy } = settings.readOnly
    ? await openConfiguredDatabase(config, logger, openForReading)
    : { db: await openConfiguredDatabase(config, logger), servedBy: null };
  if (settings.migrate && servedBy === null) {
    try {
      await migrate(db, { logger });
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return { config, configFile: file, db, logger, servedBy };
}

/** Runs `work` with an open database and always closes it. */
export async function withDatabase<T>(
  options: DatabaseOptions,
  work: (context: CommandContext) => Promise<T>,
  settings: ContextSettings = {},
): Promise<T> {
  const context = await openCommandContext(options, settings);
  try {
    return await work(context);
  } finally {
    await context.db.close();
  }
}
