import fs from "node:fs";
import readline from "node:readline";
import { once } from "node:events";
import zlib from "node:zlib";
import type { Database } from "../database.ts";
import { EncodedRows } from "../copy-text.ts";
import { scaledColumnOf, scaledSql } from "../repositories/tick-columns.ts";
import { copyOutSql, dumpTables, isDumpedDecimal, loadsThroughStaging, RowChecksum } from "./table-dump.ts";
import type { CopyOutSession, DumpTable, TableSummary } from "./table-dump.ts";

/**
 * chainvault's own logical dump, for when pg_dump cannot be used (no client binaries, a client older than the
 * server, the embedded engine): gzip of a header line, then per table a `\table` line naming it and its columns,
 * its rows as COPY text, and `\.`. COPY text escapes backslashes, so no row can read as either marker.
 */
const MAGIC = "chainvault copy dump 1";
const TABLE_PREFIX = "\\table ";
const TABLE_END = "\\.";

async function write(stream: NodeJS.WritableStream, text: string | Buffer): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

/** Writes every table read through `session` (inside the snapshot) to `file`; returns each table's summary. */
export async function writeCopyDump(
  session: CopyOutSession,
  file: string,
): Promise<Record<string, TableSummary>> {
  const gzip = zlib.createGzip({ level: 6 });
  const out = fs.createWriteStream(file, { mode: 0o600 });
  const finished = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gzip.on("error", reject);
  });
  gzip.pipe(out);
  const summaries: Record<string, TableSummary> = {};
  try {
    await write(gzip, MAGIC + "\n");
    for (const table of await dumpTables(session)) {
      await write(gzip, `${TABLE_PREFIX}${JSON.stringify({ name: table.name, columns: table.columns })}\n`);
      const checksum = new RowChecksum();
      await session.copyOut(copyOutSql(table), async (chunk) => {
        checksum.add(chunk);
        await write(gzip, chunk);
      });
      summaries[table.name] = checksum.summary();
      await write(gzip, TABLE_END + "\n");
    }
  } finally {
    gzip.end();
    await finished;
  }
  return summaries;
}

const BATCH_ROWS = 5_000;

/**
 * Loads a copy dump into `db`, whose schema `migrate` has created: every dumped table is emptied first (migrations
 * may seed rows), then filled in the dump's order (parents first), all in one transaction; sequences are moved past
 * the loaded ids. Returns the tables loaded with their row counts.
 */
export async function loadCopyDump(db: Database, file: string): Promise<Record<string, number>> {
  const lines = readline.createInterface({
    input: fs.createReadStream(file).pipe(zlib.createGunzip()),
    crlfDelay: Infinity,
  });
  // Taken before anything is awaited: readline drops the lines it reads before its iterator exists, and a small
  // dump can be read whole while the transaction waits for a connection (the load then waited forever).
  const iterator = lines[Symbol.asyncIterator]();
  const loaded: Record<string, number> = {};
  await db.transaction(async (tx) => {
    const first = await iterator.next();
    if (first.done || first.value !== MAGIC) throw new Error(`${file} is not a chainvault copy dump`);
    const schema = await dumpTables({
      query: async (sql, params) => (await tx.query(sql, params)).rows as never,
    });
    const present = new Set(schema.map((t) => t.name));
    // Migrations may seed rows; emptied in one statement, so foreign keys between the tables do not get in the way.
    if (schema.length > 0) await tx.query(`TRUNCATE ${schema.map((t) => t.name).join(", ")}`);
    let table: DumpTable | null = null;
    let batch: string[] = [];
    const flush = async () => {
      if (table === null || batch.length === 0) return;
      const rows = new EncodedRows([batch.join("\n") + "\n"], batch.length);
      if (loadsThroughStaging(table.name)) await copyThroughStaging(tx, table, rows);
      else await tx.copyRows(table.name, table.columns, rows);
      loaded[table.name] = (loaded[table.name] ?? 0) + batch.length;
      batch = [];
    };
    const tables: DumpTable[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const line = next.value;
      if (table === null) {
        if (!line.startsWith(TABLE_PREFIX)) throw new Error(`${file}: a table header was expected`);
        table = JSON.parse(line.slice(TABLE_PREFIX.length)) as DumpTable;
        if (!present.has(table.name))
          throw new Error(`${file} holds table ${table.name}, which this version's schema does not have`);
        tables.push(table);
        loaded[table.name] = 0;
      } else if (line === TABLE_END) {
        await flush();
        table = null;
      } else {
        batch.push(line);
        if (batch.length >= BATCH_ROWS) await flush();
      }
    }
    if (table !== null) throw new Error(`${file} ends inside table ${table.name}: the dump is truncated`);
    for (const dumped of tables) await resetSequences(tx, dumped.name);
    // A dump written before migration 078 lists market_data_ticks before option_chains: its quotes were loaded
    // before their contracts, under underlying 0.
    if (tables.some((dumped) => dumped.name === "market_data_ticks")) {
      await tx.query(
        `UPDATE market_data_ticks t SET underlying_id = c.underlying_id
           FROM option_chains c WHERE t.underlying_id = 0 AND c.id = t.contract_id`,
      );
    }
  });
  return loaded;
}

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/**
 * Loads dumped market_data_ticks rows: COPY into a staging table with the dumped columns, then INSERT … SELECT
 * scaling the decimals the table stores as scaled integers (migration 075) and looking up each contract's
 * underlying (078), which dumps leave out (tick-columns.ts). The dump lists option_chains first.
 */
async function copyThroughStaging(tx: Transaction, table: DumpTable, rows: EncodedRows): Promise<void> {
  const stage = `chainvault_restore_${table.name}`;
  const stored = table.columns.map((name) =>
    isDumpedDecimal(table.name, name) ? scaledColumnOf(name).raw : name,
  );
  const staged = table.columns.map((name) => {
    if (!isDumpedDecimal(table.name, name)) return name;
    const column = scaledColumnOf(name);
    return `NULL::numeric(${column.precision}, ${column.scale}) AS ${name}`;
  });
  await tx.exec(
    `CREATE TEMP TABLE IF NOT EXISTS ${stage} ON COMMIT DROP AS
       SELECT ${staged.join(", ")} FROM ${table.name} WITH NO DATA;
     TRUNCATE ${stage}`,
  );
  await tx.copyRows(stage, table.columns, rows);
  const values = table.columns.map((name) =>
    isDumpedDecimal(table.name, name) ? scaledSql(name, name) : name,
  );
  stored.push("underlying_id");
  values.push(`coalesce((SELECT c.underlying_id FROM option_chains c WHERE c.id = ${stage}.contract_id), 0)`);
  await tx.exec(`INSERT INTO ${table.name} (${stored.join(", ")}) SELECT ${values.join(", ")} FROM ${stage}`);
}

async function resetSequences(tx: Transaction, table: string): Promise<void> {
  const columns = await tx.query<{ name: string; sequence: string }>(
    `SELECT a.attname AS name, pg_get_serial_sequence(quote_ident($1), a.attname) AS sequence
       FROM pg_attribute a
      WHERE a.attrelid = quote_ident($1)::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_get_serial_sequence(quote_ident($1), a.attname) IS NOT NULL`,
    [table],
  );
  for (const column of columns.rows) {
    await tx.query(
      `SELECT setval($1, coalesce(max(${column.name}), 1), max(${column.name}) IS NOT NULL) FROM ${table}`,
      [column.sequence],
    );
  }
}
