/**
 * Query benchmark on the server engine: synthetic chains shaped like the simulator's (weekly expiries, strikes
 * around the spot, both rights, an analytics 15:45 and an eod snapshot each day) for N trading days × symbols,
 * then the latency of the two reads a backtest makes most:
 *   - "chain": the chain of one symbol at one snapshot (the API's chainQuotes, and the chain_quotes view);
 *   - "history": one contract's quotes over the whole range (the API's contractQuotes, and the view).
 * Prints P50/P95/max over --samples random picks and the goals (P95 ≤ 5 ms and ≤ 10 ms).
 *
 *   npx tsx bench/query.ts [--days 252] [--symbols SPY,QQQ,IWM] [--expiries 8] [--strikes 60] [--samples 300]
 *
 * Server URL: CHAINVAULT_TEST_PG_URL (a fresh database is created and dropped; --keep leaves it and prints it;
 * --reuse URL measures such a kept database again without seeding).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import type { Database } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { chainQuotes, contractQuotes } from "../src/store/reads/chain-reads.ts";
import { ContractCache } from "../src/store/reads/contract-cache.ts";
import { createServerDatabase } from "../test/helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../test/helpers/synthetic-chains.ts";

const { values: args } = parseArgs({
  options: {
    days: { type: "string", default: "252" },
    symbols: { type: "string", default: "SPY,QQQ,IWM" },
    expiries: { type: "string", default: "8" },
    strikes: { type: "string", default: "60" },
    samples: { type: "string", default: "300" },
    keep: { type: "boolean", default: false },
    reuse: { type: "string" },
  },
});
const SYMBOLS = args.symbols.split(",");
const SAMPLES = Number(args.samples);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(
  name: string,
  goalMs: number,
  pick: () => unknown[],
  run: (params: unknown[]) => Promise<number>,
): Promise<void> {
  // Warm-up: the first calls plan and load pages; a backtest makes thousands.
  for (let i = 0; i < 10; i += 1) await run(pick());
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < SAMPLES; i += 1) {
    const params = pick();
    const start = performance.now();
    rows += await run(params);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const p95 = percentile(times, 95);
  console.log(
    `${name.padEnd(44)} P50 ${percentile(times, 50).toFixed(2)} ms  P95 ${p95.toFixed(2)} ms  max ${times.at(-1)!.toFixed(2)} ms` +
      `  (${(rows / SAMPLES).toFixed(0)} rows each; goal P95 ≤ ${goalMs} ms: ${p95 <= goalMs ? "met" : "NOT met"})`,
  );
}

async function main(): Promise<void> {
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((load) => load.toFixed(1))
      .join(" ")} (${os.cpus().length} cores)`,
  );
  // --reuse measures a database an earlier --keep run seeded (same --days and --symbols) and leaves it.
  const server =
    args.reuse === undefined ? await createServerDatabase() : { url: args.reuse, drop: async () => {} };
  let db: Database | null = null;
  try {
    db = await openDatabase({ url: server.url, dataDir: "unused", poolSize: 2 });
    await migrate(db);
    const days = tradingDaysFrom("2025-12-01", Number(args.days));
    const started = performance.now();
    let written = 0;
    if (args.reuse === undefined)
      await seedSyntheticChains(db, {
        symbols: SYMBOLS,
        days,
        expiries: Number(args.expiries),
        strikes: Number(args.strikes),
        leap: true,
        onDay: (date, rows) => {
          written += rows;
          if (days.indexOf(date) % 21 === 20) {
            const seconds = (performance.now() - started) / 1000;
            console.log(`  seeded ${date}: ${written} rows in ${seconds.toFixed(0)} s`);
          }
        },
      });
    // The seeding upserts every listed contract every day (as the collector does), and in two minutes autovacuum
    // cannot keep up as it does over a real year: option_chains would be ~30× its live size (82 MB for 26k rows)
    // and the planner would scan it whole. Compacting it gives the steady state of a year of nightly runs.
    if (args.reuse === undefined) {
      await db.exec("VACUUM FULL option_chains");
      await db.exec("VACUUM ANALYZE");
    } else
      written = Number(
        (await db.query<{ n: string }>("SELECT count(*) AS n FROM market_data_ticks")).rows[0]!.n,
      );
    const size = await db.query<{ size: string }>(
      "SELECT pg_size_pretty(pg_total_relation_size('market_data_ticks')) AS size",
    );
    console.log(
      `data: ${days.length} trading days × ${SYMBOLS.join(",")} × (${args.expiries} weekly + 1 LEAP) expiries × ${args.strikes} strikes × 2 rights × 2 snapshots` +
        ` = ${written} quotes (market_data_ticks ${size.rows[0]!.size}), seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );

    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pickSnapshot = () => [
      SYMBOLS[Math.floor(next() * SYMBOLS.length)]!,
      days[Math.floor(next() * days.length)]!,
      next() < 0.5 ? "eod" : "analytics",
    ];
    // Contracts listed on the first day: their history spans from then to expiry; the longest-lived expire last.
    const contracts = (
      await db.query<{ occ: string }>(
        `SELECT DISTINCT occ_symbol AS occ FROM chain_quotes WHERE collection_date = $1 AND collection_type = 'eod'
          ORDER BY occ LIMIT 2000`,
        [days[0]],
      )
    ).rows.map((row) => row.occ);
    const longLived = (
      await db.query<{ occ: string }>(
        `SELECT c.contract_symbol AS occ FROM option_chains c
          ORDER BY (SELECT count(*) FROM market_data_ticks q WHERE q.contract_id = c.id) DESC LIMIT 200`,
      )
    ).rows.map((row) => row.occ);
    const pickContract = () => [contracts[Math.floor(next() * contracts.length)]!];
    const pickLongLived = () => [longLived[Math.floor(next() * longLived.length)]!];
    const historyRows = await db.query<{ n: number }>(
      `SELECT count(*) AS n FROM chain_quotes WHERE occ_symbol = $1`,
      [longLived[0]],
    );
    console.log(`the longest contract history: ${historyRows.rows[0]!.n} quotes`);
    const database = db;

    // The library API (openVault) keeps one ContractCache per vault. A backtest reads day after day, so after the
    // first days it asks the server only for quotes: measured once the vault has read the year (the steady state),
    // and below with the contracts read on every call (a vault's first reads).
    const contractCache = new ContractCache();
    for (const date of days) {
      for (const symbol of SYMBOLS)
        await chainQuotes(database, { symbol, date, collectionType: "eod" }, contractCache);
    }
    await measure(
      "chain at one snapshot (API, contracts cached)",
      5,
      pickSnapshot,
      async ([symbol, date, type]) =>
        (
          await chainQuotes(
            database,
            { symbol: symbol as string, date: date as string, collectionType: type as string },
            contractCache,
          )
        ).length,
    );
    await measure(
      "chain at one snapshot (contracts read each time)",
      5,
      pickSnapshot,
      async ([symbol, date, type]) =>
        (
          await chainQuotes(database, {
            symbol: symbol as string,
            date: date as string,
            collectionType: type as string,
          })
        ).length,
    );
    await measure(
      "chain at one snapshot (view chain_quotes)",
      5,
      pickSnapshot,
      async (params) =>
        (
          await database.query(
            `SELECT * FROM chain_quotes WHERE underlying_symbol = $1 AND collection_date = $2 AND collection_type = $3`,
            params,
          )
        ).rowCount,
    );
    await measure("contract history (API contractQuotes)", 10, pickLongLived, async ([occ]) => {
      const history = await contractQuotes(database, occ as string);
      return history?.quotes.length ?? 0;
    });
    await measure(
      "contract history (view chain_quotes)",
      10,
      pickLongLived,
      async (params) =>
        (await database.query(`SELECT * FROM chain_quotes WHERE occ_symbol = $1 ORDER BY quote_time`, params))
          .rowCount,
    );
    await measure(
      "contract history, any contract (view chain_daily)",
      10,
      pickContract,
      async (params) =>
        (await database.query(`SELECT * FROM chain_daily WHERE occ_symbol = $1 ORDER BY quote_date`, params))
          .rowCount,
    );
    console.log(
      `load average at end: ${os
        .loadavg()
        .map((load) => load.toFixed(1))
        .join(" ")}`,
    );
  } finally {
    await db?.close();
    if (args.keep || args.reuse !== undefined) console.log(`kept: ${server.url}`);
    else await server.drop();
  }
}

await main();
