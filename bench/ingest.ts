/**
 * Ingest benchmark: 500k realistic end-of-day quote rows through insertQuotes on each engine.
 *
 *   npx tsx bench/ingest.ts [--rows 500000] [--rounds 3] [--skip-pglite] [--skip-server] [--skip-defaults]
 *
 * Prints rows/s per engine; on the server also the ratio to `psql \copy` of the same rows into an
 * identical fresh table (same constraints and indexes), measured in the same run (goal >= 0.8).
 * For PGlite it prints the data directory's size (and its WAL) before and after the load and after
 * each step, with chainvault's WAL measures and (unless --skip-defaults) without them. Server URL: CHAINVAULT_TEST_PG_URL (a fresh database is
 * created and dropped).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { bsGreeks } from "../src/pricing/black-scholes.ts";
import { copyLine } from "../src/store/copy-text.ts";
import type { Database, Queryable } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { wrapPglite } from "../src/store/pglite.ts";
import type { PgliteLike } from "../src/store/pglite.ts";
import { PGlite } from "@electric-sql/pglite";
import { fitValue } from "../src/store/repositories/fit.ts";
import { insertQuotes, QUOTE_COLUMN_NAMES, QUOTE_COLUMNS } from "../src/store/repositories/quotes.ts";
import type { QuoteRow, StoredQuoteRow } from "../src/store/repositories/quotes.ts";
import { upsertContracts } from "../src/store/repositories/option-chains.ts";
import type { ContractRow } from "../src/store/repositories/option-chains.ts";
import { upsertUnderlying } from "../src/store/repositories/underlying-securities.ts";
import { occSymbol } from "../src/collect/occ.ts";
import { createServerDatabase } from "../test/helpers/db.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "500000" },
    "skip-pglite": { type: "boolean", default: false },
    "skip-server": { type: "boolean", default: false },
    "skip-defaults": { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
  },
});
const TARGET_ROWS = Number(args.rows);
const ROUNDS = Number(args.rounds);

// ---------------------------------------------------------------- data
/** Deterministic PRNG (mulberry32) so every run stores the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function tradingDays(count: number): string[] {
  const days: string[] = [];
  const date = new Date("2025-01-02T00:00:00Z");
  while (days.length < count) {
    const weekday = date.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(date.toISOString().slice(0, 10));
    date.setUTCDate(date.getUTCDate() + 1);
  }
  return days;
}

/** 10 underlyings × 200 contracts (4 expiries × 25 strikes × C/P) × N trading days, one 16:45 ET snapshot a day. */
function generateQuotes(target: number): QuoteRow[] {
  const rand = random(42);
  const days = tradingDays(Math.ceil(target / (UNDERLYINGS * CONTRACTS_PER)));
  const rows: QuoteRow[] = [];
  for (let u = 0; u < UNDERLYINGS; u++) {
    let spot = 50 + 60 * u;
    const vol = 0.2 + 0.04 * u;
    for (let d = 0; d < days.length && rows.length < target; d++) {
      spot *= Math.exp(vol * Math.sqrt(1 / 252) * (rand() * 2 - 1) * 1.7);
      const date = days[d]!;
      const time = new Date(`${date}T21:45:00Z`);
      for (let c = 0; c < CONTRACTS_PER && rows.length < target; c++) {
        const expiryIndex = Math.floor(c / 50);
        const strikeIndex = Math.floor((c % 50) / 2);
        const right = c % 2 === 0 ? "C" : "P";
        const base = 50 + 60 * u;
        const strike = round(base * (0.76 + 0.02 * strikeIndex), 0);
        const timeYears = Math.max(1 / 365, (30 + 91 * expiryIndex - (d % 91)) / 365);
        const iv = vol * (1 + 0.3 * Math.abs(Math.log(strike / spot))) * (0.95 + 0.1 * rand());
        const g = bsGreeks({
          right,
          spot,
          strike,
          timeYears,
          rate: 0.04,
          dividendYield: 0.01,
          volatility: iv,
        });
        const mid = Math.max(0.01, g.price);
        const half = Math.max(0.01, mid * 0.02);
        const zeroVolume = rand() < 0.3;
        rows.push({
          time,
          collectionDate: date,
          contractId: u * CONTRACTS_PER + c + 1,
          collectionType: "eod",
          bidPrice: round(Math.max(0, mid - half), 2),
          askPrice: round(mid + half, 2),
          lastPrice: zeroVolume ? null : round(mid, 2),
          closePrice: round(mid, 2),
          bidSize: 1 + Math.floor(rand() * 200),
          askSize: 1 + Math.floor(rand() * 200),
          volume: zeroVolume ? 0 : Math.floor(rand() * 5000),
          openInterest: Math.floor(rand() * 40_000),
          delta: round(g.delta, 4),
          gamma: round(g.gamma, 4),
          theta: round(g.theta, 4),
          vega: round(g.vega, 4),
          rho: round(g.rho, 4),
          impliedVolatility: round(iv, 4),
          underlyingPrice: round(spot, 2),
          marketDataType: 2,
          greeksSource: "ib",
        });
      }
    }
  }
  return rows;
}

