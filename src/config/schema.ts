import { symbolSpec } from "./symbols.ts";
import { z } from "zod";
import { ISSUE_SEVERITIES } from "../core/events.ts";
import type { IssueSeverity } from "../core/events.ts";
import { databaseUrlProblem } from "./database-url.ts";
import { configuredGateways, gatewayBudgetProblems } from "../core/gateways.ts";

/**
 * chainvault.yaml, validated. Every setting has a default so no file is needed.
 * Sections are strict: an unknown key is an error that names the key and the file.
 * Keys are snake_case as they appear in YAML.
 */

const database = z
  .object({
    /** postgres://… of a PostgreSQL/TimescaleDB server; unset means the embedded PGlite engine. Prefer DATABASE_URL. */
    url: z
      .string()
      .min(1)
      .superRefine((url, context) => {
        const problem = databaseUrlProblem(url);
        if (problem !== null) context.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    /** Where the embedded engine keeps its files. */
    data_dir: z.string().min(1).default("./data"),
    pool_size: z.number().int().min(1).max(100).default(5),
    /**
     * `db serve` and the daemon serve the embedded database read-only over the PostgreSQL protocol on
     * 127.0.0.1 at this port (0: any free port); null: the daemon does not. Commands that find the data
     * directory in use read through it.
     */
    serve_port: z.number().int().min(0).max(65535).nullable().default(5433),
    /** A client of the served database idle inside a transaction this long is disconnected: it holds the database meanwhile. */
    serve_idle_in_transaction_seconds: z.number().int().min(1).max(3600).default(10),
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
    /** Pause between historical-data requests: IB allows about 60 per 10 minutes. */
    historical_request_spacing_ms: z.number().int().min(0).max(600_000).default(10_000),
    /**
     * The daemon fills missed days from daily bars over a connection of its own, so a slow historical
     * request never holds up a collection; IB allows one connection per client id. Default client_id + 1.
     */
    historical_client_id: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((settings) => settings.historical_client_id !== settings.client_id, {
    message: "must differ from ib.client_id: IB allows one connection per client id",
    path: ["historical_client_id"],
  })
  .transform((settings) => ({
    ...settings,
    historical_client_id: settings.historical_client_id ?? settings.client_id + 1,
  }));

/**
 * One gateway connection of several (`gateways:`). IB paces each login, not each connection: entries that share a
 * `login` share its messages per second and market-data lines (src/core/gateways.ts splits them).
 */
const gateway = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "a short lower-case name such as gw-1"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    client_id: z.number().int().min(0),
    /** The IB username this connection logs in as; default: its own name (a login of its own). */
    login: z.string().min(1).optional(),
    /** The login's budget under IB's 50/s; entries on one login share it. */
    max_messages_per_second: z.number().positive().max(1000).default(45),
    /** The login's market-data lines under IB's 100; entries on one login share them. */
    max_market_data_lines: z.number().int().min(1).max(10000).default(95),
  })
  .strict();

const gateways = z
  .array(gateway)
  .min(1)
  .superRefine((list, context) => {
    const names = new Set<string>();
    const connections = new Set<string>();
    list.forEach((entry, index) => {
      if (names.has(entry.name))
        context.addIssue({ code: "custom", path: [index, "name"], message: `"${entry.name}" is used twice` });
      names.add(entry.name);
      const connection = `${entry.host}:${entry.port}#${entry.client_id}`;
      if (connections.has(connection))
        context.addIssue({
          code: "custom",
          path: [index, "client_id"],
          message: `${entry.host}:${entry.port} has client id ${entry.client_id} twice: IB allows one connection per client id`,
        });
      connections.add(connection);
    });
    const ib = { host: "", port: 0, client_id: 0, max_messages_per_second: 0, max_market_data_lines: 0 };
    for (const message of gatewayBudgetProblems(configuredGateways({ ib, gateways: list })))
      context.addIssue({ code: "custom", message });
  });

/** How a collection run talks to the gateway and writes (src/collect/; see docs/collector.md). */
const collect = z
  .object({
    /** Generic ticks of each option's streaming request: 101 = open interest (streaming only), 100 = option volume. */
    generic_ticks: z
      .string()
      .regex(/^(\d+(,\d+)*)?$/, "comma-separated tick ids such as 100,101")
      .default("100,101"),
    /** A contract's request ends with what has arrived after this long (it normally ends as soon as the fields are in). */
    snapshot_timeout_ms: z.number().int().min(100).max(120_000).default(5_000),
    /** Attempts per contract for transient, pacing and connectivity failures before it is dead-lettered. */
    max_attempts: z.number().int().min(1).max(20).default(3),
    /** Quotes are written (COPY) every this many rows while the run proceeds. */
    write_batch_rows: z.number().int().min(1).max(100_000).default(500),
    /** Contract-details requests (one per expiry and right) in flight at once during discovery. */
    discovery_concurrency: z.number().int().min(1).max(100).default(8),
    /** Also store the VIX index level with every run. */
    include_vix: z.boolean().default(true),
    /** Attempts (exponential backoff) of a run's first connection before it gives up on the gateway. */
    connect_attempts: z.number().int().min(1).max(100).default(5),
    /**
     * A run waits out a gateway outage (a dropped connection, or a gateway that stops answering) for at most
     * this long, reconnecting with backoff capped at 30 s; then it ends with what it stored (status partial or
     * failed) and a rerun resumes. The daemon also stops waiting when the slot's window closes.
     */
    max_gateway_outage_seconds: z.number().int().min(1).max(86_400).default(300),
    /**
     * How long a run carries on while the database is away (quotes go to the spool meanwhile) before it
     * ends with what it stored, leaving the spool for the next run.
     */
    max_db_outage_seconds: z.number().int().min(1).max(86_400).default(300),
    /** Where quotes taken while the database is away are kept; default `spool` next to database.data_dir. */
    spool_dir: z.string().min(1).optional(),
    /** Spooled quotes held in memory before they go to the spool file (fsynced); 0 = straight to the file. */
    spool_memory_rows: z.number().int().min(0).max(1_000_000).default(2_000),
    /**
     * On SIGTERM/SIGINT `collect` requests no further contract, writes what arrived and records the symbols
     * it cut short as interrupted; past this many seconds it exits anyway (the next run resumes either way).
     */
    shutdown_grace_seconds: z.number().int().min(1).max(3600).default(30),
    /**
     * Split each collection into parts queued in the job queue, which `chainvault worker` processes (and daemons)
     * take, each with its own gateway: one collection, many gateways. Off: one process collects it whole.
     */
    split: z.boolean().default(false),
    /** The time one part takes at its gateway's pacing (its size: contracts = rate × seconds ÷ 2). */
    part_seconds: z.number().int().min(1).max(3600).default(60),
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

/** Which contracts of a chain are collected (strikes near the money by IV tier plus liquid ones; see src/collect/selection.ts). */
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
    /**
     * The model solves no implied volatility from a market wider than this fraction of its mid ((ask − bid) / mid):
     * such a mid says little about the price. The quote keeps NULL IV/greeks and iv_flag 'wide_spread'. null: no limit.
     */
    max_relative_spread: z.number().positive().nullable().default(0.5),
  })
  .strict();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a 24-hour time such as 16:45");
/** One collection of the plan (src/schedule/plan.ts): whether it runs, and when. */
const etSlot = (time: string, enabled = true) =>
  z
    .object({
      enabled: z.boolean().default(enabled),
      /** New York time. Slots tied to the close keep their distance to it on 13:00 early closes (16:45 → 13:45). */
      time_et: timeOfDay.default(time),
    })
    .strict();
const localSlot = (time: string) =>
  z
    .object({
      enabled: z.boolean().default(true),
      /** Wall-clock time in schedule.timezone. */
      time_local: timeOfDay.default(time),
    })
    .strict();
const scheduleSlots = {
  pre_market: etSlot("06:30"),
  analytics: etSlot("15:45"),
  eod: etSlot("16:45"),
  weekly_discovery: etSlot("17:00"),
  pre_expiry: etSlot("15:00"),
  settlement: etSlot("15:59"),
  monthly_discovery: etSlot("06:30"),
  expiry_processing: etSlot("17:00"),
  post_expiry: etSlot("07:00"),
  /** `chainvault backup` of the database into backup.dir, before the trading day starts. */
  backup: etSlot("02:00"),
  gap_check: localSlot("08:00"),
  weekend_review: localSlot("08:00"),
  weekend_prep: localSlot("18:00"),
  /** On the 2nd of each month: the UTC month before has closed in every time zone (README "Keeping years of data"). */
  archive: localSlot("03:00"),
};
/** The collection plan. Collections run in exchange (New York) time; only the housekeeping slots use local time. */
const schedule = z
  .object({
    /** IANA zone of the *_local times (e.g. Asia/Jerusalem); unset means the machine's zone. */
    timezone: z
      .string()
      .min(1)
      .refine(isTimeZone, "an IANA time zone such as Asia/Jerusalem or America/Los_Angeles")
      .optional(),
    /** How many days back gap_check looks for missing or partial collections. */
    gap_check_days: z.number().int().min(1).max(366).default(10),
    pre_market: scheduleSlots.pre_market.default(scheduleSlots.pre_market.parse({})),
    analytics: scheduleSlots.analytics.default(scheduleSlots.analytics.parse({})),
    eod: scheduleSlots.eod.default(scheduleSlots.eod.parse({})),
    weekly_discovery: scheduleSlots.weekly_discovery.default(scheduleSlots.weekly_discovery.parse({})),
    pre_expiry: scheduleSlots.pre_expiry.default(scheduleSlots.pre_expiry.parse({})),
    settlement: scheduleSlots.settlement.default(scheduleSlots.settlement.parse({})),
    monthly_discovery: scheduleSlots.monthly_discovery.default(scheduleSlots.monthly_discovery.parse({})),
    expiry_processing: scheduleSlots.expiry_processing.default(scheduleSlots.expiry_processing.parse({})),
    post_expiry: scheduleSlots.post_expiry.default(scheduleSlots.post_expiry.parse({})),
    backup: scheduleSlots.backup.default(scheduleSlots.backup.parse({})),
    gap_check: scheduleSlots.gap_check.default(scheduleSlots.gap_check.parse({})),
    weekend_review: scheduleSlots.weekend_review.default(scheduleSlots.weekend_review.parse({})),
    weekend_prep: scheduleSlots.weekend_prep.default(scheduleSlots.weekend_prep.parse({})),
    archive: scheduleSlots.archive.default(scheduleSlots.archive.parse({})),
  })
  .strict();

/** The unattended daemon (src/daemon/): its job queue's retry policy and its timers. */
const daemon = z
  .object({
    /** Attempts after the first before a slot's job goes to the dead-letter queue. */
    retry_limit: z.number().int().min(0).max(20).default(4),
    /** First retry delay; it doubles (with jitter) per attempt, up to retry_delay_max_seconds. */
    retry_delay_seconds: z.number().int().min(1).max(3600).default(60),
    retry_delay_max_seconds: z.number().int().min(1).max(86400).default(1800),
    /**
     * A worker that stops reporting for this long (killed, machine asleep) loses its job, which a live daemon
     * re-runs after its retry delay: a killed daemon's slot runs again within about 1.5× this plus the backoff.
     */
    heartbeat_seconds: z.number().int().min(10).max(3600).default(30),
    /** On SIGTERM/SIGINT, how long the run in flight may take to finish before it is handed back (it resumes later). */
    shutdown_grace_seconds: z.number().int().min(1).max(3600).default(120),
    /** Longest sleep between two looks at the plan; also bounds how late a wake from sleep is noticed. */
    tick_seconds: z.number().int().min(1).max(3600).default(60),
    /** On the very first start, run slots of the last this many hours that are still inside their window. */
    first_start_lookback_hours: z
      .number()
      .min(0)
      .max(24 * 30)
      .default(24),
  })
  .strict();

/**
 * The daemon's HTTP endpoints (/healthz, /readyz, /metrics; src/http/). Loopback only unless a token is
 * set: on any other address the daemon refuses to start without one, and with one every request needs
 * `Authorization: Bearer <token>`.
 */
const http = z
  .object({
    /** Serve the endpoints from `chainvault daemon` (not from `--once`). */
    enabled: z.boolean().default(true),
    host: z.string().min(1).default("127.0.0.1"),
    /** 9464: nothing chainvault talks to uses it (IB 7496/7497/4001, PostgreSQL 5432/5433). */
    port: z.number().int().min(0).max(65535).default(9464),
    /** The bearer token itself. Prefer token_env: a token in this file is readable by whoever reads the file. */
    token: z.string().min(16, "at least 16 characters (e.g. `openssl rand -hex 32`)").optional(),
    /** The environment variable (or env-file line) holding the token; read when `token` is not set. */
    token_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name such as CHAINVAULT_HTTP_TOKEN")
      .default("CHAINVAULT_HTTP_TOKEN"),
    /** Also serve the dashboard (`chainvault dashboard`'s page, with live progress) at / on the same address. */
    dashboard: z.boolean().default(false),
  })
  .strict();

/** The name of an environment variable (where a secret such as a webhook URL or SMTP password lives). */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "the name of an environment variable, e.g. SLACK_WEBHOOK_URL");
const channelName = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "letters, digits, . _ - (at most 40)");

