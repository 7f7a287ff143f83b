import type { GreeksSource } from "../../pricing/option-model.ts";
import type { Queryable } from "../database.ts";
import { decimalOf, decimalSql, scaledColumnOf } from "../repositories/tick-columns.ts";

/**
 * Reads of stored chains: the chain at one snapshot (the library API, the chain analytics and the quality
 * checks all read it here), the expiries of a day, one contract's history, the underlying's ticks. Read only;
 * market_data_ticks is written by repositories/quotes.ts, underlying_ticks by repositories/underlying-ticks.ts.
 */

/** The prices, sizes and greeks of one option quote; null where the snapshot had no value. */
export interface QuoteValues {
  time: Date;
  bid: number | null;
  ask: number | null;
  last: number | null;
  /** IB tick 9: the prior session's close, not a close of the quote's day. */
  close: number | null;
  bidSize: number | null;
  askSize: number | null;
  volume: number | null;
  /** OCC's figure settled after the previous session: it belongs to openInterestDate, not the quote's day. */
  openInterest: number | null;
  /** "YYYY-MM-DD": the trading day openInterest belongs to (null without a figure, or on rows older than migration 066). */
  openInterestDate: string | null;
  impliedVolatility: number | null;
  delta: number | null;
  gamma: number | null;
  theta: number | null;
  vega: number | null;
  rho: number | null;
  /** The underlying's price the greeks were taken against. */
  underlyingPrice: number | null;
  /** IB market data type: 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
  marketDataType: number | null;
  /**
   * "ib" when IB computed the greeks; "amer" or "bs" when chainvault's American or Black–Scholes model filled
   * what IB left out; "model" on rows stored before there were two models (Black–Scholes).
   */
  greeksSource: GreeksSource | "model" | null;
}

/** One contract's quote in a chain snapshot. */
export interface ChainQuote extends QuoteValues {
  /** The contract's row id (option_chains.id): stable within one database, not across databases. */
  contractId: number;
  /** OCC symbol, e.g. "SPY   261218C00600000". */
  contractSymbol: string;
  /** "YYYY-MM-DD". */
  expiry: string;
  strike: number;
  right: "C" | "P";
  tradingClass: string | null;
  multiplier: number;
  conId: number | null;
}

// Prices and greeks are stored scaled (tick-columns.ts); decimalSql reads them back as the decimals they were.
const QUOTE_VALUES = `t.time, ${decimalSql("t", "bid_price")} AS bid, ${decimalSql("t", "ask_price")} AS ask,
  ${decimalSql("t", "last_price")} AS last, ${decimalSql("t", "close_price")} AS close,
  t.bid_size AS "bidSize", t.ask_size AS "askSize", t.volume, t.open_interest AS "openInterest",
  t.open_interest_date AS "openInterestDate",
  ${decimalSql("t", "implied_volatility")} AS "impliedVolatility", ${decimalSql("t", "delta")} AS delta,
  ${decimalSql("t", "gamma")} AS gamma, ${decimalSql("t", "theta")} AS theta, ${decimalSql("t", "vega")} AS vega,
  ${decimalSql("t", "rho")} AS rho, ${decimalSql("t", "underlying_price")} AS "underlyingPrice",
  t.market_data_type AS "marketDataType", t.greeks_source AS "greeksSource"`;

const CONTRACT = `c.id AS "contractId", c.contract_symbol AS "contractSymbol", c.expiration_date AS expiry, c.strike_price AS strike,
  c.option_type AS "right", c.trading_class AS "tradingClass", c.multiplier, c.ib_con_id AS "conId"`;

export interface SnapshotQuery {
  symbol: string;
  /** The collection's trading day, "YYYY-MM-DD". */
  date: string;
  collectionType: string;
  /** Only quotes taken at or after this instant: with a replacement under way, the older rows are the snapshot being replaced. */
  since?: Date | null;
}

/** The chain's fields stored as scaled integers: sent as they are stored and turned into decimals here. */
const SCALED = {
  bid: scaledColumnOf("bid_price"),
  ask: scaledColumnOf("ask_price"),
  last: scaledColumnOf("last_price"),
  close: scaledColumnOf("close_price"),
  impliedVolatility: scaledColumnOf("implied_volatility"),
  delta: scaledColumnOf("delta"),
  gamma: scaledColumnOf("gamma"),
  theta: scaledColumnOf("theta"),
  vega: scaledColumnOf("vega"),
  rho: scaledColumnOf("rho"),
  underlyingPrice: scaledColumnOf("underlying_price"),
};

