import type { PGliteLike } from "pg-boss";
import type { Database } from "../store/database.ts";
import { openDatabase, openEmbedded } from "../store/open.ts";
import type { Logger } from "../logger.ts";
import type { QueueConnection } from "./queue.ts";

export interface DaemonDatabase {
  db: Database;
  /** How the job queue reaches the same database. */
  queue: QueueConnection;
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
  return { db, queue: { pglite: pglite as unknown as PGliteLike } };
}
