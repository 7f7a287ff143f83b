import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { settlementOf, specOf, symbolEntryOf, tradesLastOn } from "../../src/config/symbols.ts";
import { processExpiry } from "../../src/daemon/maintenance.ts";
import { slotsForDate } from "../../src/schedule/index.ts";
import type { CollectionSummary } from "../../src/collect/summary.ts";
import { startHarness, type Harness } from "./harness.ts";

const DATE = "2025-01-15";
const MONTHLY = "2025-01-17";

describe("index options in the configuration", () => {
  it("accepts a plain ticker or { symbol, trading_classes, exercise }, with known index defaults", () => {
    const config = configSchema.parse({
      symbols: ["SPY", "SPX", { symbol: "NDX", trading_classes: ["NDXP"] }, { symbol: "RUT" }, "XSP"],
    });
    expect(config.symbols).toEqual([
      { symbol: "SPY", tradingClasses: null, exercise: "american" },
      { symbol: "SPX", tradingClasses: ["SPX", "SPXW"], exercise: "european" },
      { symbol: "NDX", tradingClasses: ["NDXP"], exercise: "european" },
      { symbol: "RUT", tradingClasses: ["RUT", "RUTW"], exercise: "european" },
      { symbol: "XSP", tradingClasses: ["XSP"], exercise: "european" },
    ]);
    // `config --show` writes them back in the file's form, which parses to the same specs.
    expect(config.symbols.map(symbolEntryOf)).toEqual([
      "SPY",
      "SPX",
      { symbol: "NDX", trading_classes: ["NDXP"], exercise: "european" },
      "RUT",
      "XSP",
    ]);
    expect(configSchema.parse({ symbols: config.symbols.map(symbolEntryOf) }).symbols).toEqual(
      config.symbols,
    );
    // A parsed configuration parses again to itself (tests and callers re-parse with overrides).
    expect(configSchema.parse(config).symbols).toEqual(config.symbols);
    expect(specOf(config.symbols, "TSLA")).toEqual({
      symbol: "TSLA",
      tradingClasses: null,
      exercise: "american",
    });
    expect(() => configSchema.parse({ symbols: [{ symbol: "SPX", classes: ["SPX"] }] })).toThrow(/classes/);
    expect(() => configSchema.parse({ symbols: [{ symbol: "SPX", exercise: "bermudan" }] })).toThrow();
  });

  it("settles SPX's third-Friday monthlies AM and every SPXW expiry PM", () => {
    expect(settlementOf("SPX", "SPX", MONTHLY)).toBe("AM");
    expect(settlementOf("SPX", "SPXW", MONTHLY)).toBe("PM");
    expect(settlementOf("SPX", "SPXW", "2025-01-16")).toBe("PM");
    expect(settlementOf("XSP", "XSP", MONTHLY)).toBe("PM");
    expect(settlementOf("SPY", "SPY", MONTHLY)).toBe("PM");
  });
});

/**
 * SPX end to end against the simulator (IB's greeks switched off, so the fallback model shows): both classes
 * discovered and stored with their own OCC roots, settlement and exercise style per contract, the index recorded
 * last-only, European Black–Scholes greeks, and box analytics per class of the shared third Friday.
 */
