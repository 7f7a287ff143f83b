/**
 * Archive size benchmark on the server engine. `--source sim` (default): the simulated gateway's market
 * (src/sim/market: a random-walk underlying, a volatility surface, model prices and greeks, open interest and
 * volume per contract) quoted at the analytics (15:45) and EOD (16:15) snapshots of every trading day, for the
 * contracts within --max-dte days and --moneyness of the spot, written through the repositories; `--source
 * synthetic`: test/helpers/synthetic-chains.ts, whose prices and greeks are independent pseudo-random numbers per
 * row (a worst case for any compressor). Rows are stored in market_data_ticks / underlying_ticks, against the same rows archived by `chainvault archive
 * run` as monthly zstd Parquet. Prints the row store's size with its indexes (pg_total_relation_size: heap, TOAST,
 * the unique key and the time index), the archive's bytes, the ratio (goal ≥ 10) and the time to write and to
 * verify the archive.
 *
 *   npx tsx bench/archive.ts [--source sim|synthetic] [--days 42] [--symbols SPY,PLTR,TSLA]
 *                            [--max-dte 60] [--moneyness 0.15] (sim) [--expiries 8] [--strikes 40] (synthetic)
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
import type { Database } from "../src/store/database.ts";
import { ARCHIVE_TABLES } from "../src/store/reads/archive-reads.ts";
import { upsertContracts } from "../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../src/store/repositories/quotes.ts";
import { simulatedQuoteRow } from "./simulated-quote-row.ts";
import { insertUnderlyingTicks } from "../src/store/repositories/underlying-ticks.ts";
import { upsertUnderlying } from "../src/store/repositories/underlying-securities.ts";
import { SyntheticMarket } from "../src/sim/market/synthetic-market.ts";
import { etInstant } from "../src/calendar/index.ts";
import { createServerDatabase } from "../test/helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../test/helpers/synthetic-chains.ts";

const { values: args } = parseArgs({
  options: {
    days: { type: "string", default: "42" },
    symbols: { type: "string", default: "SPY,PLTR,TSLA" },
    expiries: { type: "string", default: "8" },
    strikes: { type: "string", default: "40" },
    source: { type: "string", default: "sim" },
    "max-dte": { type: "string", default: "60" },
    moneyness: { type: "string", default: "0.15" },
  },
});

const SNAPSHOTS = { analytics: "15:45", eod: "16:15" } as const;

/** The simulated gateway's quotes for each day's two snapshots, stored as a collection would store them. */
async function seedFromSimulator(
  db: Database,
  symbols: readonly string[],
  days: readonly string[],
  maxDte: number,
  moneyness: number,
): Promise<number> {
  const market = new SyntheticMarket(42);
  let total = 0;
  for (const symbol of symbols) {
    const underlyingId = await upsertUnderlying(db, { symbol, securityType: "STK" });
    for (const date of days) {
      for (const [type, timeEt] of Object.entries(SNAPSHOTS)) {
        const time = etInstant(date, timeEt);
        const spot = market.spot(symbol, time);
        const limit = Date.parse(`${date}T00:00:00Z`) + maxDte * 86_400_000;
        const contracts = market
          .chain(symbol, date)
          .filter(
            (contract) =>
              Date.parse(`${contract.expiry}T00:00:00Z`) <= limit &&
              Math.abs(contract.strike / spot - 1) <= moneyness,
          );
        const ids = await upsertContracts(
          db,
          contracts.map((contract) => ({
            contractSymbol: contract.localSymbol,
            underlyingId,
            strikePrice: contract.strike,
            optionType: contract.right,
            expirationDate: contract.expiry,
            ibConId: contract.conId,
            tradingClass: contract.tradingClass,
            multiplier: contract.multiplier,
          })),
        );
        const underlying = market.underlyingQuote(symbol, time);
        await insertUnderlyingTicks(db, [
          {
            underlyingId,
            time,
            collectionDate: date,
            collectionType: type,
            bidPrice: underlying.bid ?? null,
            askPrice: underlying.ask ?? null,
            lastPrice: underlying.last,
            closePrice: underlying.close,
            bidSize: underlying.bidSize ?? null,
            askSize: underlying.askSize ?? null,
            volume: underlying.volume ?? null,
            impliedVolatility: underlying.impliedVol,
            historicalVolatility: underlying.historicalVol,
            marketDataType: 1,
          },
        ]);
        const quotes = contracts.map((contract) =>
          simulatedQuoteRow(market.optionQuote(contract, time), {
            contractId: ids.get(contract.localSymbol)!,
            time,
            collectionDate: date,
            collectionType: type,
          }),
        );
        total += await insertQuotes(db, quotes);
      }
    }
  }
  return total;
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MiB`;

const server = await createServerDatabase();
const db = await openDatabase({ url: server.url, dataDir: "unused" });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bench-archive-"));
try {
  await migrate(db);
  const days = tradingDaysFrom("2026-09-01", Number(args.days));
  const symbols = args.symbols.split(",");
  const rows =
    args.source === "sim"
      ? await seedFromSimulator(db, symbols, days, Number(args["max-dte"]), Number(args.moneyness))
      : await seedSyntheticChains(db, {
          symbols,
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
    `data (${args.source}): ${days.length} trading days (${days[0]}..${days.at(-1)}), ${args.symbols}, ` +
      (args.source === "sim"
        ? `expiries within ${args["max-dte"]} days, strikes within ${Number(args.moneyness) * 100}% of the spot`
        : `${args.expiries} expiries x ${args.strikes} strikes`) +
      `: ${rows} quote rows; ${archivedRows} rows archived in ${run.written.length} files`,
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
