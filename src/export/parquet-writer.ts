import { DuckDBInstance, dateValue, timestampTZValue } from "@duckdb/node-api";
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import type { ExportColumn, ExportColumnKind } from "../store/reads/export-reads.ts";

/**
 * Writes Parquet files with DuckDB (docs/backtesting.md says why this writer): one partition's rows go through
 * an Appender into a typed in-memory table, which `COPY … (FORMAT parquet, COMPRESSION zstd)` writes out and
 * which is then dropped — so memory holds at most one symbol-day. DuckDB gives the logical types (DATE,
 * TIMESTAMP with isAdjustedToUTC, DOUBLE, INT32/INT64) and dictionary-encodes low-cardinality strings itself.
 */

const DUCKDB_TYPE: Record<ExportColumnKind, string> = {
  text: "VARCHAR",
  date: "DATE",
  timestamptz: "TIMESTAMPTZ",
  double: "DOUBLE",
  integer: "INTEGER",
  bigint: "BIGINT",
};

const DAY_MS = 86_400_000;
const TABLE = "chainvault_partition";

type Append = (appender: DuckDBAppender, value: unknown) => void;

function appendFor(kind: ExportColumnKind): Append {
  switch (kind) {
    case "text":
      return (appender, value) => appender.appendVarchar(String(value));
    case "date":
      return (appender, value) =>
        appender.appendDate(dateValue(Date.parse(`${String(value)}T00:00:00Z`) / DAY_MS));
    case "timestamptz":
      return (appender, value) =>
        appender.appendTimestampTZ(timestampTZValue(BigInt((value as Date).getTime()) * 1000n));
    case "double":
      return (appender, value) => appender.appendDouble(Number(value));
    case "integer":
      return (appender, value) => appender.appendInteger(Number(value));
    case "bigint":
      return (appender, value) => appender.appendBigInt(BigInt(value as number));
  }
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

export interface ParquetWriter {
  /** Starts a file; rows appended until `finishFile` go into it. */
  startFile(file: string): Promise<void>;
  append(rows: readonly Record<string, unknown>[]): void;
  finishFile(): Promise<void>;
  /**
   * Converts a CSV file holding `csvColumns` (as exportCsvCopySql writes them) into a Parquet file of this
   * writer's columns: DuckDB parses and encodes it natively, several times faster than appending from JavaScript.
   */
  convertCsv(csv: string, csvColumns: readonly ExportColumn[], file: string): Promise<void>;
  close(): void;
}

export interface ParquetWriterOptions {
  /**
   * Column name → the type written to the file (e.g. DECIMAL(12,4)) when it differs from the appended kind: the
   * archive writes NUMERIC columns as scaled integers, which compress better than doubles and keep the scale.
   */
  fileTypes?: Readonly<Record<string, string>>;
  /** zstd level (DuckDB's default 3); the archive, written once and kept for years, uses a higher one. */
  compressionLevel?: number;
}

export async function openParquetWriter(
  columns: readonly ExportColumn[],
  options: ParquetWriterOptions = {},
): Promise<ParquetWriter> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection: DuckDBConnection = await instance.connect();
  const appends = columns.map((column) => ({ name: column.name, append: appendFor(column.kind) }));
  const ddl = `CREATE TABLE ${TABLE} (${columns
    .map((column) => `${quoteIdentifier(column.name)} ${DUCKDB_TYPE[column.kind]}`)
    .join(", ")})`;
  const casts = Object.entries(options.fileTypes ?? {}).map(
    ([name, type]) => `CAST(${quoteIdentifier(name)} AS ${type}) AS ${quoteIdentifier(name)}`,
  );
  const source = casts.length > 0 ? `(SELECT * REPLACE (${casts.join(", ")}) FROM ${TABLE})` : TABLE;
  const level =
    options.compressionLevel === undefined ? "" : `, COMPRESSION_LEVEL ${options.compressionLevel}`;
  let appender: DuckDBAppender | null = null;
  let file: string | null = null;
  return {
    async startFile(path) {
      await connection.run(ddl);
      appender = await connection.createAppender(TABLE);
      file = path;
    },
    append(rows) {
      const target = appender!;
      for (const row of rows) {
        for (const { name, append } of appends) {
          const value = row[name];
          if (value === null || value === undefined) target.appendNull();
          else append(target, value);
        }
        target.endRow();
      }
    },
    async finishFile() {
      appender!.closeSync();
      appender = null;
      await connection.run(
        `COPY ${source} TO ${quoteLiteral(file!)} (FORMAT parquet, COMPRESSION zstd${level}, ROW_GROUP_SIZE 122880)`,
      );
      await connection.run(`DROP TABLE ${TABLE}`);
      file = null;
    },
    async convertCsv(csv, csvColumns, path) {
      const types = csvColumns
        .map((column) => `${quoteLiteral(column.name)}: ${quoteLiteral(DUCKDB_TYPE[column.kind])}`)
        .join(", ");
      const select = columns.map((column) => quoteIdentifier(column.name)).join(", ");
      await connection.run(
        `COPY (SELECT ${select} FROM read_csv(${quoteLiteral(csv)}, header = true, auto_detect = false, ` +
          `delim = ',', quote = '"', escape = '"', columns = {${types}})) ` +
          `TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
      );
    },
    close() {
      appender?.closeSync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