describe("SPX with both trading classes, end to end", () => {
  let h: Harness;
  let summary: CollectionSummary;

  beforeAll(async () => {
    h = await startHarness({
      engine: "pglite",
      start: { date: DATE, timeEt: "16:45" },
      sim: { frozenClock: true, faults: { greeklessOptionSymbols: ["*"] } },
      config: {
        symbols: ["SPX"],
        selection: {
          mode: "window",
          max_days_to_expiry: 2,
          tiers: {
            low_iv: { range: 0.01, min_strikes: 4 },
            normal_iv: { range: 0.01, min_strikes: 4 },
            high_iv: { range: 0.01, min_strikes: 4 },
          },
        },
        collect: { include_vix: false },
      },
    });
    summary = await h.collect({ symbols: ["SPX"], date: DATE });
  }, 120_000);
  afterAll(() => h?.close());

  it("collects SPX and SPXW, each contract under its class's OCC root with settlement and exercise style", async () => {
    expect(summary.symbols[0]).toMatchObject({ symbol: "SPX", status: "completed", coverage: 1 });
    const contracts = await h.db.query<{
      contract_symbol: string;
      trading_class: string;
      expiration_date: string;
      settlement: string;
      exercise_style: string;
    }>(
      `SELECT contract_symbol, trading_class, expiration_date, settlement, exercise_style FROM option_chains
        WHERE id IN (SELECT contract_id FROM market_data_ticks) ORDER BY contract_symbol`,
    );
    const classes = new Map<string, Set<string>>();
    for (const row of contracts.rows) {
      classes.set(row.trading_class, (classes.get(row.trading_class) ?? new Set()).add(row.expiration_date));
      expect(row.contract_symbol.slice(0, 6)).toBe(row.trading_class.padEnd(6));
      expect(row.settlement).toBe(row.trading_class === "SPX" ? "AM" : "PM");
      expect(row.exercise_style).toBe("european");
    }
    expect([...classes.get("SPX")!]).toEqual([MONTHLY]);
    expect([...classes.get("SPXW")!].sort()).toEqual(["2025-01-15", "2025-01-16", MONTHLY]);
    expect(contracts.rows.map((row) => row.contract_symbol)).toContain(
      contracts.rows.find((row) => row.trading_class === "SPXW" && row.expiration_date === MONTHLY)!
        .contract_symbol,
    );
    expect(contracts.rows.some((row) => /^SPXW {2}250117C0\d{7}$/.test(row.contract_symbol))).toBe(true);
    expect(contracts.rows.some((row) => /^SPX {3}250117P0\d{7}$/.test(row.contract_symbol))).toBe(true);
  });

  it("records the index last-only and fills greeks with European Black–Scholes", async () => {
    const tick = await h.db.query<{
      bid_price: string | null;
      ask_price: string | null;
      last_price: string | null;
    }>(
      `SELECT bid_price, ask_price, last_price FROM underlying_ticks t
         JOIN underlying_securities u ON u.id = t.underlying_id WHERE u.symbol = 'SPX'`,
    );
    expect(tick.rows).toHaveLength(1);
    expect(tick.rows[0]!.bid_price).toBeNull();
    expect(tick.rows[0]!.ask_price).toBeNull();
    expect(Number(tick.rows[0]!.last_price)).toBeGreaterThan(1000);
    const sources = await h.db.query<{ greeks_source: string | null; n: number }>(
      "SELECT greeks_source, count(*)::int AS n FROM market_data_ticks GROUP BY 1 ORDER BY 1",
    );
    const bySource = Object.fromEntries(sources.rows.map((row) => [row.greeks_source ?? "none", row.n]));
    expect(bySource.bs).toBeGreaterThan(20);
    expect(bySource.amer).toBeUndefined();
  });

  it("computes chain analytics per expiry and class: SPX and SPXW of the third Friday apart", async () => {
    const rows = await h.db.query<{
      expiry: string;
      trading_class: string;
      exercise_style: string;
      box_rates: unknown;
      years_to_expiry: number;
    }>(
      `SELECT expiry, trading_class, exercise_style, box_rates, years_to_expiry FROM expiry_analytics
        WHERE symbol = 'SPX' AND collection_date = $1 ORDER BY expiry, trading_class`,
      [DATE],
    );
    const keys = rows.rows.map((row) => `${row.expiry} ${row.trading_class}`);
    expect(keys).toEqual(expect.arrayContaining([`${MONTHLY} SPX`, `${MONTHLY} SPXW`]));
    for (const row of rows.rows) expect(row.exercise_style).toBe("european");
    const monthly = rows.rows.filter((row) => row.expiry === MONTHLY);
    // SPX's AM monthly settles on the expiry morning's open: its time runs 6.5 hours shorter than SPXW's (each
    // measured from its own quotes' median time, which differ by the moments the snapshots took).
    const [am, pm] = ["SPX", "SPXW"].map((cls) => monthly.find((row) => row.trading_class === cls)!);
    expect((pm!.years_to_expiry - am!.years_to_expiry) * 365 * 24).toBeCloseTo(6.5, 1);
    for (const row of monthly) {
      const boxes = row.box_rates as { width: string | number; pairs: number; mid_rate: number | null }[];
      const adjacent = boxes.find((box) => box.width === "adjacent")!;
      expect(adjacent.pairs).toBeGreaterThan(2);
      expect(adjacent.mid_rate).not.toBeNull();
    }
  });
});