const UNDERLYINGS = 10;
const CONTRACTS_PER = 200;

/**
 * Lists generateQuotes' contracts in `db` (quotes are stored with their contract's underlying, so the contracts come
 * first) and returns the rows under the ids the contracts got there, with their underlying, before anything is timed.
 */
async function withStoredContracts(db: Queryable, rows: readonly QuoteRow[]): Promise<StoredQuoteRow[]> {
  const ids: number[] = [];
  const underlyings: number[] = [];
  for (let u = 0; u < UNDERLYINGS; u++) {
    const symbol = `BENCH${u}`;
    const underlyingId = await upsertUnderlying(db, { symbol, securityType: "STK" });
    const contracts: ContractRow[] = [];
    for (let c = 0; c < CONTRACTS_PER; c++) {
      const expiry = `2030-0${Math.floor(c / 50) + 1}-15`;
      const strike = round((50 + 60 * u) * (0.76 + 0.02 * Math.floor((c % 50) / 2)), 0);
      const right = c % 2 === 0 ? "C" : "P";
      const contractSymbol = occSymbol(symbol, expiry, right, strike);
      contracts.push({
        contractSymbol,
        underlyingId,
        strikePrice: strike,
        optionType: right,
        expirationDate: expiry,
      });
    }
    const stored = await upsertContracts(db, contracts);
    contracts.forEach((contract, c) => {
      ids[u * CONTRACTS_PER + c + 1] = stored.get(contract.contractSymbol)!;
      underlyings[u * CONTRACTS_PER + c + 1] = underlyingId;
    });
  }
  return rows.map((row) => ({
    ...row,
    contractId: ids[row.contractId]!,
    underlyingId: underlyings[row.contractId]!,
  }));
}

// ---------------------------------------------------------------- helpers
function dirSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(full) : fs.statSync(full).size;
  }
  return total;
}
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const perSecond = (rows: number, ms: number) => Math.round((rows / ms) * 1000);
const fmt = (n: number) => n.toLocaleString("en-US");

