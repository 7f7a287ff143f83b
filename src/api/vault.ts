import path from "node:path";
import { chainAnalyticsFor } from "../collect/chain-analytics.ts";
import { loadConfig } from "../config/load.ts";
import type { CollectionType } from "../core/collection.ts";
import { isCollectionType, COLLECTION_TYPES } from "../core/collection.ts";
import type { Engine } from "../store/database.ts";
import { currentMigration } from "../store/migrate.ts";
import { embeddedDatabaseExists, openForReading } from "../store/open.ts";
import {
  chainQuotes,
  contractQuotes,
  knownSymbols,
  quotedExpiries,
  underlyingTicks,
} from "../store/reads/chain-reads.ts";
import type {
  ChainQuote,
  ContractHistory,
  ExpirySummary,
  UnderlyingTick,
} from "../store/reads/chain-reads.ts";
import { listCollections } from "../store/repositories/collection-status.ts";
import { ContractCache } from "../store/reads/contract-cache.ts";
import { servedUrl } from "../store/serve/serve-record.ts";

export type {
  ExpiryAnalyticsRow,
  StoredBoxRate,
  StoredParityBreach,
} from "../store/repositories/expiry-analytics.ts";
import type { ExpiryAnalyticsRow } from "../store/repositories/expiry-analytics.ts";

export type {
  ChainQuote,
  ContractHistory,
  ContractQuote,
  ExpirySummary,
  QuoteValues,
  UnderlyingTick,
} from "../store/reads/chain-reads.ts";

export interface OpenVaultOptions {
  /** postgres://… of a PostgreSQL/TimescaleDB server. */
  url?: string;
  /** The embedded database's directory (used when no url is given). */
  dataDir?: string;
  /**
   * A chainvault.yaml to take database.url / database.data_dir from when neither is given (default:
   * $CHAINVAULT_CONFIG, else ./chainvault.yaml if present; DATABASE_URL and CHAINVAULT_DATA_DIR win as in the CLI).
   */
  config?: string;
}

/** A call and a put of one strike side by side; either is null when the snapshot has no quote of it. */
export interface StrikePair {
  strike: number;
  call: ChainQuote | null;
  put: ChainQuote | null;
}

export interface ChainExpiry {
  /** "YYYY-MM-DD". */
  expiry: string;
  /** Ascending strikes. */
  strikes: StrikePair[];
}

/** The chain of one symbol as one collection (date, type) stored it. */
export interface ChainSnapshot {
  symbol: string;
  date: string;
  type: CollectionType;
  /** The latest quote time in the snapshot; null when it has no quotes. */
  time: Date | null;
  /** The underlying's tick of the same collection (its latest), or null. */
  underlying: UnderlyingTick | null;
  /** One row per contract, by expiry, strike, call before put. */
  rows: ChainQuote[];
  /** The same quotes per expiry, call and put of each strike side by side. */
  expiries: ChainExpiry[];
}

/** One collection run: what exists for a (date, symbol, type). */
export interface CollectionInfo {
  date: string;
  symbol: string;
  type: string;
  /** running, completed, partial, failed or missed. */
  status: string | null;
  /** Quotes it stored. */
  records: number | null;
  startedAt: Date | null;
  completedAt: Date | null;
  error: string | null;
}

/** The chain analytics of one snapshot (docs/analytics.md), one row per expiry, nearest first. */
export interface ChainAnalytics {
  symbol: string;
  date: string;
  type: CollectionType;
  /** "stored": what the collection computed into expiry_analytics; "computed": none was stored, computed now from the quotes. */
  source: "stored" | "computed";
  expiries: ExpiryAnalyticsRow[];
}

export interface Vault {
  /** "pglite" for the embedded database (also when read through a serving daemon), "postgres" for a server. */
  readonly engine: Engine;
  /** When the embedded data directory is held by a daemon or `db serve`: where the vault reads through. */
  readonly servedBy: { pid: number; url: string } | null;
  /** The chain of `symbol` at the (date, type) snapshot; `type` defaults to "eod". Throws for an unknown symbol. */
  chain(query: { symbol: string; date: string; type?: CollectionType }): Promise<ChainSnapshot>;
  /** The expiries of `symbol` quoted on `date`, nearest first. */
  expiries(query: { symbol: string; date: string }): Promise<ExpirySummary[]>;
  /** One contract's stored quotes from listing to expiry; the OCC symbol may be written with or without padding. */
  contractHistory(occSymbol: string): Promise<ContractHistory>;
  /** The underlying's ticks between two dates (inclusive); `type` narrows to one collection type. */
  underlying(query: {
    symbol: string;
    from: string;
    to: string;
    type?: CollectionType;
  }): Promise<UnderlyingTick[]>;
  /** The collection runs between two dates (inclusive): what exists, and how each run ended. */
  collections(query: { from: string; to: string; symbol?: string }): Promise<CollectionInfo[]>;
  /**
   * Per expiry: the forward and rate put-call parity implies, box-spread rates per strike width, parity breaches.
   * Throws a RangeError for an unknown symbol or a snapshot with no quotes.
   */
  analytics(query: { symbol: string; date: string; type?: CollectionType }): Promise<ChainAnalytics>;
  close(): Promise<void>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function isoDate(value: string, name: string): string {
  if (typeof value !== "string" || !ISO_DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new RangeError(`${name} must be a date "YYYY-MM-DD", got ${JSON.stringify(value)}`);
  }
  return value;
}

function dateRange(from: string, to: string): [string, string] {
  isoDate(from, "from");
  isoDate(to, "to");
  if (from > to) throw new RangeError(`from (${from}) is after to (${to})`);
  return [from, to];
}

function collectionType(type: string | undefined): CollectionType {
  const value = type ?? "eod";
  if (!isCollectionType(value)) {
    throw new RangeError(`type must be one of ${COLLECTION_TYPES.join(", ")}, got ${JSON.stringify(type)}`);
  }
  return value;
}

/** "SPY251219C00600000" or "SPY   251219C00600000" → the stored 21-character form. */
export function normalizeOccSymbol(symbol: string): string {
  const match = /^([A-Za-z0-9]{1,6})\s*(\d{6}[CPcp]\d{8})$/.exec(symbol.trim());
  if (!match) {
    throw new RangeError(
      `expected an OCC symbol such as "SPY   261218C00600000", got ${JSON.stringify(symbol)}`,
    );
  }
  return `${match[1]!.toUpperCase().padEnd(6, " ")}${match[2]!.toUpperCase()}`;
}

/** Groups a snapshot's rows per expiry with call and put of each strike side by side. */
export function sideBySide(rows: readonly ChainQuote[]): ChainExpiry[] {
  const expiries = new Map<string, Map<number, StrikePair>>();
  for (const row of rows) {
    let strikes = expiries.get(row.expiry);
    if (strikes === undefined) expiries.set(row.expiry, (strikes = new Map()));
    let pair = strikes.get(row.strike);
    if (pair === undefined) strikes.set(row.strike, (pair = { strike: row.strike, call: null, put: null }));
    if (row.right === "C") pair.call = row;
    else pair.put = row;
  }
  return [...expiries]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([expiry, strikes]) => ({
      expiry,
      strikes: [...strikes.values()].sort((a, b) => a.strike - b.strike),
    }));
}

