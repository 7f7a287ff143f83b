import type { PGlite } from "@electric-sql/pglite";
import type { PGliteLike } from "pg-boss";
import type { Database } from "../store/database.ts";
import { openDatabase, openEmbedded } from "../store/open.ts";
import type { Logger } from "../logger.ts";
import { DatabaseOutage, pingDatabase } from "../store/outage.ts";
import type { QueueConnection } from "./queue.ts";

export interface DaemonDatabase {
  db: Database;
  /** How the job queue reaches the same database. */
  queue: QueueConnection;
  /** The embedded engine's instance (to serve it to readers); undefined on a server. */
  pglite?: PGlite;
}

/**
 * Opens chainvault's database together with the handle pg-boss needs for the same data.
 * On a server both simply use the URL. PGlite is one in-process instance with one session, so
 * pg-boss must run on that very instance (through `fromPglite`) rather than open its own; the
 * instance comes from `openEmbedded`, which hands out the raw handle next to the Database.
 */
export async function openDaemonDatabase(options: {
  url?: string;
  dataDir: string;
  logger?: Logger;
  poolSize?: number;
}): Promise<DaemonDatabase> {
  if (options.url !== undefined) {
    const db = await openDatabase({
      url: options.url,
      dataDir: options.dataDir,
      logger: options.logger,
      poolSize: options.poolSize,
    });
    return { db, queue: { url: options.url } };
  }
  const { db, pglite } = await openEmbedded(options.dataDir, options.logger);
  return { db, queue: { pglite: pglite as unknown as PGliteLike }, pglite };
}

/** collect.max_db_outage_seconds' default, for a daemon started without a configuration (tests). */
export const DEFAULT_MAX_OUTAGE_MS = 300_000;

/**
 * The daemon's record of database outages: every part of the daemon (queue, scheduler, handlers,
 * collector) reports connection failures to it, and it probes the database in the background while
 * it is away, so each outage is one warning when it begins and one line when the database is back.
 */
export function watchOutages(db: Database, logger: Logger, maxOutageMs: number): DatabaseOutage {
  return new DatabaseOutage({ logger, maxOutageMs, probe: () => pingDatabase(db) });
}
