import type { PGlite } from "@electric-sql/pglite";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../logger.ts";
import type { HandlerDeps } from "./handlers.ts";

/**
 * The `backup` slot's work. The daemon holding the embedded database backs it up through its own instance (a copy
 * dump in one transaction: collections wait for it, nothing stops); on a server it runs what `chainvault backup` does.
 */
export function backupForDaemon(
  config: Config,
  pglite: PGlite | undefined,
  logger: Logger,
): NonNullable<HandlerDeps["backup"]> {
  return async () => {
    const { backupDirOf, backupPgliteInstance, runBackup } = await import("../store/backup/backup.ts");
    const options = { outDir: backupDirOf(config), keep: config.backup.keep, logger };
    const result =
      pglite !== undefined && config.database.url === undefined
        ? await backupPgliteInstance(pglite, options)
        : await runBackup({ ...options, url: config.database.url, dataDir: config.database.data_dir });
    const rows = Object.values(result.manifest.tables).reduce((sum, table) => sum + table.rows, 0);
    return {
      summary: `${result.manifest.kind} backup ${result.manifestPath} (${rows} rows, ${result.manifest.bytes} bytes); ${result.removed.length} rotated away`,
      records: rows,
    };
  };
}