function sizes(dataDir: string): string {
  return `${mb(dirSize(dataDir))} (WAL ${mb(dirSize(path.join(dataDir, "pg_wal")))})`;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

// ---------------------------------------------------------------- engines
/** Opens PGlite on a data dir: chainvault's way, or with PostgreSQL's WAL defaults and no checkpoints. */
async function openPglite(dataDir: string, measures: boolean): Promise<Database> {
  if (measures) return openDatabase({ dataDir });
  fs.mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  return wrapPglite(pg as unknown as PgliteLike, {
    checkpointAfterWalBytes: Infinity,
    walCheckIntervalMs: 0,
  });
}

async function benchPglite(rows: QuoteRow[], measures: boolean): Promise<void> {
  const label = measures ? "pglite" : "pglite (PostgreSQL WAL defaults, no checkpoints)";
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bench-"));
  const dataDir = path.join(root, "data");
  try {
    let db = await openPglite(dataDir, measures);
    await migrate(db);
    rows = await withStoredContracts(db, rows);
    console.log(`${label}: data dir after migrate: ${sizes(dataDir)}`);
    const load = await timed(() => insertQuotes(db, rows));
    console.log(
      `${label}: insertQuotes ${fmt(load.result)} rows in ${(load.ms / 1000).toFixed(1)} s = ${fmt(perSecond(rows.length, load.ms))} rows/s`,
    );
    console.log(`${label}: after load: ${sizes(dataDir)}`);
    const count = await db.query<{ n: number }>("SELECT count(*) AS n FROM market_data_ticks");
    console.log(`${label}: after the first full read (${fmt(count.rows[0]!.n)} rows): ${sizes(dataDir)}`);
    const again = await timed(() => insertQuotes(db, rows));
    console.log(
      `${label}: same rows again (idempotent path) stored ${again.result} in ${(again.ms / 1000).toFixed(1)} s = ${fmt(perSecond(rows.length, again.ms))} rows/s`,
    );
    console.log(`${label}: after re-load: ${sizes(dataDir)}`);
    await db.close();
    console.log(`${label}: after close: ${sizes(dataDir)}`);
    db = await openPglite(dataDir, measures);
    const vacuum = await timed(async () => {
      await db.exec("VACUUM (ANALYZE) market_data_ticks");
      await db.exec("CHECKPOINT");
    });
    console.log(`${label}: after VACUUM + CHECKPOINT (${vacuum.ms.toFixed(0)} ms): ${sizes(dataDir)}`);
    await db.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function benchServer(generated: QuoteRow[]): Promise<void> {
  const server = await createServerDatabase();
  const file = path.join(os.tmpdir(), `chainvault-bench-${process.pid}.copy`);
  try {
    const db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    const rows = await withStoredContracts(db, generated);
    // The baseline reads exactly what insertQuotes would send.
    const text: string[] = [];
    for (const row of rows) {
      text.push(
        // Prices and greeks as the scaled integers the table stores (tick-columns.ts), the rest as they are.
        copyLine(QUOTE_COLUMNS.map((column) => fitValue(column.get(row), column.type))),
      );
    }
    fs.writeFileSync(file, text.join(""));
    console.log(`server: COPY text file for psql: ${mb(fs.statSync(file).size)}`);

    const ratios: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      await db.exec("TRUNCATE market_data_ticks; DROP TABLE IF EXISTS baseline_ticks");
      await db.exec("CREATE TABLE baseline_ticks (LIKE market_data_ticks INCLUDING ALL)");
      await db.exec("CHECKPOINT");
      // Alternate which goes first, so neither always gets the warmer (or the busier) machine.
      const runOurs = async () => {
        const result = await timed(() => insertQuotes(db, rows));
        await db.exec("CHECKPOINT");
        return result;
      };
      const runPsql = async () => {
        const start = performance.now();
        const psql = spawnSync(
          "psql",
          [
            server.url,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            `\\copy baseline_ticks (${QUOTE_COLUMN_NAMES.join(", ")}) FROM '${file}'`,
          ],
          { encoding: "utf8" },
        );
        const ms = performance.now() - start;
        if (psql.status !== 0) throw new Error(`psql \\copy failed: ${psql.stderr}`);
        await db.exec("CHECKPOINT");
        return ms;
      };
      let ours: { result: number; ms: number };
      let psqlMs: number;
      if (r % 2 === 1) {
        ours = await runOurs();
        psqlMs = await runPsql();
      } else {
        psqlMs = await runPsql();
        ours = await runOurs();
      }
      const ourRate = perSecond(rows.length, ours.ms);
      const psqlRate = perSecond(rows.length, psqlMs);
      ratios.push(ourRate / psqlRate);
      console.log(
        `server round ${r}: insertQuotes ${fmt(ours.result)} rows ${fmt(ourRate)} rows/s; psql \\copy ${fmt(psqlRate)} rows/s; ratio ${(ourRate / psqlRate).toFixed(2)}`,
      );
    }
    const again = await timed(() => insertQuotes(db, rows));
    console.log(
      `server: same rows again (idempotent path) stored ${again.result} = ${fmt(perSecond(rows.length, again.ms))} rows/s`,
    );
    const sorted = [...ratios].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `server: ratio to psql \\copy over ${ROUNDS} rounds: median ${median.toFixed(2)}, best ${sorted.at(-1)!.toFixed(2)} (goal >= 0.8)`,
    );
    await db.close();
  } finally {
    fs.rmSync(file, { force: true });
    await server.drop();
  }
}

// ---------------------------------------------------------------- main
const generated = await timed(async () => generateQuotes(TARGET_ROWS));
console.log(`generated ${fmt(generated.result.length)} quote rows in ${(generated.ms / 1000).toFixed(1)} s`);
if (!args["skip-server"]) await benchServer(generated.result);
if (!args["skip-pglite"]) {
  await benchPglite(generated.result, true);
  if (!args["skip-defaults"]) await benchPglite(generated.result, false);
}
