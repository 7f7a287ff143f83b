import { createHash } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import type { Queryable } from "../database.ts";
import {
  decimalSql,
  isDerivedColumn,
  isScaledName,
  scaledColumnByRaw,
} from "../repositories/tick-columns.ts";

/**
 * Reading chainvault's tables out as COPY text, the one form both engines produce and load, with an
 * order-independent checksum per table so that a dump and the database it was restored into can be
 * compared without sorting either.
 */

/** Session settings that fix the text of every value, so the same rows give the same checksum anywhere. */
export const DUMP_SETTINGS = [
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL extra_float_digits = 1",
  "SET LOCAL bytea_output = 'hex'",
];

/** Migration bookkeeping is rewritten by `migrate` on restore and is not part of the data. */
const NOT_DUMPED = ["chainvault_migrations"];

export interface TableSummary {
  rows: number;
  /** 16 hex digits: the sum, modulo 2^64, of the first 8 bytes of each row's SHA-256. */
  checksum: string;
}

export interface DumpTable {
  name: string;
  /** Stored columns in table order (generated columns are recomputed on load). */
  columns: string[];
  /** Those of `columns` the table stores as scaled integers: dumped as their decimals (not in the dump's header). */
  scaled?: string[];
}

/** Something that runs queries and can stream a COPY … TO STDOUT, inside the snapshot the dump reads. */
export interface CopyOutSession {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  copyOut(sql: string, onChunk: (chunk: Buffer) => Promise<void> | void): Promise<void>;
}

/** A session over a `pg` client (a server, or the embedded database served by the process holding it). */
export function clientSession(
  client: pg.Client,
  copyTo: (sql: string) => NodeJS.ReadableStream,
): CopyOutSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async copyOut(sql, onChunk) {
      const stream = client.query(copyTo(sql) as never) as unknown as AsyncIterable<Buffer>;
      for await (const chunk of stream) await onChunk(chunk);
    },
  };
}

/** A session over an open PGlite (inside one of its transactions, or on the instance while nothing else runs). */
export function pgliteSession(pglite: Pick<PGlite, "query">): CopyOutSession {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await pglite.query<Row>(sql, params)).rows;
    },
    async copyOut(sql, onChunk) {
      // PGlite writes COPY output to the virtual file /dev/blob and returns it with the result.
      const result = await pglite.query(`${sql.replace(/ TO STDOUT$/, "")} TO '/dev/blob'`);
      if (result.blob) await onChunk(Buffer.from(await result.blob.arrayBuffer()));
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** chainvault's tables in the current schema, parents before the tables whose foreign keys point at them. */
export async function dumpTables(session: Pick<CopyOutSession, "query">): Promise<DumpTable[]> {
  const tables = await session.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const names = tables.map((t) => t.name).filter((name) => !NOT_DUMPED.includes(name));
  const edges = await session.query<{ child: string; parent: string }>(
    `SELECT child.relname AS child, parent.relname AS parent
       FROM pg_constraint c
       JOIN pg_class child ON child.oid = c.conrelid
       JOIN pg_class parent ON parent.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema() AND child.relname <> parent.relname`,
  );
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (ordered.includes(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const edge of edges) if (edge.child === name && names.includes(edge.parent)) visit(edge.parent);
    // Not a foreign key, but a restore of market_data_ticks looks up each contract's underlying (isDerivedColumn).
    if (name === "market_data_ticks" && names.includes("option_chains")) visit("option_chains");
    ordered.push(name);
  };
  for (const name of names) visit(name);
  const result: DumpTable[] = [];
  for (const name of ordered) {
    const columns = (
      await session.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
          ORDER BY ordinal_position`,
        [name],
      )
    ).filter((c) => !isDerivedColumn(name, c.column_name));
    // market_data_ticks' scaled integers (migration 075) are dumped as the decimals they stand for, under their
    // decimal names: a dump, and its checksum, are the same before and after 075, so older dumps load and compare.
    const scaled = columns.flatMap((c) => {
      const column = name === SCALED_TABLE ? scaledColumnByRaw(c.column_name) : undefined;
      return column === undefined ? [] : [column.name];
    });
    result.push({
      name,
      columns: columns.map(
        (c) => (name === SCALED_TABLE ? scaledColumnByRaw(c.column_name)?.name : undefined) ?? c.column_name,
      ),
      scaled,
    });
  }
  return result;
}

/** The COPY that reads a table: through a SELECT, since a hypertable's rows live in its chunks. */
export function copyOutSql(table: DumpTable): string {
  const select = table.columns.map((name) =>
    table.scaled?.includes(name) ? `${decimalSql("", name)} AS ${quoteIdent(name)}` : quoteIdent(name),
  );
  return `COPY (SELECT ${select.join(", ")} FROM ${quoteIdent(table.name)}) TO STDOUT`;
}

const SCALED_TABLE = "market_data_ticks";

/**
 * Whether the table's dumped rows load through a staging table (copy-dump.ts copyScaled): market_data_ticks, whose
 * dumped decimals are stored as scaled integers and whose underlying is looked up again.
 */
export const loadsThroughStaging = (table: string): boolean => table === SCALED_TABLE;

/** Whether a dumped column is a decimal the table stores as a scaled integer (loaded through scaledSql). */
export function isDumpedDecimal(table: string, column: string): boolean {
  return table === SCALED_TABLE && isScaledName(column);
}

/** Counts and checksums COPY text lines fed to it in arbitrary chunks. */
export class RowChecksum {
  private sum = 0n;
  private rest = "";
  rows = 0;

  add(chunk: Buffer | string): void {
    const text = this.rest + chunk.toString();
    let start = 0;
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      this.addLine(text.slice(start, end));
      start = end + 1;
    }
    this.rest = text.slice(start);
  }

  addLine(line: string): void {
    this.sum =
      (this.sum + createHash("sha256").update(line).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.rows += 1;
  }

  summary(): TableSummary {
    if (this.rest !== "") throw new Error("COPY output ended inside a row");
    return { rows: this.rows, checksum: this.sum.toString(16).padStart(16, "0") };
  }
}

/** Row count and checksum of every dumped table, read through `session` (inside a transaction with DUMP_SETTINGS). */
export async function summarizeTables(session: CopyOutSession): Promise<Record<string, TableSummary>> {
  const summaries: Record<string, TableSummary> = {};
  for (const table of await dumpTables(session)) {
    const checksum = new RowChecksum();
    await session.copyOut(copyOutSql(table), (chunk) => checksum.add(chunk));
    summaries[table.name] = checksum.summary();
  }
  return summaries;
}

/** Runs DUMP_SETTINGS in the current transaction. */
export async function applyDumpSettings(session: Pick<CopyOutSession, "query"> | Queryable): Promise<void> {
  for (const statement of DUMP_SETTINGS) await session.query(statement);
}
