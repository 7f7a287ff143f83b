import { listArchive, restoreMonth, runArchive, verifyArchive } from "../archive/archive.ts";
import { MONTH_PATTERN } from "../archive/months.ts";
import { openArchiveTarget } from "../archive/target.ts";
import { CommandFailure, UsageError } from "../core/errors.ts";
import type { CommandContext } from "./context.ts";
import { loadCommandConfig, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./options.ts";
import { parseDate } from "./parse-flags.ts";

export interface ArchiveRunOptions extends DatabaseOptions {
  before?: string;
}
export interface ArchiveListOptions extends DatabaseOptions {
  json?: boolean;
}
export interface ArchiveRestoreOptions extends DatabaseOptions {
  month: string;
}

async function withArchive<T>(
  options: DatabaseOptions,
  work: (context: CommandContext, target: Awaited<ReturnType<typeof openArchiveTarget>>) => Promise<T>,
): Promise<T> {
  const { config } = loadCommandConfig(options);
  const target = await openArchiveTarget(config.archive);
  try {
    return await withDatabase(options, (context) => work(context, target), { migrate: true });
  } finally {
    target.close();
  }
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MiB`;

export async function archiveRunAction(options: ArchiveRunOptions): Promise<void> {
  const before =
    options.before === undefined
      ? new Date(`${new Date().toISOString().slice(0, 7)}-01T00:00:00Z`)
      : new Date(`${parseDate(options.before, "--before")}T00:00:00Z`);
  const result = await withArchive(options, ({ db }, target) => runArchive(db, target, before));
  for (const entry of result.written) {
    process.stdout.write(
      `${entry.month} ${entry.table}: ${entry.rows} rows, ${mib(entry.bytes)} → ${entry.location}\n`,
    );
  }
  const rows = result.written.reduce((sum, entry) => sum + entry.rows, 0);
  process.stdout.write(
    `archived ${result.written.length} files (${rows} rows); ${result.unchanged.length} already archived or dropped\n`,
  );
}

export async function archiveVerifyAction(options: DatabaseOptions): Promise<void> {
  const result = await withArchive(options, ({ db }, target) => verifyArchive(db, target, new Date()));
  for (const entry of result.checked) {
    const database = entry.database === "matches" ? "matches the database" : "raw rows dropped by retention";
    process.stdout.write(`ok   ${entry.location}: ${entry.rows} rows, ${database}\n`);
  }
  for (const failure of result.failures)
    process.stdout.write(`FAIL ${failure.location}: ${failure.problem}\n`);
  if (result.failures.length > 0) {
    throw new CommandFailure(
      `${result.failures.length} archive file(s) failed verification: ${result.failures.map((failure) => failure.location).join(", ")}`,
    );
  }
  process.stdout.write(`verified ${result.checked.length} files\n`);
}

export async function archiveListAction(options: ArchiveListOptions): Promise<void> {
  const listed = await withArchive(options, ({ db }, target) => listArchive(db, target));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(listed)}\n`);
    return;
  }
  if (listed.length === 0) {
    process.stdout.write("no archived months yet (`chainvault archive run`)\n");
    return;
  }
  for (const entry of listed) {
    const state = entry.droppedAt
      ? "verified, raw rows dropped"
      : entry.verifiedAt
        ? "verified"
        : "not verified";
    process.stdout.write(
      `${entry.month} ${entry.table.padEnd(17)} ${String(entry.rows).padStart(10)} rows ${mib(entry.bytes).padStart(11)}  ${state}\n`,
    );
  }
}

export async function archiveRestoreAction(options: ArchiveRestoreOptions): Promise<void> {
  if (!MONTH_PATTERN.test(options.month)) {
    throw new UsageError(`--month must be YYYY-MM, e.g. 2026-03; got "${options.month}"`);
  }
  const result = await withArchive(options, ({ db }, target) => restoreMonth(db, target, options.month));
  for (const entry of result.tables) {
    process.stdout.write(
      `${result.month} ${entry.table}: ${entry.inserted} of ${entry.rows} rows inserted (the rest were present); ` +
        `${entry.identical ? "identical to the archive" : "differs from the archive (rows added since?)"}\n`,
    );
  }
}
