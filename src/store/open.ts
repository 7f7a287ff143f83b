import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Database } from "./database.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { wrapPglite } from "./pglite.ts";
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
  if (options.dataDir.startsWith("memory://")) {
    return wrapPglite((await PGlite.create(options.dataDir)) as unknown as PgliteLike);
  }
  const dataDir = path.resolve(options.dataDir);
  const release = await lockDataDir(dataDir);
  try {
    const pg = await PGlite.create(dataDir);
    options.logger?.debug({ dataDir }, "opened embedded database");
    return await wrapPglite(pg as unknown as PgliteLike, { onClose: release });
  } catch (error) {
    release();
    throw error;
  }
}
