import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { Database } from "./database.ts";
import { lockDataDir } from "./data-dir-lock.ts";
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
