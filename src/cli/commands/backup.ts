import type { Command } from "commander";
import type { BackupOptions, RestoreOptions } from "../backup.ts";
import { addDatabaseOptions } from "../options.ts";

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
  ).action(async (options: BackupOptions) => (await import("../backup.ts")).backupAction(options));

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
  ).action(async (file: string, options: RestoreOptions) =>
    (await import("../backup.ts")).restoreAction(file, options),
  );
}
