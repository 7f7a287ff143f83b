/**
 * Dashboard benchmark: a year of data for 4 symbols (EOD and analytics snapshots of 200 contracts a day each,
 * every slot's status row), then the page loaded in Debian's chromium (puppeteer-core) until each view has
 * drawn, against a baseline measured in the same run: the raw fetch of the JSON that view reads.
 *
 *   npx tsx bench/dashboard.ts [--engine postgres|pglite] [--rounds 7]
 *
 * Goal: each view loads in under 1 s. Server URL: CHAINVAULT_TEST_PG_URL (a fresh database, dropped after).
 */
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { addDays, etInstant, isTradingDay } from "../src/calendar/index.ts";
import type { IsoDate } from "../src/calendar/index.ts";
import { occSymbol } from "../src/collect/occ.ts";
import { configSchema } from "../src/config/schema.ts";
import { symbolNames } from "../src/config/symbols.ts";
import { ManualClock } from "../src/core/clock.ts";
import { startDashboardServer } from "../src/dashboard/server.ts";
import { createLogger } from "../src/logger.ts";
import { bsGreeks } from "../src/pricing/black-scholes.ts";
import type { Database } from "../src/store/database.ts";
import { completeCollection, startCollection } from "../src/store/repositories/collection-status.ts";
import { recordInstall } from "../src/store/repositories/install.ts";
import { upsertContracts } from "../src/store/repositories/option-chains.ts";
import type { ContractRow } from "../src/store/repositories/option-chains.ts";
import { insertQuotes } from "../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../src/store/repositories/quotes.ts";
import { upsertUnderlying } from "../src/store/repositories/underlying-securities.ts";
import { openTestDatabase } from "../test/helpers/db.ts";
import type { TestEngine } from "../test/helpers/db.ts";

const { values: args } = parseArgs({
  options: {
    engine: { type: "string", default: "postgres" },
    rounds: { type: "string", default: "7" },
    chromium: { type: "string", default: process.env.CHAINVAULT_CHROMIUM ?? "/usr/bin/chromium" },
  },
});
const ROUNDS = Number(args.rounds);
const SYMBOLS = [
  { symbol: "SPY", spot: 560, vol: 0.15 },
  { symbol: "QQQ", spot: 480, vol: 0.2 },
  { symbol: "IWM", spot: 210, vol: 0.22 },
  { symbol: "PLTR", spot: 80, vol: 0.55 },
];
const LAST_DAY: IsoDate = "2026-03-13";
const NOW = etInstant("2026-03-16", "10:00");
const TYPES = [
  { type: "analytics", time: "15:45" },
  { type: "eod", time: "16:45" },
];

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

function yearOfTradingDays(last: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  for (let date = addDays(last, -364); date <= last; date = addDays(date, 1))
    if (isTradingDay(date)) days.push(date);
  return days;
}

