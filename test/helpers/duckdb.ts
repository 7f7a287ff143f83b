import { DuckDBInstance } from "@duckdb/node-api";
import type { ExportColumn } from "../../src/store/reads/export-reads.ts";

/** Runs DuckDB queries in memory, as a backtest reading an export would; rows as JavaScript objects. */
export interface DuckDb {
  all(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function openDuckDb(): Promise<DuckDb> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  return {
    async all(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const DUCKDB_TYPE: Record<ExportColumn["kind"], string> = {
  text: "VARCHAR",
  date: "DATE",
  timestamptz: "TIMESTAMPTZ",
  double: "DOUBLE",
  integer: "INTEGER",
  bigint: "BIGINT",
};

/** read_csv's `columns` argument for an export's columns: the types docs/backtesting.md tells readers to use. */
export function csvColumnsArgument(columns: readonly ExportColumn[]): string {
  return `{${columns.map((column) => `'${column.name}': '${DUCKDB_TYPE[column.kind]}'`).join(", ")}}`;
}

/** One value in a form both sides agree on: dates "YYYY-MM-DD", instants epoch milliseconds, integers numbers. */
export function comparable(kind: ExportColumn["kind"], value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === "date") return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
  if (kind === "timestamptz") return value instanceof Date ? value.getTime() : Date.parse(String(value));
  if (typeof value === "bigint") return Number(value);
  return value;
}
