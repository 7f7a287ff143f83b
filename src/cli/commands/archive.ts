import type { Command } from "commander";
import type { ArchiveListOptions, ArchiveRestoreOptions, ArchiveRunOptions } from "../archive.ts";
import type { DatabaseOptions } from "../options.ts";
import { addDatabaseOptions } from "../options.ts";

export function register(program: Command): void {
  const archive = program
    .command("archive")
    .description(
      [
        "The Parquet archive tier: each closed UTC month of market_data_ticks and underlying_ticks as a zstd",
        "Parquet file in archive.dir or an S3-compatible bucket (config `archive:`; S3 credentials from",
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), with YYYY-MM/manifest.json. Retention deletes raw rows",
        "only for months whose archive verified. README: Keeping years of data.",
      ].join("\n"),
    );
  addDatabaseOptions(
    archive
      .command("run")
      .description(
        "Archive every month that ended on or before --before (default: the start of the current month)\n" +
          "and is not archived yet; a month that gained rows since is written again.",
      )
      .option("--before <YYYY-MM-DD>", "archive months ending on or before this date"),
  ).action(async (options: ArchiveRunOptions) => (await import("../archive.ts")).archiveRunAction(options));
  addDatabaseOptions(
    archive
      .command("verify")
      .description(
        "Read every archived file back (SHA-256, then its rows through DuckDB) and check it against its\n" +
          "manifest and the database's rows (count and content checksum). Exit 1 naming each file that fails.",
      ),
  ).action(async (options: DatabaseOptions) => (await import("../archive.ts")).archiveVerifyAction(options));
  addDatabaseOptions(
    archive.command("list").description("List archived months and tables").option("--json", "one JSON array"),
  ).action(async (options: ArchiveListOptions) => (await import("../archive.ts")).archiveListAction(options));
  addDatabaseOptions(
    archive
      .command("restore")
      .description(
        "Load one month back into the database; rows already present are skipped (safe to repeat).\n" +
          "Example: chainvault archive restore --month 2026-03",
      )
      .requiredOption("--month <YYYY-MM>", "the UTC month to restore"),
  ).action(async (options: ArchiveRestoreOptions) =>
    (await import("../archive.ts")).archiveRestoreAction(options),
  );
}