/** The next four Fridays after `date`. */
function expiriesAfter(date: IsoDate): IsoDate[] {
  const out: IsoDate[] = [];
  for (let day = addDays(date, 1); out.length < 4; day = addDays(day, 1))
    if (new Date(`${day}T12:00:00Z`).getUTCDay() === 5) out.push(day);
  return out;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

async function fillYear(db: Database): Promise<{ quotes: number; days: number }> {
  const rand = random(13);
  const days = yearOfTradingDays(LAST_DAY);
  await recordInstall(db, etInstant(days[0]!, "06:00"), "daemon");
  let quotes = 0;
  for (const { symbol, spot: start, vol } of SYMBOLS) {
    const underlyingId = await upsertUnderlying(db, { symbol, securityType: "ETF" });
    const step = start >= 200 ? 5 : 1;
    let spot = start;
    for (const date of days) {
      spot *= Math.exp(vol * Math.sqrt(1 / 252) * (rand() * 2 - 1) * 1.7);
      const center = Math.round(spot / step) * step;
      const contracts: ContractRow[] = [];
      for (const expiry of expiriesAfter(date))
        for (let k = -12; k <= 12; k++)
          for (const right of ["C", "P"] as const) {
            const strike = center + k * step;
            contracts.push({
              contractSymbol: occSymbol(symbol, expiry, right, strike),
              underlyingId,
              strikePrice: strike,
              optionType: right,
              expirationDate: expiry,
            });
          }
      const ids = await upsertContracts(db, contracts);
      for (const { type, time } of TYPES) {
        const at = etInstant(date, time);
        const rows: QuoteRow[] = contracts.map((contract) => {
          const years =
            (Date.parse(`${contract.expirationDate}T20:00:00Z`) - at.getTime()) / (365 * 86_400_000);
          const moneyness = Math.log(contract.strikePrice / spot);
          const iv = vol * (1 - 0.8 * moneyness + 2 * moneyness * moneyness);
          const greeks = bsGreeks({
            right: contract.optionType,
            spot,
            strike: contract.strikePrice,
            timeYears: Math.max(years, 1 / 365),
            rate: 0.04,
            dividendYield: 0.01,
            volatility: iv,
          });
          const half = Math.max(0.01, greeks.price * 0.01);
          return {
            contractId: ids.get(contract.contractSymbol)!,
            time: at,
            collectionDate: date,
            collectionType: type,
            bidPrice: round(Math.max(0, greeks.price - half), 2),
            askPrice: round(greeks.price + half, 2),
            bidSize: 1 + Math.floor(rand() * 200),
            askSize: 1 + Math.floor(rand() * 200),
            impliedVolatility: round(iv, 4),
            delta: round(greeks.delta, 4),
            gamma: round(greeks.gamma, 6),
            openInterest: Math.floor(rand() * 5000),
            underlyingPrice: round(spot, 2),
            marketDataType: 1,
            greeksSource: "bs",
          };
        });
        quotes += await insertQuotes(db, rows);
        const key = { collectionDate: date, symbol, collectionType: type };
        await startCollection(db, key, { collectionTime: at });
        await completeCollection(db, key, {
          recordsCollected: rows.length,
          contractsListed: rows.length,
          contractsSelected: rows.length,
        });
      }
    }
  }
  return { quotes, days: days.length };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const engine = args.engine as TestEngine;
  const { db, drop } = await openTestDatabase(engine);
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const loadStarted = performance.now();
    const { quotes, days } = await fillYear(db);
    console.log(
      `${engine}: ${SYMBOLS.length} symbols × ${days} trading days × ${TYPES.length} snapshots: ${quotes} quotes ` +
        `loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
    );
    const plan = configSchema.parse({
      symbols: SYMBOLS.map((s) => s.symbol),
      schedule: Object.fromEntries(
        [
          "pre_market",
          "weekly_discovery",
          "pre_expiry",
          "settlement",
          "monthly_discovery",
          "expiry_processing",
          "post_expiry",
          "gap_check",
          "weekend_review",
          "weekend_prep",
        ].map((slot) => [slot, { enabled: false }]),
      ),
    });
    const server = await startDashboardServer({
      host: "127.0.0.1",
      port: 0,
      db,
      plan: { symbols: symbolNames(plan.symbols), schedule: plan.schedule },
      clock: new ManualClock(NOW),
      logger: createLogger({ level: "error" }),
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 900 });
      await page.setCacheEnabled(false);
      const chainQuery = `symbol=SPY&date=${LAST_DAY}&type=eod`;
      const views = [
        { name: "health", url: `/?r=ROUND#health`, ready: "body[data-health=ready]", json: ["/api/health"] },
        {
          name: "chain",
          url: `/?r=ROUND#chain?${chainQuery}`,
          ready: "body[data-chain=ready]",
          json: ["/api/snapshots", `/api/chain?${chainQuery}`],
        },
      ];
      console.log(
        `view     page load (median of ${ROUNDS})  raw JSON fetch (baseline)  ratio  goal < 1000 ms`,
      );
      for (const view of views) {
        const loads: number[] = [];
        const fetches: number[] = [];
        for (let roundNo = 0; roundNo <= ROUNDS; roundNo++) {
          const started = performance.now();
          await page.goto(`${server.url}${view.url.replace("ROUND", String(roundNo))}`);
          await page.waitForSelector(view.ready);
          const loaded = performance.now() - started;
          const fetchStarted = performance.now();
          for (const path of view.json) await (await fetch(`${server.url}${path}`)).json();
          const fetched = performance.now() - fetchStarted;
          // The first round warms the caches (the database's, the assets'): not counted.
          if (roundNo > 0) {
            loads.push(loaded);
            fetches.push(fetched);
          }
        }
        const load = median(loads);
        const base = median(fetches);
        console.log(
          `${view.name.padEnd(8)} ${load.toFixed(0).padStart(8)} ms ${base.toFixed(0).padStart(24)} ms ` +
            `${(load / base).toFixed(2).padStart(9)}  ${load < 1000 ? "met" : "MISSED"}`,
        );
      }
    } finally {
      await server.close();
    }
  } finally {
    await browser.close();
    await drop();
  }
}

await main();
