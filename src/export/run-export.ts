import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";
import type { Database } from "../store/database.ts";
import { knownSymbols } from "../store/reads/chain-reads.ts";
import {
  exportColumns,
  exportCsvCopySql,
  exportHasRows,
  exportPartitions,
  partitionColumns,
  streamExportRows,
} from "../store/reads/export-reads.ts";
import type { ExportColumn, ExportQuery } from "../store/reads/export-reads.ts";
import { openCsvWriter } from "./csv-writer.ts";
import { openParquetWriter } from "./parquet-writer.ts";
import type { ParquetWriter } from "./parquet-writer.ts";
import { withScavenges } from "./scavenge.ts";

/**
 * `chainvault export`: the chain_quotes / chain_daily rows of some symbols and days to CSV (one file, or stdout)
 * or to a Hive-partitioned Parquet tree (OUT/symbol=SPY/date=2026-12-01/part.parquet). Rows stream from a
 * server-side cursor into the writer, so memory stays flat. Files are written under a staging name beside their
 * destination and renamed into place only when everything succeeded: bad input or a failure leaves nothing.
 */

export type ExportFormat = "csv" | "parquet";

export interface ExportRequest extends ExportQuery {
  format: ExportFormat;
  /** A directory, a file ending in .csv (CSV), or "-" for standard output (CSV). */
  out: string;
  /** Where "-" writes (process.stdout). */
  stdout?: Writable;
}

export interface ExportResult {
  rows: number;
  /** The files written (none for standard output). */
  files: string[];
  /** Symbol-days written (Parquet partitions). */
  partitions: number;
}

export const STDOUT = "-";
/** The partition directory names: what DuckDB, pandas and polars call the columns the tree adds. */
export const PARTITION_KEYS = { symbol: "symbol", date: "date" } as const;
const PARQUET_FILE = "part.parquet";
/** Write-stream buffer: COPY's output arrives in network-packet pieces; 64 KiB writes instead of 16 KiB ones. */
const WRITE_BUFFER = 1 << 16;

/** Checks what a user can get wrong before anything is written; throws a UsageError that says what. */
async function checkRequest(db: Database, request: ExportRequest): Promise<void> {
  if (request.from > request.to) {
    throw new UsageError(`--from ${request.from} is after --to ${request.to}; give the earlier date first`);
  }
  if (request.format === "parquet" && request.out === STDOUT) {
    throw new UsageError(
      "--format parquet writes a directory tree: give --out DIR (only CSV goes to stdout)",
    );
  }
  const known = await knownSymbols(db);
  const unknown = request.symbols.filter((symbol) => !known.includes(symbol));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown symbol ${unknown.join(", ")}: this database has ${known.length > 0 ? known.join(", ") : "no symbols yet"}`,
    );
  }
  if (!(await exportHasRows(db, request))) {
    const what =
      request.layout === "daily"
        ? "analytics or eod quotes"
        : request.types.length === 1
          ? `${request.types[0]} quotes`
          : "quotes";
    throw new UsageError(
      `no ${what} of ${request.symbols.join(", ")} between ${request.from} and ${request.to}: ` +
        "`chainvault status --from … --to …` lists what was collected",
    );
  }
}

/** Creates `dir` (and its parents) or says in one line why it cannot be written. */
function writableDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new CommandFailure(`cannot write to ${dir}: ${errorMessage(error)}`);
  }
}

const stagingSuffix = () => `${process.pid}-${randomBytes(4).toString("hex")}`;

/**
 * Writes the CSV to `out` (left open). On a PostgreSQL server the server formats it (`COPY … TO STDOUT`, the
 * speed of `psql \copy`: bench/export.ts); elsewhere rows stream through the cursor into csv-stringify. The two
 * write the same text for the same rows (test/export/export.test.ts reads both back).
 */
async function writeCsv(
  db: Database,
  request: ExportRequest,
  columns: readonly ExportColumn[],
  out: Writable,
) {
  if (db.copyCsvOut !== undefined) return db.copyCsvOut(exportCsvCopySql(request), out);
  const writer = openCsvWriter(out, columns);
  const rows = await streamExportRows(db, request, (batch) => writer.append(batch));
  await writer.end();
  return rows;
}

async function exportCsv(db: Database, request: ExportRequest, columns: readonly ExportColumn[]) {
  if (request.out === STDOUT) {
    const rows = await writeCsv(db, request, columns, request.stdout ?? process.stdout);
    return { rows, files: [], partitions: 0 };
  }
  const target = request.out.toLowerCase().endsWith(".csv")
    ? path.resolve(request.out)
    : path.resolve(request.out, `chain_${request.layout}.csv`);
  writableDirectory(path.dirname(target));
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.partial-${stagingSuffix()}`);
  try {
    const file = fs.createWriteStream(staging, { flags: "wx", highWaterMark: WRITE_BUFFER });
    const opened = new Promise<void>((resolve, reject) => {
      file.once("open", () => resolve());
      file.once("error", reject);
    });
    await opened.catch((error: unknown) => {
      throw new CommandFailure(`cannot write to ${path.dirname(target)}: ${errorMessage(error)}`);
    });
    const rows = await writeCsv(db, request, columns, file);
    file.end();
    await finished(file);
    fs.renameSync(staging, target);
    return { rows, files: [target], partitions: 0 };
  } finally {
    fs.rmSync(staging, { force: true });
  }
}

