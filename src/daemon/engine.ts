import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PGliteLike } from "pg-boss";
import type { Database } from "../store/database.ts";
import { lockDataDir } from "../store/data-dir-lock.ts";
import { openDatabase } from "../store/open.ts";
import { wrapPglite } from "../store/pglite.ts";
import type { PgliteLike } from "../store/pglite.ts";
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
 * instance is created here, where the raw handle is still in reach, and wrapped as a Database
 * the same way `openDatabase` does.
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
  if (options.dataDir.startsWith("memory://")) {
    const pg = await PGlite.create(options.dataDir);
    return {
      db: await wrapPglite(pg as unknown as PgliteLike),
      queue: { pglite: pg as unknown as PGliteLike },
    };
  }
  const dataDir = path.resolve(options.dataDir);
  const release = await lockDataDir(dataDir);
  try {
    const pg = await PGlite.create(dataDir);
    const db = await wrapPglite(pg as unknown as PgliteLike, { onClose: release });
    return { db, queue: { pglite: pg as unknown as PGliteLike } };
  } catch (error) {
    release();
    throw error;
  }
}
