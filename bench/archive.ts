/**
 * Archive size benchmark on the server engine: synthetic chains shaped like the simulator's (test/helpers/
 * synthetic-chains.ts: weekly expiries, strikes around the spot, analytics and EOD snapshots, deterministic
 * values) stored in market_data_ticks / underlying_ticks, against the same rows archived by `chainvault archive
 * run` as monthly zstd Parquet. Prints the row store's size with its indexes (pg_total_relation_size: heap, TOAST,
 * the unique key and the time index), the archive's bytes, the ratio (goal ≥ 10) and the time to write and to
 * verify the archive.
 *
 *   npx tsx bench/archive.ts [--days 42] [--symbols SPY,QQQ,IWM] [--expiries 8] [--strikes 40]
 *
 * Server URL: CHAINVAULT_TEST_PG_URL (a fresh database is created and dropped).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { runArchive, verifyArchive } from "../src/archive/archive.ts";
import { openArchiveTarget } from "../src/archive/target.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { ARCHIVE_TABLES } from "../src/store/reads/archive-reads.ts";
import { createServerDatabase } from "../test/helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../test/helpers/synthetic-chains.ts";

const { values: args } = parseArgs({
  options: {
    days: { type: "string", default: "42" },
    symbols: { type: "string", default: "SPY,QQQ,IWM" },
    expiries: { type: "string", default: "8" },
    strikes: { type: "string", default: "40" },
  },
});

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MiB`;

const server = await createServerDatabase();
const db = await openDatabase({ url: server.url, dataDir: "unused" });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bench-archive-"));
try {
  await migrate(db);
  const days = tradingDaysFrom("2026-09-01", Number(args.days));
  const rows = await seedSyntheticChains(db, {
    symbols: args.symbols.split(","),
    days,
    expiries: Number(args.expiries),
    strikes: Number(args.strikes),
  });
  for (const table of ARCHIVE_TABLES) await db.exec(`VACUUM ANALYZE ${table}`);
  let rowStore = 0;
  for (const table of ARCHIVE_TABLES) {
    const result = await db.query<{ bytes: number }>("SELECT pg_total_relation_size($1::regclass) AS bytes", [
      table,
    ]);
    rowStore += Number(result.rows[0]!.bytes);
  }
  const target = await openArchiveTarget({ target: "dir", dir, prefix: "", region: "us-east-1" });
  const writeStart = performance.now();
  const run = await runArchive(db, target, new Date("2100-01-01T00:00:00Z"));
  const writeMs = performance.now() - writeStart;
  const verifyStart = performance.now();
  const verified = await verifyArchive(db, target, new Date());
  const verifyMs = performance.now() - verifyStart;
  target.close();
  const archived = run.written.reduce((sum, entry) => sum + entry.bytes, 0);
  const archivedRows = run.written.reduce((sum, entry) => sum + entry.rows, 0);
  const ratio = rowStore / archived;
  console.log(
    `data: ${days.length} trading days (${days[0]}..${days.at(-1)}), ${args.symbols}, ${args.expiries} expiries x ` +
      `${args.strikes} strikes: ${rows} quote rows; ${archivedRows} rows archived in ${run.written.length} files`,
  );
  console.log(`row store with indexes (PostgreSQL ${ARCHIVE_TABLES.join(" + ")}): ${mib(rowStore)}`);
  console.log(`Parquet archive (zstd, one file per table per month):      ${mib(archived)}`);
  console.log(
    `ratio row store / archive: ${ratio.toFixed(1)}:1 (goal >= 10:1) ${ratio >= 10 ? "MET" : "NOT MET"}; ` +
      `${Math.round(rowStore / archivedRows)} vs ${(archived / archivedRows).toFixed(1)} bytes per row`,
  );
  console.log(
    `archive run ${(writeMs / 1000).toFixed(1)} s (${Math.round(archivedRows / (writeMs / 1000))} rows/s), ` +
      `verify ${(verifyMs / 1000).toFixed(1)} s, ${verified.failures.length} failures`,
  );
} finally {
  await db.close();
  await server.drop();
  if (process.env.KEEP_ARCHIVE) console.log(dir);
  else fs.rmSync(dir, { recursive: true, force: true });
}