/**
 * SPX's AM-settled monthlies stop trading the session before their expiry morning: the settlement collection of
 * that Thursday takes them with the SPXW dailies expiring that day, Friday's takes only the PM-settled SPXW, and
 * expiry processing counts the Thursday snapshot as the AM contracts' expiry-day data.
 */
describe("SPX AM-settled monthlies on their last trading day", () => {
  let h: Harness;
  const THURSDAY = "2025-01-16";
  const storedClasses = async (type: string, date: string) =>
    (
      await h.db.query<{ trading_class: string; expiration_date: string }>(
        `SELECT DISTINCT c.trading_class, c.expiration_date::text AS expiration_date
           FROM market_data_ticks t JOIN option_chains c ON c.id = t.contract_id
          WHERE t.collection_type = $1 AND t.collection_date = $2 ORDER BY 1, 2`,
        [type, date],
      )
    ).rows.map((row) => `${row.trading_class} ${row.expiration_date}`);

  beforeAll(async () => {
    h = await startHarness({
      engine: "postgres",
      start: { date: THURSDAY, timeEt: "15:59" },
      sim: { frozenClock: true },
      config: { symbols: ["SPX"], collect: { include_vix: false } },
    });
  }, 120_000);
  afterAll(() => h?.close());

  it("collects the SPX monthlies of Friday in Thursday's settlement snapshot, beside Thursday's SPXW", async () => {
    const summary = await h.collect({ symbols: ["SPX"], date: THURSDAY, type: "settlement" });
    expect(summary.symbols[0]).toMatchObject({ symbol: "SPX", status: "completed" });
    expect(await storedClasses("settlement", THURSDAY)).toEqual([`SPX ${MONTHLY}`, `SPXW ${THURSDAY}`]);
    const check = await processExpiry(h.db, MONTHLY);
    // The AM contracts snapshotted on Thursday (the selection's strikes) have their last look; Friday's SPXW and
    // the AM strikes outside the selection were never collected here.
    const amIds = await h.db.query<{ id: number }>(
      `SELECT DISTINCT c.id FROM option_chains c JOIN market_data_ticks t ON t.contract_id = c.id
        WHERE c.trading_class = 'SPX' AND c.expiration_date = $1 AND t.collection_date = $2`,
      [MONTHLY, THURSDAY],
    );
    expect(amIds.rows.length).toBeGreaterThan(0);
    for (const { id } of amIds.rows) expect(check.uncollected).not.toContain(Number(id));
    expect(check.collected).toBe(amIds.rows.length);
    expect(check.uncollected.length).toBe(check.expired - amIds.rows.length);
  });

  it("plans SPX's pre-expiry and settlement on that Thursday, and no SPY pre-expiry", () => {
    const slots = slotsForDate(THURSDAY, {
      symbols: ["SPY", "SPX"],
      schedule: h.config.schedule,
      zone: "UTC",
    })
      .filter((slot) => slot.type === "pre_expiry" || slot.type === "settlement")
      .map((slot) => `${slot.type} ${slot.symbol}`);
    expect(slots).toEqual(["pre_expiry SPX", "settlement SPX"]);
    expect(tradesLastOn("SPX", "SPX", MONTHLY, THURSDAY)).toBe(true);
    expect(tradesLastOn("SPX", "SPXW", MONTHLY, THURSDAY)).toBe(false);
    expect(tradesLastOn("SPY", "SPY", MONTHLY, MONTHLY)).toBe(true);
  });
});
