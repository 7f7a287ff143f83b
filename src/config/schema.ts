import { z } from "zod";

/**
 * chainvault.yaml, validated. Every setting has a default so no file is needed.
 * Sections are strict: an unknown key is an error that names the key and the file.
 * Keys are snake_case as they appear in YAML.
 */

const database = z
  .object({
    /** postgres://… of a PostgreSQL/TimescaleDB server; unset means the embedded PGlite engine. Prefer DATABASE_URL. */
    url: z.string().min(1).optional(),
    /** Where the embedded engine keeps its files. */
    data_dir: z.string().min(1).default("./data"),
    pool_size: z.number().int().min(1).max(100).default(5),
  })
  .strict();

const ib = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(7497),
    client_id: z.number().int().min(0).default(17),
    /** Stay under IB's 50 messages/s. */
    max_messages_per_second: z.number().positive().max(1000).default(45),
    /** Stay under IB's 100 market-data lines (shared with TWS watchlists). */
    max_market_data_lines: z.number().int().min(1).max(10000).default(95),
  })
  .strict();

/** Strike-window tier: the window holds strikes within ±range of the underlying price, widened to min_strikes. */
const selectionTier = (range: number, minStrikes: number) =>
  z
    .object({
      /** Half-width of the window as a fraction of the underlying price (0.15 = ±15 %). */
      range: z.number().positive().max(10).default(range),
      /** Fewest strikes per expiry; the nearest strikes to the money are added when the window holds fewer. */
      min_strikes: z.number().int().min(0).max(100_000).default(minStrikes),
    })
    .strict();
const lowIvTier = selectionTier(0.15, 11);
const normalIvTier = selectionTier(0.25, 21);
const highIvTier = selectionTier(0.35, 31);
const selectionTiers = z
  .object({
    low_iv: lowIvTier.default(lowIvTier.parse({})),
    normal_iv: normalIvTier.default(normalIvTier.parse({})),
    high_iv: highIvTier.default(highIvTier.parse({})),
  })
  .strict();

/** Which contracts of a chain are collected (ADR-001 "Dynamic Strike Selection"; see src/collect/selection.ts). */
const selection = z
  .object({
    /** "window": strikes around the money by IV tier plus liquid and unusually active ones; "all": the whole chain. */
    mode: z.enum(["window", "all"]).default("window"),
    /** The underlying's IV below this uses the low_iv tier (0.20 = 20 %). */
    low_iv_below: z.number().positive().max(10).default(0.2),
    /** The underlying's IV above this uses the high_iv tier; between the two (inclusive), normal_iv. */
    high_iv_above: z.number().positive().max(10).default(0.4),
    tiers: selectionTiers.default(selectionTiers.parse({})),
    /** A window strike beyond the minimum count is kept for an ETF or index if its open interest reaches this… */
    etf_min_open_interest: z.number().int().min(0).default(100),
    /** …and for a stock if it reaches this… */
    stock_min_open_interest: z.number().int().min(0).default(50),
    /** …or if its daily volume reaches this. */
    min_daily_volume: z.number().int().min(0).default(10),
    /** A contract trading at least this many times its average volume is kept wherever its strike is. */
    unusual_activity_multiplier: z.number().positive().default(5),
    /** Only expiries at most this many calendar days away; null = every listed expiry. */
    max_days_to_expiry: z.number().int().min(0).nullable().default(null),
  })
  .strict()
  .refine((s) => s.high_iv_above >= s.low_iv_below, {
    message: "selection.high_iv_above must be >= selection.low_iv_below",
  });

/** Inputs of the model greeks and implied volatilities (src/pricing/; see src/pricing/parameters.ts). */
const pricing = z
  .object({
    /** Continuously compounded risk-free rate as a decimal (0.04 = 4 %); keep it near the T-bill yield. */
    risk_free_rate: z.number().min(-0.1).max(1).default(0.04),
    /** Continuous dividend yield per underlying; a map given in the file replaces this default map entirely. */
    dividend_yield: z.record(z.string(), z.number().min(0).max(1)).default({ SPY: 0.012, PLTR: 0, TSLA: 0 }),
    /** Dividend yield of an underlying missing from dividend_yield. */
    default_dividend_yield: z.number().min(0).max(1).default(0),
  })
  .strict();

export const configSchema = z
  .object({
    /** Underlyings to collect, in order. */
    symbols: z
      .array(z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, "an upper-case ticker such as SPY"))
      .default(["SPY", "PLTR", "TSLA"]),
    database: database.default(database.parse({})),
    ib: ib.default(ib.parse({})),
    selection: selection.default(selection.parse({})),
    pricing: pricing.default(pricing.parse({})),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
