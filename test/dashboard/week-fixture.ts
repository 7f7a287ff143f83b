import { etInstant } from "../../src/calendar/index.ts";
import type { PlanOptions } from "../../src/schedule/index.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { Database } from "../../src/store/database.ts";
import {
  completeCollection,
  markCollectionMissed,
  startCollection,
} from "../../src/store/repositories/collection-status.ts";
import { recordDeadLetter } from "../../src/store/repositories/dead-letters.ts";
import { recordInstall } from "../../src/store/repositories/install.ts";
import { recordQualityIssues } from "../../src/store/repositories/quality-issues.ts";
import type { Harness } from "../collect/harness.ts";
import { symbolNames } from "../../src/config/symbols.ts";

/**
 * A week of the daemon's bookkeeping, written through the repositories the collector and the daemon use (a
 * full week of collections would take minutes): SPY and QQQ, EOD and analytics, Monday 9 to Friday 13 March
 * 2026, with Wednesday's EOD night missed for both, QQQ's Friday EOD partial and QQQ's Thursday analytics
 * dead-lettered. SPY's Friday EOD is a real collection against the simulator: the chain view shows it.
 */
export const WEEK = ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13"] as const;
export const CASES = {
  missed: { date: "2026-03-11", type: "eod" },
  partial: { date: "2026-03-13", symbol: "QQQ", type: "eod" },
  deadLettered: { date: "2026-03-12", symbol: "QQQ", type: "analytics" },
  chain: { date: "2026-03-13", symbol: "SPY", type: "eod" },
} as const;
export const SYMBOLS = ["SPY", "QQQ"];
/** Monday after the week, 10:00 in New York: the page's "now". */
export const NOW = etInstant("2026-03-16", "10:00");

const OFF = [
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
  "archive",
];

/** The plan the fixture was written for: EOD and analytics of SPY and QQQ. */
export function weekPlan(): PlanOptions {
  const config = configSchema.parse({
    symbols: SYMBOLS,
    schedule: {
      timezone: "Asia/Jerusalem",
      ...Object.fromEntries(OFF.map((slot) => [slot, { enabled: false }])),
    },
  });
  return { symbols: symbolNames(config.symbols), schedule: config.schedule };
}

/** The collection options of the fixture's SPY chain: a few expiries, every strike near the money. */
/** Eight strikes around the money per expiry: both sides, a forward and a smile, without the whole chain's cost. */
const NEAR_MONEY = { range: 0.02, min_strikes: 8 };
export const CHAIN_CONFIG = {
  selection: {
    mode: "window",
    max_days_to_expiry: 10,
    tiers: { low_iv: NEAR_MONEY, normal_iv: NEAR_MONEY, high_iv: NEAR_MONEY },
  },
  collect: { include_vix: false },
};

const RUN = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

export async function fillWeek(h: Harness): Promise<void> {
  const db: Database = h.db;
  await recordInstall(db, etInstant("2026-03-06", "18:00"), "daemon");
  h.sim.clock.set(etInstant(CASES.chain.date, "16:45"));
  const summary = await h.collect({ symbols: [CASES.chain.symbol], type: CASES.chain.type });
  if (summary.symbols[0]?.status !== "completed")
    throw new Error(`the fixture's SPY collection did not complete: ${JSON.stringify(summary.symbols[0])}`);
  let run = 0;
  for (const date of WEEK) {
    for (const symbol of SYMBOLS) {
      for (const type of ["analytics", "eod"]) {
        const key = { collectionDate: date, symbol, collectionType: type };
        const runId = RUN(++run);
        if (date === CASES.chain.date && symbol === CASES.chain.symbol && type === CASES.chain.type) continue;
        if (date === CASES.missed.date && type === CASES.missed.type) {
          await markCollectionMissed(
            db,
            key,
            etInstant(date, "16:45"),
            "not run by the next open: the daemon was down",
            runId,
          );
          continue;
        }
        if (
          date === CASES.deadLettered.date &&
          symbol === CASES.deadLettered.symbol &&
          type === CASES.deadLettered.type
        ) {
          await recordDeadLetter(db, {
            collectionDate: date,
            symbol,
            collectionType: type,
            category: "connectivity",
            errorMessage: "market data refused: a competing live session holds the account (10197)",
            attempts: 3,
            runId,
          });
          continue;
        }
        await startCollection(db, key, {
          runId,
          collectionTime: etInstant(date, type === "eod" ? "16:45" : "15:45"),
        });
        if (date === CASES.partial.date && symbol === CASES.partial.symbol && type === CASES.partial.type) {
          await completeCollection(db, key, {
            status: "partial",
            recordsCollected: 120,
            contractsListed: 400,
            contractsSelected: 200,
            errorMessage: "80 of 200 contracts never answered (snapshot timeout)",
          });
          await recordQualityIssues(db, [
            {
              collectionDate: date,
              symbol,
              collectionType: type,
              rule: "coverage",
              severity: "error",
              message: "coverage 60.0% is below 95%",
              details: { affected: 80 },
              runId,
            },
          ]);
          continue;
        }
        await completeCollection(db, key, {
          recordsCollected: 200,
          contractsListed: 400,
          contractsSelected: 200,
        });
      }
    }
  }
}
