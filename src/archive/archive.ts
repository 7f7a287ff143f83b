import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { DuckDBConnection } from "@duckdb/node-api";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";
import { openParquetWriter } from "../export/parquet-writer.ts";
import type { Database } from "../store/database.ts";
import { currentMigration } from "../store/migrate.ts";
import {
  ARCHIVE_TABLES,
  archiveColumns,
  archiveMonths,
  rangeSummary,
  streamRange,
  timeBounds,
} from "../store/reads/archive-reads.ts";
import type { ArchiveColumn, ArchiveMonthRow, ArchiveTable } from "../store/reads/archive-reads.ts";
import type { ExportColumn } from "../store/reads/export-reads.ts";
import {
  insertMissingRows,
  markRestored,
  markUnverified,
  markVerified,
  recordArchive,
} from "../store/repositories/archives.ts";
import { ContentChecksum, fileSha256 } from "./checksum.ts";
import type { ArchiveTarget } from "./target.ts";
import { monthOf, monthRange, nextMonth } from "./months.ts";

/**
 * The Parquet archive tier (issue 14): each closed UTC month of the growing tables becomes one zstd Parquet file
 * per table, `YYYY-MM/<table>.parquet`, beside `YYYY-MM/manifest.json` (row counts, time bounds, SHA-256 of each
 * file, a content checksum of its rows, the schema version). Files are written with the export's DuckDB writer
 * and read back with DuckDB; the ledger table archive_months records what was written and verified, which is
 * what retention asks before it deletes anything.
 */

export const MANIFEST_FORMAT = "chainvault-archive/1";

export interface ManifestFile {
  table: ArchiveTable;
  key: string;
  rows: number;
  minTime: string | null;
  maxTime: string | null;
  sha256: string;
  contentSum: string;
  bytes: number;
  columns: ExportColumn[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  month: string;
  schemaVersion: number;
  writtenAt: string;
  files: ManifestFile[];
}

/** Written once, read rarely: zstd's high levels cost seconds per month and save about a tenth (bench/archive.ts). */
const ARCHIVE_ZSTD_LEVEL = 19;

const manifestKey = (month: string) => `${month}/manifest.json`;
const fileKey = (month: string, table: string) => `${month}/${table}.parquet`;

async function readManifest(target: ArchiveTarget, month: string): Promise<Manifest | null> {
  const text = await target.getText(manifestKey(month));
  if (text === null) return null;
  try {
    const manifest = JSON.parse(text) as Manifest;
    if (manifest.format !== MANIFEST_FORMAT) throw new Error(`format "${String(manifest.format)}"`);
    return manifest;
  } catch (error) {
    throw new CommandFailure(
      `${target.locate(manifestKey(month))} is not a chainvault manifest: ${errorMessage(error)}`,
    );
  }
}

/** Months that have a manifest in the target, oldest first. */
export async function archivedMonths(target: ArchiveTarget): Promise<string[]> {
  const keys = await target.list("");
  return keys
    .map((key) => /^(\d{4}-\d{2})\/manifest\.json$/.exec(key)?.[1])
    .filter((month): month is string => month !== undefined);
}

/** Makes a scratch directory for downloads and Parquet staging; removed by the caller. */
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-archive-"));

/** The DuckDB expression that yields each column in the checksum's canonical form. */
function selectList(columns: readonly ExportColumn[]): string {
  return columns
    .map(({ name, kind }) => {
      const id = `"${name.replaceAll('"', '""')}"`;
      if (kind === "timestamptz") return `epoch_ms(${id}) AS ${id}`;
      if (kind === "date") return `CAST(${id} AS VARCHAR) AS ${id}`;
      // DECIMAL columns come back as doubles: the checksum's canonical number form on both sides.
      if (kind === "double") return `CAST(${id} AS DOUBLE) AS ${id}`;
      return id;
    })
    .join(", ");
}

/** Streams a Parquet file's rows (canonical forms: instants as epoch ms, dates as text) in batches. */
async function readParquet(
  connection: DuckDBConnection,
  file: string,
  columns: readonly ExportColumn[],
  onBatch: (rows: Record<string, unknown>[]) => Promise<void> | void,
): Promise<void> {
  const result = await connection.stream(
    `SELECT ${selectList(columns)} FROM read_parquet('${file.replaceAll("'", "''")}')`,
  );
  const names = columns.map((column) => column.name);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    await onBatch(chunk.getRowObjects(names) as Record<string, unknown>[]);
  }
}