/** ChainQuote's fields in its key order, each with the column it is read from (scaled ones as stored). */
const CHAIN_FIELDS = [
  ["contractId", "c.id"],
  ["contractSymbol", "c.contract_symbol"],
  ["expiry", "c.expiration_date"],
  ["strike", "c.strike_price"],
  ["right", "c.option_type"],
  ["tradingClass", "c.trading_class"],
  ["multiplier", "c.multiplier"],
  ["conId", "c.ib_con_id"],
  ["time", "t.time"],
  ["bid", `t.${SCALED.bid.raw}`],
  ["ask", `t.${SCALED.ask.raw}`],
  ["last", `t.${SCALED.last.raw}`],
  ["close", `t.${SCALED.close.raw}`],
  ["bidSize", "t.bid_size"],
  ["askSize", "t.ask_size"],
  ["volume", "t.volume"],
  ["openInterest", "t.open_interest"],
  ["openInterestDate", "t.open_interest_date"],
  ["impliedVolatility", `t.${SCALED.impliedVolatility.raw}`],
  ["delta", `t.${SCALED.delta.raw}`],
  ["gamma", `t.${SCALED.gamma.raw}`],
  ["theta", `t.${SCALED.theta.raw}`],
  ["vega", `t.${SCALED.vega.raw}`],
  ["rho", `t.${SCALED.rho.raw}`],
  ["underlyingPrice", `t.${SCALED.underlyingPrice.raw}`],
  ["marketDataType", "t.market_data_type"],
  ["greeksSource", "t.greeks_source"],
] as const satisfies readonly (readonly [keyof ChainQuote, string])[];

/** json_agg's arrays, one per field, all as long as the snapshot (null all together when it is empty). */
type ChainColumns = { [K in keyof ChainQuote]: (K extends "time" ? string : ChainQuote[K])[] };

/**
 * The snapshot as one JSON object of one array per field, rows in chain order with a contract quoted twice (a
 * forced re-run) latest first. One value instead of a thousand rows of 27 columns: one JSON.parse costs the client
 * a third of parsing as many rows, which is most of this read's time on a server.
 *
 * `c.expiration_date >= $2`: a contract is collected only until it expires, so the join reads the symbol's live
 * contracts (through idx_option_chains_underlying_expiry) instead of every contract it ever listed, which grows
 * with the history. The aggregates read the ordered subquery in its order.
 */
const CHAIN_SQL = `SELECT json_build_object(${CHAIN_FIELDS.map(([key]) => `'${key}', json_agg(s."${key}")`).join(", ")})::text AS chain
  FROM (SELECT ${CHAIN_FIELDS.map(([key, column]) => `${column} AS "${key}"`).join(", ")}
          FROM market_data_ticks t
          JOIN option_chains c ON c.id = t.contract_id AND c.expiration_date >= $2::date
          JOIN underlying_securities u ON u.id = c.underlying_id
         WHERE u.symbol = $1 AND t.collection_date = $2::date AND t.collection_type = $3
           AND ($4::timestamptz IS NULL OR t.time >= $4)
         ORDER BY c.expiration_date, c.strike_price, c.option_type, c.id, t.time DESC) AS s`;

/**
 * Every contract of the symbol quoted by the (date, type) collection, by expiry, strike, then call before put.
 * A contract quoted twice in it (a forced re-run adds a snapshot) appears once, with its latest quote.
 */
export async function chainQuotes(db: Queryable, query: SnapshotQuery): Promise<ChainQuote[]> {
  const result = await db.query<{ chain: string }>(
    CHAIN_SQL,
    [query.symbol, query.date, query.collectionType, query.since ?? null],
    // Planning this join costs about as much as running it; a chain read is made thousands of times.
    { name: "chainvault_chain_quotes" },
  );
  const c = JSON.parse(result.rows[0]!.chain) as ChainColumns | Record<keyof ChainQuote, null>;
  if (c.contractId === null) return [];
  const ids = c.contractId;
  // A snapshot carries a handful of distinct quote times: parse each once.
  const times = new Map<string, number>();
  const rows: ChainQuote[] = [];
  for (let i = 0; i < ids.length; i += 1) {
    if (i > 0 && ids[i] === ids[i - 1]) continue;
    const text = c.time[i]!;
    let ms = times.get(text);
    if (ms === undefined) {
      ms = Date.parse(text);
      times.set(text, ms);
    }
    // Every array has ids.length entries: `!` only drops the out-of-range case.
    rows.push({
      contractId: ids[i]!,
      contractSymbol: c.contractSymbol[i]!,
      expiry: c.expiry[i]!,
      strike: c.strike[i]!,
      right: c.right[i]!,
      tradingClass: c.tradingClass[i]!,
      multiplier: c.multiplier[i]!,
      conId: c.conId[i]!,
      time: new Date(ms),
      bid: decimalOf(SCALED.bid, c.bid[i]!),
      ask: decimalOf(SCALED.ask, c.ask[i]!),
      last: decimalOf(SCALED.last, c.last[i]!),
      close: decimalOf(SCALED.close, c.close[i]!),
      bidSize: c.bidSize[i]!,
      askSize: c.askSize[i]!,
      volume: c.volume[i]!,
      openInterest: c.openInterest[i]!,
      openInterestDate: c.openInterestDate[i]!,
      impliedVolatility: decimalOf(SCALED.impliedVolatility, c.impliedVolatility[i]!),
      delta: decimalOf(SCALED.delta, c.delta[i]!),
      gamma: decimalOf(SCALED.gamma, c.gamma[i]!),
      theta: decimalOf(SCALED.theta, c.theta[i]!),
      vega: decimalOf(SCALED.vega, c.vega[i]!),
      rho: decimalOf(SCALED.rho, c.rho[i]!),
      underlyingPrice: decimalOf(SCALED.underlyingPrice, c.underlyingPrice[i]!),
      marketDataType: c.marketDataType[i]!,
      greeksSource: c.greeksSource[i]!,
    });
  }
  return rows;
}

