import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { Database } from "./database.ts";
import fs from "node:fs";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock.ts";
import { databaseIdentity } from "./info.ts";
import { readServeRecord, servedUrl } from "./serve/serve-record.ts";
import type { ServeRecord } from "./serve/serve-record.ts";
import { SERVE_RECORD_FILE } from "./serve/serve-record.ts";
import { restrictDataDir } from "./data-dir-permissions.ts";
import { walStartParams, wrapPglite } from "./pglite.ts";
import type { PgliteLike } from "./pglite.ts";
import { openPostgres } from "./postgres.ts";
import type { Logger } from "../logger.ts";

export interface OpenDatabaseOptions {
  /** postgres://… of a server; undefined selects the embedded PGlite engine. */
  url?: string;
  /** The embedded engine's directory; "memory://" keeps it in memory (tests). */
  dataDir: string;
  logger?: Logger;
  poolSize?: number;
}

/** PGlite when `url` is undefined, a `pg` Pool otherwise. Run `migrate(db)` before using the tables. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url !== undefined) {
    return openPostgres({ url: options.url, poolSize: options.poolSize, logger: options.logger });
  }
  return (await openEmbedded(options.dataDir, options.logger)).db;
}

/**
 * Opens the embedded engine and also returns the raw PGlite instance, for components that must
 * share that one in-process session (pg-boss's `fromPglite`). Takes the data-directory lock,
 * released when `db.close()` is called. Everything else should use `openDatabase`.
 */
export async function openEmbedded(
  dataDir: string,
  logger?: Logger,
): Promise<{ db: Database; pglite: PGlite }> {
  // Loaded on demand: a collector writing to a server should not carry the embedded engine's code.
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir.startsWith("memory://")) {
    const pglite = await PGlite.create(dataDir, { startParams: walStartParams(PGlite.defaultStartParams) });
    return { db: await wrapPglite(pglite as unknown as PgliteLike), pglite };
  }
  const absolute = path.resolve(dataDir);
  const release = await lockDataDir(absolute);
  try {
    const pglite = await PGlite.create(absolute, { startParams: walStartParams(PGlite.defaultStartParams) });
    // PGlite writes the cluster it unpacks world-readable; also tightens directories made by older versions.
    const loosened = restrictDataDir(absolute);
    logger?.debug({ dataDir: absolute, modesTightened: loosened }, "opened embedded database");
    const onClose = () => {
      try {
        restrictDataDir(absolute);
      } finally {
        release();
      }
    };
    return { db: await wrapPglite(pglite as unknown as PgliteLike, { onClose }), pglite };
  } catch (error) {
    release();
    throw error;
  }
}

/** Whether an embedded database has been created in `dataDir` (opening one that has not creates it). */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return dataDir.startsWith("memory://") || fs.existsSync(path.join(path.resolve(dataDir), "PG_VERSION"));
}

export interface ReadingDatabase {
  db: Database;
  /** Set when the data directory was in use and the database is read through its holder's server. */
  servedBy: ServeRecord | null;
}

/**
 * The serve record of the process holding a locked embedded data directory, when that process serves it;
 * otherwise the lock error again, with `advice` on what to do instead.
 */
export function serverOfLockedDir(error: DataDirLockedError, advice: string): ServeRecord {
  const record = readServeRecord(error.dataDir);
  if (record === null || record.pid !== error.holderPid)
    throw new DataDirLockedError(error.dataDir, error.holderPid, error.holderHost, advice);
  return record;
}

/**
 * For commands that only read: like openDatabase, but an embedded data directory held by another process
 * that serves it (`db serve`, the daemon; see serve/serve-record.ts) is read through that server, read-only.
 */
export async function openForReading(options: OpenDatabaseOptions): Promise<ReadingDatabase> {
  try {
    return { db: await openDatabase(options), servedBy: null };
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const record = serverOfLockedDir(
      error,
      "it does not serve the database for reading (a `collect` run, or database.serve_port is null): " +
        "wait for it to finish, or let the daemon serve it (database.serve_port).",
    );
    const url = servedUrl(record);
    const db = await openPostgres({ url, poolSize: 2, logger: options.logger, engine: "pglite" });
    try {
      const identity = await databaseIdentity(db);
      if (identity !== record.identity) {
        throw new Error(
          `${url} (named by ${path.join(error.dataDir, SERVE_RECORD_FILE)}) serves another database ` +
            `(${identity}, expected ${record.identity}): is another server using port ${record.port}?`,
          { cause: error },
        );
      }
    } catch (failure) {
      await db.close();
      throw failure;
    }
    options.logger?.debug({ url, pid: record.pid }, "data directory in use: reading through its server");
    return { db, servedBy: record };
  }
}
