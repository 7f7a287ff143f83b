import { loadCommandConfig } from "./context.ts";
import type { DatabaseOptions } from "./options.ts";

// Heavy modules (the store, pg, PGlite) are imported inside the actions: `chainvault --help` loads none of them.

export interface BackupOptions extends DatabaseOptions {
  out?: string;
  json?: boolean;
}

export interface RestoreOptions extends DatabaseOptions {
  json?: boolean;
}

function formatSize(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

export async function backupAction(options: BackupOptions): Promise<void> {
  const { UsageError, CommandFailure, ResourceBusy, errorMessage } = await import("../core/errors.ts");
  const { DataDirLockedError } = await import("../store/data-dir-lock.ts");
  const { createLogger } = await import("../logger.ts");
  const { backupDirOf, runBackup } = await import("../store/backup/backup.ts");
  if (options.out !== undefined && options.out.trim() === "")
    throw new UsageError("--out needs a directory, e.g. --out ./backups");
  const { config } = loadCommandConfig(options);
  const logger = createLogger({ level: config.log.level });
  let result;
  try {
    result = await runBackup({
      url: config.database.url,
      dataDir: config.database.data_dir,
      outDir: options.out ?? backupDirOf(config),
      keep: config.backup.keep,
      logger,
    });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new ResourceBusy(error.message);
    if (error instanceof UsageError) throw error;
    throw new CommandFailure(`backup failed: ${errorMessage(error)}`);
  }
  const { manifest, manifestPath, removed } = result;
  if (options.json) {
    process.stdout.write(JSON.stringify({ manifest_path: manifestPath, removed, ...manifest }) + "\n");
    return;
  }
  const rows = Object.values(manifest.tables).reduce((sum, table) => sum + table.rows, 0);
  process.stdout.write(
    `backup (${manifest.kind}, ${manifest.engine}): ${manifest.file}, ${formatSize(manifest.bytes)}, ` +
      `${Object.keys(manifest.tables).length} tables, ${rows.toLocaleString("en-US")} rows\n` +
      `manifest: ${manifestPath}\n` +
      (removed.length > 0
        ? `rotated away ${removed.length} older backup(s) (backup.keep ${config.backup.keep})\n`
        : ""),
  );
}

export async function restoreAction(file: string, options: RestoreOptions): Promise<void> {
  const { CommandFailure, UsageError, errorMessage } = await import("../core/errors.ts");
  const { createLogger } = await import("../logger.ts");
  const { runRestore } = await import("../store/backup/restore.ts");
  const { config } = loadCommandConfig(options);
  const logger = createLogger({ level: config.log.level });
  let result;
  try {
    result = await runRestore({
      file,
      url: config.database.url,
      dataDir: config.database.data_dir,
      logger,
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new CommandFailure(`restore failed: ${errorMessage(error)}`);
  }
  if (options.json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const rows = Object.values(result.tables).reduce((sum, table) => sum + table.rows, 0);
  process.stdout.write(
    `restored ${result.manifest.file} (${result.manifest.kind}, taken ${result.manifest.created_at}): ` +
      `${Object.keys(result.manifest.tables).length} tables, ${rows.toLocaleString("en-US")} rows; row counts ` +
      (result.checksumsCompared
        ? "and checksums match the manifest\n"
        : `match the manifest (checksums not compared: the schema was migrated from ${result.manifest.migration})\n`),
  );
}