export interface UnderlyingTick {
  /** "YYYY-MM-DD" trading day. */
  date: string;
  type: string;
  time: Date;
  bid: number | null;
  ask: number | null;
  last: number | null;
  /** IB tick 9: the prior session's close, not a close of the quote's day. */
  close: number | null;
  bidSize: number | null;
  askSize: number | null;
  volume: number | null;
  impliedVolatility: number | null;
  historicalVolatility: number | null;
  marketDataType: number | null;
}

const UNDERLYING_TICK = `t.collection_date AS date, t.collection_type AS type, t.time, t.bid_price AS bid,
  t.ask_price AS ask, t.last_price AS last, t.close_price AS close, t.bid_size AS "bidSize",
  t.ask_size AS "askSize", t.volume, t.implied_volatility AS "impliedVolatility",
  t.historical_volatility AS "historicalVolatility", t.market_data_type AS "marketDataType"`;

/** The underlying's ticks between two dates (inclusive), oldest first; `type` narrows to one collection type. */
export async function underlyingTicks(
  db: Queryable,
  symbol: string,
  from: string,
  to: string,
  type?: string,
): Promise<UnderlyingTick[]> {
  const result = await db.query<UnderlyingTick>(
    `SELECT ${UNDERLYING_TICK}
       FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id
      WHERE u.symbol = $1 AND t.collection_date BETWEEN $2 AND $3 AND ($4::text IS NULL OR t.collection_type = $4)
      ORDER BY t.time, t.collection_type`,
    [symbol, from, to, type ?? null],
  );
  return result.rows;
}

export interface ExpirySummary {
  expiry: string;
  /** Contracts of this expiry quoted that day, calls and puts. */
  contracts: number;
  strikes: number;
  /** The collection types that quoted it that day, e.g. ["analytics", "eod"]. */
  types: string[];
}

/** The expiries of `symbol` quoted on `date`, nearest first. */
export async function quotedExpiries(db: Queryable, symbol: string, date: string): Promise<ExpirySummary[]> {
  const result = await db.query<{ expiry: string; contracts: number; strikes: number; types: string }>(
    `SELECT c.expiration_date AS expiry, count(DISTINCT c.id) AS contracts,
            count(DISTINCT c.strike_price) AS strikes,
            string_agg(DISTINCT t.collection_type, ',' ORDER BY t.collection_type) AS types
       FROM market_data_ticks t
       JOIN option_chains c ON c.id = t.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2
      GROUP BY c.expiration_date
      ORDER BY c.expiration_date`,
    [symbol, date],
  );
  return result.rows.map((row) => ({ ...row, types: row.types.split(",") }));
}

export interface ContractQuote extends QuoteValues {
  date: string;
  type: string;
}

export interface ContractHistory {
  contractId: number;
  contractSymbol: string;
  symbol: string;
  expiry: string;
  strike: number;
  right: "C" | "P";
  tradingClass: string | null;
  multiplier: number;
  conId: number | null;
  /** Every stored quote of the contract, oldest first. */
  quotes: ContractQuote[];
}

/** One contract and all its stored quotes, or null when the OCC symbol is unknown. */
export async function contractQuotes(db: Queryable, contractSymbol: string): Promise<ContractHistory | null> {
  const contract = await db.query<Omit<ContractHistory, "quotes">>(
    `SELECT u.symbol, ${CONTRACT}
       FROM option_chains c JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE c.contract_symbol = $1`,
    [contractSymbol],
  );
  const row = contract.rows[0];
  if (row === undefined) return null;
  const quotes = await db.query<ContractQuote>(
    `SELECT t.collection_date AS date, t.collection_type AS type, ${QUOTE_VALUES}
       FROM market_data_ticks t WHERE t.contract_id = $1 ORDER BY t.time, t.collection_type`,
    [row.contractId],
  );
  return { ...row, quotes: quotes.rows };
}

/** The symbols chainvault knows, for error messages that list them. */
export async function knownSymbols(db: Queryable): Promise<string[]> {
  const result = await db.query<{ symbol: string }>(
    "SELECT symbol FROM underlying_securities ORDER BY symbol",
  );
  return result.rows.map((row) => row.symbol);
}
