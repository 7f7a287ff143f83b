import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import type { CollectionSummary } from "../../src/collect/summary.ts";
import { TEST_ENGINES } from "../helpers/db.ts";
import { startHarness } from "./harness.ts";
import type { Harness } from "./harness.ts";

// Mon 13 – Fri 17 January 2025 (a monthly expiry), then Tue 21 (Monday 20 is Martin Luther King Jr. Day).
const DAYS = ["2025-01-13", "2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-21"];
const EXPIRY = "2025-01-17";
// A weekly listed during the week: the simulator lists PLTR's 14 February expiry on 17 January.
const NEW_EXPIRY = "2025-02-14";

describe.each(TEST_ENGINES)("a simulated week of daily EOD runs (%s)", (engine) => {
  let h: Harness;
  const summaries = new Map<string, CollectionSummary>();
  beforeAll(async () => {
    h = await startHarness({
      engine,
      start: { date: DAYS[0]!, timeEt: "16:45" },
      sim: { frozenClock: true },
      config: { selection: { mode: "all", max_days_to_expiry: 40 }, collect: { include_vix: false } },
    });
    for (const day of DAYS) {
      h.sim.clock.set(etInstant(day, "16:45"));
      summaries.set(day, await h.collect({ symbols: ["PLTR"] }));
    }
  }, 240_000);
  afterAll(async () => {
    await h?.close();
  });

  it("completes every day with full coverage, on the gateway's date", () => {
    for (const day of DAYS) {
      const summary = summaries.get(day)!;
      expect(summary.date).toBe(day);
      expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    }
  });

  it("reports new listings (new expiries and strikes) and records the day each was first seen", async () => {
    const first = summaries.get(DAYS[0]!)!.symbols[0]!;
    expect(first.new_listings).toBe(first.contracts_discovered);
    const seen = new Set<number>();
    const withinHorizon = (day: string) =>
      h.sim.market
        .chain("PLTR", day)
        .filter((contract) => Date.parse(contract.expiry) - Date.parse(day) <= 40 * 86_400_000);
    for (const contract of withinHorizon(DAYS[0]!)) seen.add(contract.conId);
    let later = 0;
    for (const day of DAYS.slice(1)) {
      const fresh = withinHorizon(day)
        .filter((contract) => !seen.has(contract.conId))
        .map((contract) => contract.conId);
      for (const conId of fresh) seen.add(conId);
      const stored = await h.db.query<{ ib_con_id: string }>(
        `SELECT c.ib_con_id FROM option_contract_lifecycle l JOIN option_chains c ON c.id = l.contract_id
          WHERE l.first_seen = $1 ORDER BY c.ib_con_id`,
        [day],
      );
      expect(stored.rows.map((row) => Number(row.ib_con_id))).toEqual(fresh.sort((a, b) => a - b));
      expect(summaries.get(day)!.symbols[0]!.new_listings).toBe(fresh.length);
      later += fresh.length;
    }
    expect(later).toBeGreaterThan(0);
    // The 14 February weekly is listed on Friday 17 January.
    const weekly = await h.db.query<{ first_seen: string }>(
      `SELECT min(l.first_seen)::text AS first_seen FROM option_contract_lifecycle l
         JOIN option_chains c ON c.id = l.contract_id WHERE c.expiration_date = $1`,
      [NEW_EXPIRY],
    );
    expect(weekly.rows[0]?.first_seen).toBe(EXPIRY);
  });

  it("marks the expiring contracts expiry_collected on their expiry day, then expired", async () => {
    const lifecycle = await h.db.query<{
      status: string;
      expiry_collected: boolean;
      last_seen: string;
      n: string;
    }>(
      `SELECT l.status, l.expiry_collected, l.last_seen::text AS last_seen, count(*) AS n FROM option_contract_lifecycle l
         JOIN option_chains c ON c.id = l.contract_id WHERE c.expiration_date = $1 GROUP BY 1, 2, 3`,
      [EXPIRY],
    );
    expect(lifecycle.rows).toHaveLength(1);
    expect(lifecycle.rows[0]).toMatchObject({ status: "expired", expiry_collected: true, last_seen: EXPIRY });
    const quotes = await h.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM market_data_ticks q JOIN option_chains c ON c.id = q.contract_id
        WHERE c.expiration_date = $1 AND q.collection_date = $1`,
      [EXPIRY],
    );
    expect(quotes.rows[0]?.n).toBe(lifecycle.rows[0]?.n);
    const later = await h.db.query<{ status: string; expiry_collected: boolean }>(
      `SELECT DISTINCT l.status, l.expiry_collected FROM option_contract_lifecycle l
         JOIN option_chains c ON c.id = l.contract_id WHERE c.expiration_date > $1`,
      [DAYS.at(-1)],
    );
    expect(later.rows).toEqual([{ status: "listed", expiry_collected: false }]);
  });

  it("stores one row per contract and trading day, and none on the holiday", async () => {
    const perDay = await h.db.query<{ day: string; n: string; contracts: string }>(
      `SELECT collection_date::text AS day, count(*) AS n, count(DISTINCT contract_id) AS contracts
         FROM market_data_ticks GROUP BY 1 ORDER BY 1`,
    );
    expect(perDay.rows.map((row) => row.day)).toEqual(DAYS);
    for (const row of perDay.rows) expect(row.n).toBe(row.contracts);
  });
});