/** An HTTP POST of the alert: JSON with a Slack-compatible `text`, Slack's `{text}` alone, or plain text (ntfy). */
const webhookChannel = z
  .object({
    type: z.literal("webhook"),
    /** How logs and `alerts test` name the channel; default `webhook-N` by position. */
    name: channelName.optional(),
    /** The environment variable holding the URL: a webhook URL is a secret (whoever has it can post). */
    url_env: envName.optional(),
    /** The URL itself, for a URL that is no secret; prefer url_env. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    format: z.enum(["generic", "slack", "text"]).default("generic"),
    timeout_seconds: z.number().positive().max(300).default(10),
  })
  .strict()
  .refine((channel) => (channel.url === undefined) !== (channel.url_env === undefined), {
    message: "give exactly one of url_env (the variable holding the URL, preferred) and url",
  });

/** An email through an SMTP server (nodemailer). */
const emailChannel = z
  .object({
    type: z.literal("email"),
    name: channelName.optional(),
    smtp: z
      .object({
        host: z.string().min(1),
        /** 587 (STARTTLS) by default; 465 with secure: true. */
        port: z.number().int().min(1).max(65535).default(587),
        /** TLS from the first byte (port 465); false upgrades with STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        /** The environment variable holding the SMTP password (never the password itself). */
        password_env: envName.optional(),
      })
      .strict(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    timeout_seconds: z.number().positive().max(300).default(20),
  })
  .strict()
  .refine((channel) => channel.smtp.password_env === undefined || channel.smtp.user !== undefined, {
    message: "smtp.password_env needs smtp.user",
    path: ["smtp", "user"],
  });

/** A program run without a shell, the alert JSON on its stdin; exit status 0 means delivered. */
const commandChannel = z
  .object({
    type: z.literal("command"),
    name: channelName.optional(),
    /** argv: the program and its arguments, e.g. ["/usr/local/bin/notify", "--urgent"]. */
    command: z.array(z.string().min(1)).min(1),
    timeout_seconds: z.number().positive().max(600).default(30),
  })
  .strict();

/** Which alerts are raised (src/alerts/; see README "Alerts"). */
const alertKinds = z
  .object({
    /** A slot dead-lettered or missed, or a gap the morning check can no longer fill. */
    slot_failed: z.boolean().default(true),
    /** A collection stored less than coverage_threshold of the contracts it selected. */
    coverage_low: z.boolean().default(true),
    /** A data-quality rule of severity error tripped. */
    quality_error: z.boolean().default(true),
    /** The gateway could not be reached when a collection was due. */
    gateway_unreachable: z.boolean().default(true),
  })
  .strict();

const alerts = z
  .object({
    channels: z
      .array(z.discriminatedUnion("type", [webhookChannel, emailChannel, commandChannel]))
      .default([]),
    /** A collection that stored less than this share of its selected contracts raises coverage_low. */
    coverage_threshold: z.number().min(0).max(1).default(0.99),
    kinds: alertKinds.default(alertKinds.parse({})),
    /** Tries per channel and message before it is left for the next start. */
    delivery_attempts: z.number().int().min(1).max(20).default(4),
    /** Pause before the second try; it doubles (with jitter) per try, up to a minute. */
    retry_delay_seconds: z.number().min(0).max(600).default(2),
  })
  .strict()
  .superRefine((settings, context) => {
    const seen = new Set<string>();
    settings.channels.forEach((channel, index) => {
      const name = channel.name ?? `${channel.type}-${index + 1}`;
      if (seen.has(name))
        context.addIssue({
          code: "custom",
          message: `channel name "${name}" is used twice`,
          path: ["channels", index, "name"],
        });
      seen.add(name);
    });
  });

export type AlertChannelConfig = z.infer<typeof alerts>["channels"][number];

/** One data-quality rule (src/quality/): whether it runs and how bad a finding is; absent, its defaults. */
function qualityRule(severity: IssueSeverity) {
  const rule = z
    .object({
      enabled: z.boolean().default(true),
      severity: z.enum(ISSUE_SEVERITIES).default(severity),
    })
    .strict();
  return rule.default(rule.parse({}));
}
/** A rule with a threshold; what the number means is said per rule below and in the README. */
function thresholdRule(severity: IssueSeverity, threshold: number) {
  const rule = z
    .object({
      enabled: z.boolean().default(true),
      severity: z.enum(ISSUE_SEVERITIES).default(severity),
      threshold: z.number().default(threshold),
    })
    .strict();
  return rule.default(rule.parse({}));
}
/** A rule with an accepted range [min, max]. */
function rangeRule(severity: IssueSeverity, min: number, max: number) {
  const rule = z
    .object({
      enabled: z.boolean().default(true),
      severity: z.enum(ISSUE_SEVERITIES).default(severity),
      min: z.number().default(min),
      max: z.number().default(max),
    })
    .strict()
    .refine((settings) => settings.max > settings.min, { message: "max must be above min", path: ["max"] });
  return rule.default(rule.parse({}));
}

const qualityRules = z
  .object({
    /** threshold: a spread (ask − bid) at or below this is crossed or locked. */
    crossed_market: thresholdRule("error", 0),
    /** threshold: a bid or ask below this is wrong. */
    negative_price: thresholdRule("error", 0),
    /** threshold: a bid above this with no ask. */
    bid_without_ask: thresholdRule("warning", 0),
    /** An implied volatility outside [min, max] (decimals: 0.01 = 1 %) is implausible. */
    iv_out_of_range: rangeRule("warning", 0.01, 5),
    /** threshold: how far beyond its right's range (call 0..1, put −1..0) a delta may lie. */
    delta_out_of_range: thresholdRule("error", 0),
    /** threshold: how far below 0 a gamma or vega may lie. */
    negative_greeks: thresholdRule("error", 0),
    /** threshold: how far beyond both bid-ask spreads C − P may lie from S·e^(−qT) − K·e^(−rT), as a fraction of S. */
    parity_breach: thresholdRule("warning", 0.002),
    /** threshold: a contract is liquid when its day's volume reaches this (and its spread is at most half its mid); its quote must move when the day (the underlying's move, time decay) should move it over twice its spread. */
    stale_quote: thresholdRule("warning", 100),
    /** threshold: yesterday's open interest at least this makes today's missing one an issue. */
    open_interest_missing: thresholdRule("warning", 1),
    /** Its threshold is quality.min_coverage. */
    coverage_low: qualityRule("error"),
    /** Its threshold is quality.max_contract_drop. */
    contract_count_drop: qualityRule("warning"),
    /** threshold: standard deviations of the VIX-implied daily move (VIX / 100 / √252). */
    underlying_jump: thresholdRule("warning", 5),
    /** The daemon's gap check: a planned collection missing or failed after its window closed. */
    collection_gap: qualityRule("error"),
    /** The daemon's gap check: a planned collection left partial after its window closed. */
    collection_gap_partial: qualityRule("warning"),
    /** Expiry processing: a contract expiring that day without a quote from that day (post_expiry looks again). */
    expiry_day_uncollected: qualityRule("warning"),
    /** Post-expiry: an expired contract still without expiry-day data, which IB will soon forget. */
    expiry_not_collected: qualityRule("error"),
  })
  .strict();

/** Data-quality checks run after every collection (src/quality/; see the README's "quality" section). */
const quality = z
  .object({
    /** false: no checks after collections (the daemon's gap and expiry rules still run). */
    enabled: z.boolean().default(true),
    /** A run storing fewer than this fraction of the contracts selected from the listed chain. */
    min_coverage: z.number().min(0).max(1).default(0.99),
    /** A symbol's stored contract count falling by more than this fraction from the previous trading day. */
    max_contract_drop: z.number().min(0).max(1).default(0.2),
    rules: qualityRules.default(qualityRules.parse({})),
  })
  .strict();

/** `chainvault backup` and the daemon's backup slot (src/store/backup/). */
const backup = z
  .object({
    /** Where backups are written (a data file and its manifest each); default `backups` next to database.data_dir. */
    dir: z.string().min(1).optional(),
    /** How many backups to keep there: the newest; older ones are deleted after each new one. */
    keep: z.number().int().min(1).max(3650).default(30),
  })
  .strict();

/** The Parquet archive tier (`chainvault archive`; README "Keeping years of data"). */
const archive = z
  .object({
    /** dir: files under `dir`; s3: objects in `bucket` (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
    target: z.enum(["dir", "s3"]).default("dir"),
    dir: z.string().min(1).default("./chainvault-archive"),
    /** An S3-compatible endpoint (MinIO, R2, ...); unset: AWS S3 in `region`. */
    endpoint: z.string().url().optional(),
    bucket: z.string().min(1).optional(),
    /** Key prefix inside the bucket, e.g. "chainvault/". */
    prefix: z.string().default(""),
    region: z.string().min(1).default("us-east-1"),
  })
  .strict()
  .refine((value) => value.target !== "s3" || value.bucket !== undefined, {
    message: "archive.target s3 needs archive.bucket",
    path: ["bucket"],
  });

/** Raw rows older than keep_days are deleted, but only months with a verified archive (src/archive/retention.ts). */
const retention = z
  .object({
    keep_days: z.number().int().positive().default(730),
  })
  .strict();

/** pino's levels, most severe first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ticker = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, "an upper-case ticker such as SPY");

export const configSchema = z
  .object({
    /**
     * Underlyings to collect, in order: a ticker, or `{ symbol, trading_classes, exercise }` for index options
     * (SPX alone means both SPX and SPXW, European; see config/symbols.ts). Parsed into SymbolSpecs.
     */
    symbols: z
      .array(
        z.union([
          ticker,
          z
            .object({
              symbol: ticker,
              trading_classes: z.array(ticker).min(1).optional(),
              exercise: z.enum(["european", "american"]).optional(),
            })
            .strict(),
          // An already parsed spec, so that parsing a parsed configuration (with overrides) gives it back.
          z
            .object({
              symbol: ticker,
              tradingClasses: z.array(ticker).min(1).nullable(),
              exercise: z.enum(["european", "american"]),
            })
            .strict()
            .transform((spec) => ({
              symbol: spec.symbol,
              exercise: spec.exercise,
              ...(spec.tradingClasses === null ? {} : { trading_classes: spec.tradingClasses }),
            })),
        ]),
      )
      .default(["SPY", "PLTR", "TSLA"])
      .transform((entries) => entries.map(symbolSpec)),
    database: database.default(database.parse({})),
    ib: ib.default(ib.parse({})),
    /** Several gateways; unset: the one `ib:` describes (src/core/gateways.ts reads either form). */
    gateways: gateways.optional(),
    collect: collect.default(collect.parse({})),
    selection: selection.default(selection.parse({})),
    pricing: pricing.default(pricing.parse({})),
    schedule: schedule.default(schedule.parse({})),
    daemon: daemon.default(daemon.parse({})),
    http: http.default(http.parse({})),
    alerts: alerts.default(alerts.parse({})),
    quality: quality.default(quality.parse({})),
    backup: backup.default(backup.parse({})),
    archive: archive.default(archive.parse({})),
    retention: retention.default(retention.parse({})),
    log: z
      .object({ level: z.enum(LOG_LEVELS).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The quality settings of a configuration without a `quality:` block (for callers handed none). */
export const DEFAULT_QUALITY_SETTINGS: Config["quality"] = quality.parse({});
