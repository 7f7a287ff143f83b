/**
 * Storage benchmark: how small TimescaleDB keeps chains, and what compression costs the chain-at-snapshot query.
 *
 *   npx tsx bench/storage.ts [--days 90] [--symbols SPY] [--layouts current,contract_order,…] [--queries 12] [--columns]
 *
 * Rows come from the simulator's market model (src/sim/market): every listed contract of each symbol's full chain,
 * at the analytics (15:45) and EOD (16:45) snapshots of each trading day — real chain shapes and price paths, not
 * random values. For each layout a fresh TimescaleDB engine (the tests' PGlite build) is migrated, the layout
 * applied, the rows loaded, and printed: market_data_ticks' size with its indexes, its size once every chunk is
 * compressed, their ratio (goal >= 8), and the chainQuotes query (one symbol's chain at one snapshot) before and
 * after compression, median of --queries snapshots.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { runArchive } from "../src/archive/archive.ts";
import { openArchiveTarget } from "../src/archive/target.ts";
import { etInstant } from "../src/calendar/index.ts";
import type { IsoDate } from "../src/calendar/index.ts";
import { SyntheticMarket } from "../src/sim/market/synthetic-market.ts";
import type { Database } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { chainQuotes } from "../src/store/reads/chain-reads.ts";
import { upsertContracts } from "../src/store/repositories/option-chains.ts";
import type { ContractRow } from "../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../src/store/repositories/quotes.ts";
import { simulatedQuoteRow } from "./simulated-quote-row.ts";
import { upsertUnderlying } from "../src/store/repositories/underlying-securities.ts";
import { openTimescalePglite } from "../test/helpers/db.ts";
import { tradingDaysFrom } from "../test/helpers/synthetic-chains.ts";

const { values: args } = parseArgs({
  options: {
    days: { type: "string", default: "90" },
    symbols: { type: "string", default: "SPY" },
    layouts: { type: "string", default: "current" },
    queries: { type: "string", default: "12" },
    start: { type: "string", default: "2025-01-02" },
    columns: { type: "boolean", default: false },
  },
});

const CONTRACT_ORDER = "contract_id, collection_type, time DESC";

/**
 * Layouts tried, each applied after the migrations and before any row is loaded. `current` is what the migrations
 * create (since 075: prices and greeks as scaled integers, compressed by snapshot, contract ids calls first); the
 * others change its chunk interval or compression settings. The numeric columns of 072 (6.34:1 on the same 90 days)
 * are no longer a layout: every reader now reads the scaled columns.
 */
const LAYOUTS: Record<string, string> = {
  current: "",
  // 002's order: each contract's days in a row, batches spanning the chunk's whole date range.
  contract_order: relayout({ segmentby: "", orderby: CONTRACT_ORDER }),
  // One segment per collection type (a batch holds one type), then by snapshot.
  type_by_snapshot: relayout({
    segmentby: "collection_type",
    orderby: "collection_date, contract_id, time DESC",
  }),
  // 90-day chunks: fewer, fuller chunks (each chunk's empty row-store table and indexes stay behind).
  current_90d: "SELECT set_chunk_time_interval('market_data_ticks', INTERVAL '90 days');",
};

function relayout(layout: { segmentby: string; orderby: string }): string {
  return (
    `ALTER TABLE market_data_ticks SET (timescaledb.compress, timescaledb.compress_segmentby = '${layout.segmentby}', ` +
    `timescaledb.compress_orderby = '${layout.orderby}');`
  );
}

const SNAPSHOTS = [
  { type: "analytics", timeEt: "15:45" },
  { type: "eod", timeEt: "16:45" },
];

interface Generated {
  contracts: Map<string, ContractRow & { symbol: string }>;
  quotes: (QuoteRow & { localSymbol: string })[];
}

