import type { Command } from "commander";
import { addDatabaseOptions, loadCommandConfig } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

// Heavy modules (the store, pg, PGlite) are imported inside the actions: `chainvault --help` loads none of them.

interface BackupOptions extends DatabaseOptions {
  out?: string;
  json?: boolean;
}

interface RestoreOptions extends DatabaseOptions {
  json?: boolean;
}

function formatSize(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

export function register(program: Command): void {
  addDatabaseOptions(
    program
      .command("backup")
      .description(
        "Write a consistent backup of chainvault's database to a directory, with a manifest of every table's row count\n" +
          "and checksum, and delete all but the newest backup.keep backups there. A server: pg_dump -Fc when a pg_dump\n" +
          "at least as new as the server is on PATH, else a COPY-based dump. The embedded engine: a copy of the data\n" +
          "directory, or, while the daemon or `db serve` holds it, a COPY-based dump read through the socket it serves\n" +
          "(the daemon keeps running). Restore with `chainvault restore FILE`.",
      )
      .option(
        "--out <dir>",
        "directory to write to (default: backup.dir, else `backups` next to the data directory)",
      )
      .option("--json", "print the manifest as JSON"),
  ).action(async (options: BackupOptions) => {
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
  });

  addDatabaseOptions(
    program
      .command("restore")
      .description(
        "Restore a backup (its data file or manifest) into an empty database: the server DATABASE_URL names (a new,\n" +
          "empty database), or else an empty or new --data-dir. Refuses a target that holds data (exit 2). Then compares\n" +
          "every table's row count and checksum with the backup's manifest (exit 1 when they differ).",
      )
      .argument("<file>", "a backup's data file or its .manifest.json")
      .option("--json", "print the tables restored as JSON"),
  ).action(async (file: string, options: RestoreOptions) => {
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
  });
}
