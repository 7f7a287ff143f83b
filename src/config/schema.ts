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

export const configSchema = z
  .object({
    /** Underlyings to collect, in order. */
    symbols: z
      .array(z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, "an upper-case ticker such as SPY"))
      .default(["SPY", "PLTR", "TSLA"]),
    database: database.default(database.parse({})),
    ib: ib.default(ib.parse({})),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