/**
 * Opens chainvault's database for reading: a server (`url`), or the embedded database (`dataDir`); with
 * neither, the configuration decides as for the CLI. An embedded directory held by the daemon or
 * `chainvault db serve` is read through their server; otherwise the vault holds it until `close()`.
 */
export async function openVault(options: OpenVaultOptions = {}): Promise<Vault> {
  let url = options.url;
  let dataDir = options.dataDir;
  if (url === undefined && dataDir === undefined) {
    const { config } = loadConfig({ file: options.config });
    url = config.database.url;
    dataDir = config.database.data_dir;
  }
  dataDir ??= "./data";
  if (url === undefined && !embeddedDatabaseExists(dataDir)) {
    throw new Error(
      `no chainvault database in ${path.resolve(dataDir)}: collect into it first, or pass { url } or { dataDir }`,
    );
  }
  const { db, servedBy } = await openForReading({ url, dataDir, poolSize: 2 });
  try {
    if ((await currentMigration(db)) === 0) {
      throw new Error(
        "this database has no chainvault schema yet: run `chainvault db migrate` (or collect) first",
      );
    }
  } catch (error) {
    await db.close();
    throw error;
  }

  async function requireSymbol(symbol: string): Promise<string> {
    const upper = symbol.toUpperCase();
    const known = await knownSymbols(db);
    if (!known.includes(upper)) {
      throw new RangeError(
        `no symbol ${upper} in this database (it has ${known.length > 0 ? known.join(", ") : "none"})`,
      );
    }
    return upper;
  }

  // Chains of neighbouring days quote mostly the same contracts: their fields are read once per vault.
  const contracts = new ContractCache();

  return {
    engine: db.engine,
    servedBy: servedBy === null ? null : { pid: servedBy.pid, url: servedUrl(servedBy) },
    async chain(query) {
      const date = isoDate(query.date, "date");
      const type = collectionType(query.type);
      const symbol = await requireSymbol(query.symbol);
      const rows = await chainQuotes(db, { symbol, date, collectionType: type }, contracts);
      const ticks = await underlyingTicks(db, symbol, date, date, type);
      const time = rows.reduce<Date | null>(
        (latest, row) => (latest === null || row.time > latest ? row.time : latest),
        null,
      );
      return { symbol, date, type, time, underlying: ticks.at(-1) ?? null, rows, expiries: sideBySide(rows) };
    },
    async expiries(query) {
      const date = isoDate(query.date, "date");
      return quotedExpiries(db, await requireSymbol(query.symbol), date);
    },
    async contractHistory(occSymbol) {
      const normalized = normalizeOccSymbol(occSymbol);
      const history = await contractQuotes(db, normalized);
      if (history === null)
        throw new RangeError(`no contract ${JSON.stringify(normalized)} in this database`);
      return history;
    },
    async underlying(query) {
      const [from, to] = dateRange(query.from, query.to);
      const type = query.type === undefined ? undefined : collectionType(query.type);
      return underlyingTicks(db, await requireSymbol(query.symbol), from, to, type);
    },
    async collections(query) {
      const [from, to] = dateRange(query.from, query.to);
      const symbol = query.symbol?.toUpperCase();
      const rows = await listCollections(db, from, to);
      return rows
        .filter((row) => symbol === undefined || row.symbol === symbol)
        .map((row) => ({
          date: row.collectionDate,
          symbol: row.symbol,
          type: row.collectionType,
          status: row.status,
          records: row.recordsCollected,
          startedAt: row.startedAt,
          completedAt: row.completedAt,
          error: row.errorMessage,
        }));
    },
    async analytics(query) {
      const date = isoDate(query.date, "date");
      const type = collectionType(query.type);
      const symbol = await requireSymbol(query.symbol);
      const result = await chainAnalyticsFor(db, { symbol, collectionDate: date, collectionType: type });
      if (result.kind !== "analytics") throw new RangeError(`no ${type} quotes of ${symbol} on ${date}`);
      return { symbol, date, type, source: result.source, expiries: result.rows };
    },
    close: () => db.close(),
  };
}