async function openDuckDb() {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Content checksum and bounds of the database's rows of `table` in one month. */
async function databaseChecksum(
  db: Database,
  table: ArchiveTable,
  month: string,
  columns: readonly ExportColumn[],
) {
  const { from, to } = monthRange(month);
  const sum = new ContentChecksum(columns);
  await streamRange(db, table, from, to, (rows) => sum.add(rows));
  return sum;
}

export interface ArchiveRunResult {
  written: { month: string; table: ArchiveTable; rows: number; bytes: number; location: string }[];
  /** Months (and tables) already archived with the same row count, or whose rows retention dropped. */
  unchanged: { month: string; table: ArchiveTable; reason: string }[];
}

/**
 * Archives every UTC month that ended on or before `before` and holds rows. A month already archived with the
 * row count the database still has is left alone; one that gained rows since (late corrections) is written
 * again and must verify again before retention may touch it.
 */
export async function runArchive(
  db: Database,
  target: ArchiveTarget,
  before: Date,
): Promise<ArchiveRunResult> {
  const schemaVersion = await currentMigration(db);
  const ledger = new Map((await archiveMonths(db)).map((row) => [`${row.month}/${row.tableName}`, row]));
  const result: ArchiveRunResult = { written: [], unchanged: [] };
  const dir = scratch();
  try {
    for (const table of ARCHIVE_TABLES) {
      const bounds = await timeBounds(db, table);
      if (bounds.min === null) continue;
      const columns = await archiveColumns(db, table);
      for (let month = monthOf(bounds.min); monthRange(month).to <= before; month = nextMonth(month)) {
        const { from, to } = monthRange(month);
        if (from > bounds.max!) break;
        const summary = await rangeSummary(db, table, from, to);
        const known = ledger.get(`${month}/${table}`);
        if (summary.rows === 0) {
          if (known?.droppedAt)
            result.unchanged.push({ month, table, reason: "raw rows dropped by retention" });
          continue;
        }
        if (known !== undefined && known.rows === summary.rows) {
          result.unchanged.push({ month, table, reason: "already archived" });
          continue;
        }
        result.written.push(await writeMonth(db, target, { table, month, columns, schemaVersion, dir }));
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function writeMonth(
  db: Database,
  target: ArchiveTarget,
  job: { table: ArchiveTable; month: string; columns: ArchiveColumn[]; schemaVersion: number; dir: string },
) {
  const { table, month, columns } = job;
  const file = path.join(job.dir, `${month}-${table}.parquet`);
  const { from, to } = monthRange(month);
  const sum = new ContentChecksum(columns);
  let minTime: Date | null = null;
  let maxTime: Date | null = null;
  const writer = await openParquetWriter(columns, {
    fileTypes: Object.fromEntries(
      columns.flatMap((column) => (column.fileType === undefined ? [] : [[column.name, column.fileType]])),
    ),
    compressionLevel: ARCHIVE_ZSTD_LEVEL,
  });
  try {
    await writer.startFile(file);
    await streamRange(db, table, from, to, (rows) => {
      writer.append(rows);
      sum.add(rows);
      for (const row of rows) {
        const time = row.time as Date;
        if (minTime === null || time < minTime) minTime = time;
        if (maxTime === null || time > maxTime) maxTime = time;
      }
    });
    await writer.finishFile();
  } finally {
    writer.close();
  }
  const sha256 = await fileSha256(file);
  const bytes = fs.statSync(file).size;
  const key = fileKey(month, table);
  await target.putFile(key, file);
  fs.rmSync(file, { force: true });
  const entry: ManifestFile = {
    table,
    key,
    rows: sum.rows,
    minTime: (minTime as Date | null)?.toISOString() ?? null,
    maxTime: (maxTime as Date | null)?.toISOString() ?? null,
    sha256,
    contentSum: sum.hex(),
    bytes,
    columns,
  };
  const previous = await readManifest(target, month);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    month,
    schemaVersion: job.schemaVersion,
    writtenAt: new Date().toISOString(),
    files: [...(previous?.files ?? []).filter((other) => other.table !== table), entry].sort((a, b) =>
      a.table.localeCompare(b.table),
    ),
  };
  // The manifest goes last: a month whose manifest names a file has that file complete.
  await target.putText(manifestKey(month), `${JSON.stringify(manifest, null, 2)}\n`);
  await recordArchive(db, {
    month,
    table,
    location: target.locate(key),
    rows: sum.rows,
    minTime,
    maxTime,
    sha256,
    contentSum: entry.contentSum,
    schemaVersion: job.schemaVersion,
  });
  return { month, table, rows: sum.rows, bytes, location: target.locate(key) };
}

export interface VerifyResult {
  checked: {
    month: string;
    table: string;
    location: string;
    rows: number;
    database: "matches" | "dropped";
  }[];
  failures: { location: string; problem: string }[];
}

/**
 * Reads every archived file back: its SHA-256, then its rows through DuckDB (count, time bounds, content
 * checksum) against the manifest, then against the database's rows of that month (count and the same checksum)
 * unless retention dropped them. A month that passes is marked verified in the ledger; one that fails loses its
 * verification, so retention keeps its rows.
 */
export async function verifyArchive(db: Database, target: ArchiveTarget, now: Date): Promise<VerifyResult> {
  const ledger = new Map((await archiveMonths(db)).map((row) => [`${row.month}/${row.tableName}`, row]));
  const result: VerifyResult = { checked: [], failures: [] };
  const dir = scratch();
  const duck = await openDuckDb();
  try {
    for (const month of await archivedMonths(target)) {
      const manifest = await readManifest(target, month);
      for (const entry of manifest!.files) {
        const location = target.locate(entry.key);
        const problem = await checkFile(
          db,
          target,
          duck.connection,
          dir,
          month,
          entry,
          ledger.get(`${month}/${entry.table}`),
        );
        if (typeof problem === "string") {
          result.failures.push({ location, problem });
          await markUnverified(db, month, entry.table);
        } else {
          result.checked.push({
            month,
            table: entry.table,
            location,
            rows: entry.rows,
            database: problem.database,
          });
          await markVerified(db, month, entry.table, now);
        }
      }
    }
  } finally {
    duck.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function checkFile(
  db: Database,
  target: ArchiveTarget,
  connection: DuckDBConnection,
  dir: string,
  month: string,
  entry: ManifestFile,
  known: ArchiveMonthRow | undefined,
): Promise<string | { database: "matches" | "dropped" }> {
  const file = path.join(dir, `${month}-${entry.table}.parquet`);
  try {
    await target.getFile(entry.key, file);
  } catch (error) {
    return `cannot be read: ${errorMessage(error)}`;
  }
  try {
    const sha256 = await fileSha256(file);
    if (sha256 !== entry.sha256) return `SHA-256 ${sha256} differs from the manifest's ${entry.sha256}`;
    const sum = new ContentChecksum(entry.columns);
    let min: number | null = null;
    let max: number | null = null;
    try {
      await readParquet(connection, file, entry.columns, (rows) => {
        sum.add(rows);
        for (const row of rows) {
          const time = Number(row.time);
          if (min === null || time < min) min = time;
          if (max === null || time > max) max = time;
        }
      });
    } catch (error) {
      return `is not readable Parquet: ${errorMessage(error)}`;
    }
    if (sum.rows !== entry.rows) return `holds ${sum.rows} rows; the manifest says ${entry.rows}`;
    if (sum.hex() !== entry.contentSum) return "its rows' content checksum differs from the manifest's";
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    if (iso(min) !== entry.minTime || iso(max) !== entry.maxTime) {
      return `time range ${iso(min)}..${iso(max)} differs from the manifest's ${entry.minTime}..${entry.maxTime}`;
    }
    if (known?.droppedAt) return { database: "dropped" };
    const stored = await databaseChecksum(db, entry.table, month, entry.columns);
    if (stored.rows !== entry.rows)
      return `holds ${entry.rows} rows; the database has ${stored.rows} for ${month}`;
    if (stored.hex() !== entry.contentSum) return `its rows differ from the database's rows of ${month}`;
    return { database: "matches" };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export interface ListedArchive {
  month: string;
  table: string;
  location: string;
  rows: number;
  bytes: number;
  minTime: string | null;
  maxTime: string | null;
  verifiedAt: string | null;
  droppedAt: string | null;
}

/** What the target holds, with the ledger's verification and retention state. */
export async function listArchive(db: Database, target: ArchiveTarget): Promise<ListedArchive[]> {
  const ledger = new Map((await archiveMonths(db)).map((row) => [`${row.month}/${row.tableName}`, row]));
  const listed: ListedArchive[] = [];
  for (const month of await archivedMonths(target)) {
    const manifest = await readManifest(target, month);
    for (const entry of manifest!.files) {
      const known = ledger.get(`${month}/${entry.table}`);
      listed.push({
        month,
        table: entry.table,
        location: target.locate(entry.key),
        rows: entry.rows,
        bytes: entry.bytes,
        minTime: entry.minTime,
        maxTime: entry.maxTime,
        verifiedAt: known?.verifiedAt?.toISOString() ?? null,
        droppedAt: known?.droppedAt?.toISOString() ?? null,
      });
    }
  }
  return listed;
}

export interface RestoreResult {
  month: string;
  tables: { table: string; rows: number; inserted: number; identical: boolean }[];
}

const RESTORE_BATCH = 2_000;

/**
 * Loads one month back from the archive. Rows already present are skipped (the tables' unique keys), so a
 * restore over a month that was never dropped, or a second restore, adds nothing. Afterwards the database's rows
 * of the month are checksummed like the file's: `identical` says they match row for row.
 */
export async function restoreMonth(
  db: Database,
  target: ArchiveTarget,
  month: string,
): Promise<RestoreResult> {
  const manifest = await readManifest(target, month);
  if (manifest === null) {
    throw new UsageError(
      `no archive of ${month} in ${target.locate("")}: \`chainvault archive list\` shows what is there`,
    );
  }
  const dir = scratch();
  const duck = await openDuckDb();
  const result: RestoreResult = { month, tables: [] };
  try {
    for (const entry of manifest.files) {
      const file = path.join(dir, `${month}-${entry.table}.parquet`);
      await target.getFile(entry.key, file);
      if ((await fileSha256(file)) !== entry.sha256) {
        throw new CommandFailure(
          `${target.locate(entry.key)}: SHA-256 differs from the manifest; nothing of ${entry.table} restored`,
        );
      }
      let inserted = 0;
      let pending: Record<string, unknown>[] = [];
      const flush = async () => {
        inserted += await insertMissingRows(db, entry.table, pending);
        pending = [];
      };
      await readParquet(duck.connection, file, entry.columns, async (rows) => {
        for (const row of rows) pending.push(toJsonRow(row, entry.columns));
        if (pending.length >= RESTORE_BATCH) await flush();
      });
      await flush();
      const stored = await databaseChecksum(db, entry.table, month, entry.columns);
      await markRestored(db, month, entry.table);
      result.tables.push({
        table: entry.table,
        rows: entry.rows,
        inserted,
        identical: stored.rows === entry.rows && stored.hex() === entry.contentSum,
      });
    }
  } finally {
    duck.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function toJsonRow(row: Record<string, unknown>, columns: readonly ExportColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, kind } of columns) {
    const value = row[name];
    if (value === null || value === undefined) out[name] = null;
    else if (kind === "timestamptz") out[name] = new Date(Number(value)).toISOString();
    else if (typeof value === "bigint") out[name] = value.toString();
    else out[name] = value;
  }
  return out;
}