async function exportParquet(db: Database, request: ExportRequest, columns: readonly ExportColumn[]) {
  const root = path.resolve(request.out);
  writableDirectory(root);
  const staging = path.join(root, `.chainvault-export-${stagingSuffix()}`);
  try {
    fs.mkdirSync(staging);
  } catch (error) {
    throw new CommandFailure(`cannot write to ${root}: ${errorMessage(error)}`);
  }
  const keys = partitionColumns(request.layout);
  // The tree's directories carry symbol and date; the files hold the other columns (Hive convention: a column
  // in both places makes readers disagree about which one wins).
  const fileColumns = columns.filter((column) => column.name !== keys.symbol && column.name !== keys.date);
  const writer = await openParquetWriter(fileColumns);
  const partitions: string[] = [];
  let current: string | null = null;
  try {
    const rows = await (db.copyCsvOut !== undefined
      ? parquetThroughCsv(db, request, columns, writer, staging, partitions)
      : streamExportRows(db, request, async (batch) => {
          let start = 0;
          while (start < batch.length) {
            const first = batch[start]!;
            const partition = path.join(
              `${PARTITION_KEYS.symbol}=${String(first[keys.symbol])}`,
              `${PARTITION_KEYS.date}=${String(first[keys.date])}`,
            );
            let end = start + 1;
            while (
              end < batch.length &&
              batch[end]![keys.symbol] === first[keys.symbol] &&
              batch[end]![keys.date] === first[keys.date]
            ) {
              end += 1;
            }
            if (partition !== current) {
              if (current !== null) await writer.finishFile();
              fs.mkdirSync(path.join(staging, partition), { recursive: true });
              await writer.startFile(path.join(staging, partition, PARQUET_FILE));
              partitions.push(partition);
              current = partition;
            }
            writer.append(batch.slice(start, end));
            start = end;
          }
        }));
    if (current !== null) await writer.finishFile();
    // Everything is written: move each file into place (a rename within one file system).
    const files = partitions.map((partition) => {
      const destination = path.join(root, partition, PARQUET_FILE);
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      fs.renameSync(path.join(staging, partition, PARQUET_FILE), destination);
      return destination;
    });
    return { rows, files, partitions: partitions.length };
  } finally {
    writer.close();
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

const partitionPath = (symbol: string, date: string) =>
  path.join(`${PARTITION_KEYS.symbol}=${symbol}`, `${PARTITION_KEYS.date}=${date}`);

/**
 * The server's path to Parquet: each symbol-day comes out of `COPY … TO STDOUT` (the server formats it) into a
 * CSV file in the staging directory, which DuckDB turns into that partition's file — one symbol-day on disk at
 * a time, and no row goes through JavaScript. Returns the number of rows.
 */
async function parquetThroughCsv(
  db: Database,
  request: ExportRequest,
  columns: readonly ExportColumn[],
  writer: ParquetWriter,
  staging: string,
  partitions: string[],
): Promise<number> {
  const csv = path.join(staging, "partition.csv");
  let rows = 0;
  for (const { symbol, date } of await exportPartitions(db, request)) {
    const file = fs.createWriteStream(csv, { highWaterMark: WRITE_BUFFER });
    rows += await db.copyCsvOut!(
      exportCsvCopySql({ ...request, symbols: [symbol], from: date, to: date }),
      file,
    );
    file.end();
    await finished(file);
    const partition = partitionPath(symbol, date);
    fs.mkdirSync(path.join(staging, partition), { recursive: true });
    await writer.convertCsv(csv, columns, path.join(staging, partition, PARQUET_FILE));
    partitions.push(partition);
  }
  fs.rmSync(csv, { force: true });
  return rows;
}

export async function runExport(db: Database, request: ExportRequest): Promise<ExportResult> {
  await checkRequest(db, request);
  const columns = exportColumns(request.layout);
  return withScavenges(() =>
    request.format === "csv" ? exportCsv(db, request, columns) : exportParquet(db, request, columns),
  );
}
