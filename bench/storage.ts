/**
 * Storage benchmark: how small TimescaleDB keeps chains, and what compression costs the chain-at-snapshot query.
 *
 *   npx tsx bench/storage.ts [--days 90] [--symbols SPY] [--layouts current,…] [--queries 12]
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
    layouts: { type: "string", default: "contract_order,current,scaled_by_snapshot" },
    queries: { type: "string", default: "12" },
    start: { type: "string", default: "2025-01-02" },
    columns: { type: "boolean", default: false },
  },
});

/**
 * Layouts tried, each applied after the migrations and before any row is loaded. `current` is what the
 * migrations create; the others change chunk interval, compression settings or column types.
 */
const FLOAT_COLUMNS = [
  "bid_price",
  "ask_price",
  "last_price",
  "close_price",
  "delta",
  "gamma",
  "theta",
  "vega",
].concat(["rho", "implied_volatility", "underlying_price"]);

const CONTRACT_ORDER = "contract_id, collection_type, time DESC";
const SNAPSHOT_ORDER = "collection_date, collection_type, contract_id, time DESC";

const LAYOUTS: Record<string, string> = {
  // What the migrations create (since 072: ordered by snapshot).
  current: "",
  // 002's order, before 072.
  contract_order: relayout({ floats: false, segmentby: "", orderby: CONTRACT_ORDER }),
  // Prices and greeks as float8: TimescaleDB compresses floats with Gorilla, numeric only as opaque values.
  float8: relayout({ floats: true, segmentby: "", orderby: CONTRACT_ORDER }),
  // Batches of one snapshot (date, type), contracts in order: the chain query skips batches by their date.
  by_snapshot: relayout({ floats: false, segmentby: "", orderby: SNAPSHOT_ORDER }),
  float8_by_snapshot: relayout({ floats: true, segmentby: "", orderby: SNAPSHOT_ORDER }),
  // One segment per collection type (a batch holds one type), then by snapshot.
  type_by_snapshot: relayout({
    floats: false,
    segmentby: "collection_type",
    orderby: "collection_date, contract_id, time DESC",
  }),
  // One segment per collection type: each contract's days in a row within it.
  float8_segment_type: relayout({
    floats: true,
    segmentby: "collection_type",
    orderby: "contract_id, time DESC",
  }),
  // Prices and greeks as scaled integers (their numeric scale: 1/10,000 of a dollar, delta in 1/10,000…), which
  // TimescaleDB compresses with delta-of-delta and simple-8b. Converted after the load (COPY sends decimals).
  scaled_by_snapshot: relayout({ floats: false, segmentby: "", orderby: SNAPSHOT_ORDER }),
  scaled: "",
  // 90-day chunks: fewer, fuller chunks (each chunk's empty row-store table and indexes stay behind).
  current_90d: "SELECT set_chunk_time_interval('market_data_ticks', INTERVAL '90 days');",
  // Contract ids assigned calls first, then puts (each by expiry, strike): the sim lists C and P of a strike
  // side by side, so ids alternate between a call and a put and neighbouring rows of a snapshot's batch jump.
  current_calls_first: "",
  scaled_calls_first: "",
  scaled_90d: "SELECT set_chunk_time_interval('market_data_ticks', INTERVAL '90 days');",
  float8_segment_date: relayout({
    floats: true,
    segmentby: "collection_date",
    orderby: "collection_type, contract_id, time DESC",
  }),
};

/**
 * Columns cannot change type while the columnstore is on or a continuous aggregate reads them: the bench drops the
 * aggregates (they do not count towards market_data_ticks' size), turns compression off, changes the columns and
 * turns it on again with the layout's settings.
 */
/** Scale of each numeric column (its declared numeric(p, s)), for the scaled-integer layouts. */
const SCALES: Record<string, [number, "int8" | "int4"]> = {
  bid_price: [4, "int8"], ask_price: [4, "int8"], last_price: [4, "int8"], close_price: [4, "int8"],
  underlying_price: [4, "int8"], delta: [4, "int4"], gamma: [6, "int4"], theta: [4, "int4"], vega: [4, "int4"],
  rho: [4, "int4"], implied_volatility: [4, "int4"],
}; // prettier-ignore

/** After the load, for `scaled*` layouts: the numeric columns become integers of their scale. */
function scaledSql(orderby: string): string {
  const columns = Object.entries(SCALES).map(
    ([name, [scale, type]]) => `ALTER COLUMN ${name} TYPE ${type} USING round(${name} * 1e${scale})::${type}`,
  );
  return (
    "DROP MATERIALIZED VIEW IF EXISTS hourly_option_summary CASCADE;" +
    "DROP MATERIALIZED VIEW IF EXISTS daily_option_summary CASCADE;" +
    "DROP VIEW IF EXISTS chain_quotes, chain_daily CASCADE;" +
    "SELECT remove_compression_policy('market_data_ticks', if_exists => true);" +
    "ALTER TABLE market_data_ticks SET (timescaledb.compress = false);" +
    `ALTER TABLE market_data_ticks ${columns.join(", ")};` +
    `ALTER TABLE market_data_ticks SET (timescaledb.compress, timescaledb.compress_segmentby = '', ` +
    `timescaledb.compress_orderby = '${orderby}');`
  );
}

function relayout(layout: { floats: boolean; segmentby: string; orderby: string }): string {
  const floats = layout.floats
    ? "DROP MATERIALIZED VIEW IF EXISTS hourly_option_summary CASCADE;" +
      "DROP MATERIALIZED VIEW IF EXISTS daily_option_summary CASCADE;" +
      "DROP VIEW IF EXISTS chain_quotes, chain_daily CASCADE;" +
      "SELECT remove_compression_policy('market_data_ticks', if_exists => true);" +
      "ALTER TABLE market_data_ticks SET (timescaledb.compress = false);" +
      `ALTER TABLE market_data_ticks ${FLOAT_COLUMNS.map((name) => `ALTER COLUMN ${name} TYPE double precision`).join(", ")};`
    : "";
  return (
    floats +
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
      if (name.endsWith("calls_first"))
        rows.sort(
          (a, b) =>
            a.optionType.localeCompare(b.optionType) ||
            a.expirationDate.localeCompare(b.expirationDate) ||
            a.strikePrice - b.strikePrice,
        );
      for (let i = 0; i < rows.length; i += 5_000) {
        for (const [key, id] of await upsertContracts(db, rows.slice(i, i + 5_000))) ids.set(key, id);
      }
    }
    const loadStarted = performance.now();
    for (let i = 0; i < data.quotes.length; i += 20_000) {
      const batch = data.quotes
        .slice(i, i + 20_000)
        .map(({ localSymbol, ...quote }) => ({ ...quote, contractId: ids.get(localSymbol)! }));
      await insertQuotes(db, batch);
    }
    if (name.startsWith("scaled")) {
      await db.exec(
        scaledSql(name === "scaled" || name === "scaled_contract_90d" ? CONTRACT_ORDER : SNAPSHOT_ORDER),
      );
      await db.exec("VACUUM FULL market_data_ticks");
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
        `ratio ${(before / after).toFixed(2).padStart(5)}:1 (goal 8)  chain query ${queryBefore.toFixed(1)} ms -> ` +
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