function generate(symbols: string[], days: IsoDate[]): Generated {
  const market = new SyntheticMarket(1);
  const contracts = new Map<string, ContractRow & { symbol: string }>();
  const quotes: Generated["quotes"] = [];
  const started = performance.now();
  for (const day of days) {
    for (const symbol of symbols) {
      const chain = market.chain(symbol, day);
      for (const snapshot of SNAPSHOTS) {
        const instant = etInstant(day, snapshot.timeEt);
        for (const contract of chain) {
          if (!contracts.has(contract.localSymbol)) {
            contracts.set(contract.localSymbol, {
              symbol,
              contractSymbol: contract.localSymbol,
              underlyingId: 0,
              strikePrice: contract.strike,
              optionType: contract.right === "C" ? "C" : "P",
              expirationDate: contract.expiry,
              ibConId: contract.conId,
              multiplier: Number(contract.multiplier),
              tradingClass: contract.tradingClass,
            });
          }
          quotes.push({
            localSymbol: contract.localSymbol,
            ...simulatedQuoteRow(market.optionQuote(contract, instant), {
              contractId: 0,
              time: instant,
              collectionDate: day,
              collectionType: snapshot.type,
            }),
          });
        }
      }
    }
  }
  console.log(
    `generated ${quotes.length.toLocaleString("en-US")} quotes of ${contracts.size.toLocaleString("en-US")} contracts ` +
      `(${symbols.join(",")}, ${days.length} trading days ${days[0]}..${days.at(-1)}, analytics + eod) ` +
      `in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return { contracts, quotes };
}

async function size(db: Database): Promise<number> {
  const result = await db.query<{ bytes: number }>(
    "SELECT hypertable_size('market_data_ticks')::float8 AS bytes",
  );
  return result.rows[0]!.bytes;
}

async function queryMs(db: Database, symbols: string[], days: IsoDate[], count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const day = days[Math.floor(((i + 0.5) * days.length) / count)]!;
    const symbol = symbols[i % symbols.length]!;
    const started = performance.now();
    const rows = await chainQuotes(db, {
      symbol,
      date: day,
      collectionType: i % 2 === 0 ? "eod" : "analytics",
    });
    times.push(performance.now() - started);
    if (rows.length === 0) throw new Error(`no chain for ${symbol} on ${day}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Per column of the compressed chunks: the bytes its compressed values take (pg_column_size, after TOAST). */
async function printColumnSizes(db: Database): Promise<void> {
  const tables = await db.query<{ name: string }>(
    "SELECT format('%I.%I', c.schema_name, c.table_name) AS name FROM _timescaledb_catalog.chunk c " +
      "JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id " +
      "JOIN _timescaledb_catalog.hypertable p ON p.compressed_hypertable_id = h.id " +
      "WHERE p.table_name = 'market_data_ticks' AND NOT c.dropped",
  );
  if (tables.rows.length === 0) return;
  const columns = await db.query<{ name: string }>(
    "SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
    [tables.rows[0]!.name],
  );
  const sums = columns.rows.map(
    ({ name }) => `coalesce(sum(pg_column_size(${JSON.stringify(name)})), 0)::float8`,
  );
  const union = tables.rows.map(({ name }) => `SELECT ${sums.join(", ")} FROM ${name}`).join(" UNION ALL ");
  const totals = await db.query<Record<string, number>>(
    `SELECT ${columns.rows.map((_, i) => `sum(c${i})::float8 AS c${i}`).join(", ")} FROM (${union}) t(${columns.rows.map((_, i) => `c${i}`).join(", ")})`,
  );
  const row = totals.rows[0]!;
  const sized = columns.rows
    .map(({ name }, i) => ({ name, bytes: row[`c${i}`]! }))
    .sort((a, b) => b.bytes - a.bytes);
  console.log(
    "  compressed bytes per column: " +
      sized.map(({ name, bytes }) => `${name} ${(bytes / 1024).toFixed(0)} kB`).join(", "),
  );
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** The Parquet archive of market_data_ticks as `chainvault archive run` writes it (zstd, one file a month): its bytes. */
async function archivedBytes(db: Database): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bench-storage-"));
  const target = await openArchiveTarget({ target: "dir", dir, prefix: "", region: "us-east-1" });
  try {
    const run = await runArchive(db, target, new Date("2100-01-01T00:00:00Z"));
    return run.written
      .filter((entry) => entry.table === "market_data_ticks")
      .reduce((sum, entry) => sum + entry.bytes, 0);
  } finally {
    target.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runLayout(
  name: string,
  data: Generated,
  symbols: string[],
  days: IsoDate[],
  measureArchive: boolean,
) {
  const db = await openTimescalePglite();
  try {
    await migrate(db);
    if (LAYOUTS[name]) await db.exec(LAYOUTS[name]);
    const ids = new Map<string, number>();
    for (const symbol of symbols) {
      const underlyingId = await upsertUnderlying(db, {
        symbol,
        securityType: symbol === "SPY" ? "ETF" : "STK",
      });
      const rows = [...data.contracts.values()]
        .filter((row) => row.symbol === symbol)
        .map(({ symbol: _symbol, ...row }) => ({ ...row, underlyingId }));
      // One batch, as discovery stores a chain: new contracts are numbered calls first (upsertContracts).
      for (const [key, id] of await upsertContracts(db, rows)) ids.set(key, id);
    }
    const loadStarted = performance.now();
    for (let i = 0; i < data.quotes.length; i += 20_000) {
      const batch = data.quotes
        .slice(i, i + 20_000)
        .map(({ localSymbol, ...quote }) => ({ ...quote, contractId: ids.get(localSymbol)! }));
      await insertQuotes(db, batch);
    }
    const loadS = (performance.now() - loadStarted) / 1000;
    await db.exec("ANALYZE market_data_ticks");
    const queries = Number(args.queries);
    await queryMs(db, symbols, days, 2); // warm the caches the first query would otherwise pay for
    const before = await size(db);
    const archived = measureArchive ? await archivedBytes(db) : null;
    const queryBefore = await queryMs(db, symbols, days, queries);
    const compressStarted = performance.now();
    await db.query(
      "SELECT count(compress_chunk(c, if_not_compressed => true)) FROM show_chunks('market_data_ticks') c",
    );
    const compressS = (performance.now() - compressStarted) / 1000;
    await db.exec("ANALYZE market_data_ticks");
    const after = await size(db);
    await queryMs(db, symbols, days, 2);
    const queryAfter = await queryMs(db, symbols, days, queries);
    const chunks = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM show_chunks('market_data_ticks')",
    );
    console.log(
      `${name.padEnd(20)} row store ${mb(before).padStart(9)}  compressed ${mb(after).padStart(8)}  ` +
        `ratio ${(before / after).toFixed(2).padStart(5)}:1 (goal 8 ${before / after >= 8 ? "MET" : "NOT MET"})  chain query ${queryBefore.toFixed(1)} ms -> ` +
        `${queryAfter.toFixed(1)} ms (${(queryAfter / queryBefore).toFixed(2)}x)  ` +
        `[${chunks.rows[0]!.n} chunks; load ${loadS.toFixed(0)} s, compress ${compressS.toFixed(0)} s]`,
    );
    if (args.columns) await printColumnSizes(db);
    return { before, after, archived };
  } finally {
    await db.close();
  }
}

async function main() {
  const symbols = args.symbols.split(",");
  const days = tradingDaysFrom(args.start, Number(args.days));
  const layouts = args.layouts.split(",");
  for (const name of layouts) if (!(name in LAYOUTS)) throw new Error(`unknown layout ${name}`);
  const data = generate(symbols, days);
  const rows = data.quotes.length;
  const results: Record<string, { before: number; after: number; archived: number | null }> = {};
  for (const name of layouts) results[name] = await runLayout(name, data, symbols, days, name === layouts[0]);
  const baseline = results[layouts[0]!]!;
  console.log(
    `per 1M quote rows: row store ${mb((baseline.before / rows) * 1e6)}; ` +
      layouts.map((name) => `${name} compressed ${mb((results[name]!.after / rows) * 1e6)}`).join(", "),
  );
  const archived = baseline.archived!;
  const archiveRatio = baseline.before / archived;
  console.log(
    `Parquet archive of the same rows (${layouts[0]} row store, zstd): ${mb(archived)}, ` +
      `ratio ${archiveRatio.toFixed(2)}:1 (goal 10) ${archiveRatio >= 10 ? "MET" : "NOT MET"}`,
  );
}

await main();
