import type { GreeksSource } from "../../pricing/option-model.ts";
import type { Queryable } from "../database.ts";
import { decimalOf, decimalSql, scaledColumnOf } from "../repositories/tick-columns.ts";
import type { ScaledColumn } from "../repositories/tick-columns.ts";
import { CONTRACT_FIELDS_SQL, ContractCache } from "./contract-cache.ts";
import type { ContractFields } from "./contract-cache.ts";

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
export interface ChainQuote extends QuoteValues, ContractFields {}

// Prices and greeks are stored scaled (tick-columns.ts); decimalSql reads them back as the decimals they were.
const QUOTE_VALUES = `t.time, ${decimalSql("t", "bid_price")} AS bid, ${decimalSql("t", "ask_price")} AS ask,
  ${decimalSql("t", "last_price")} AS last, ${decimalSql("t", "close_price")} AS close,
  t.bid_size AS "bidSize", t.ask_size AS "askSize", t.volume, t.open_interest AS "openInterest",
  t.open_interest_date AS "openInterestDate",
  ${decimalSql("t", "implied_volatility")} AS "impliedVolatility", ${decimalSql("t", "delta")} AS delta,
  ${decimalSql("t", "gamma")} AS gamma, ${decimalSql("t", "theta")} AS theta, ${decimalSql("t", "vega")} AS vega,
  ${decimalSql("t", "rho")} AS rho, ${decimalSql("t", "underlying_price")} AS "underlyingPrice",
  t.market_data_type AS "marketDataType", t.greeks_source AS "greeksSource"`;

export interface SnapshotQuery {
  symbol: string;
  /** The collection's trading day, "YYYY-MM-DD". */
  date: string;
  collectionType: string;
  /** Only quotes taken at or after this instant: with a replacement under way, the older rows are the snapshot being replaced. */
  since?: Date | null;
}

/** The scaled fields of a chain read, stored as integers and turned into decimals here. */
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

/** The columns of one quote line, in order; chainQuotes reads the fields back by these positions. */
const LINE_COLUMNS = [
  "t.contract_id",
  // Milliseconds since the epoch, truncated as Date keeps them.
  "floor(extract(epoch FROM t.time) * 1000)",
  `t.${SCALED.bid.raw}`,
  `t.${SCALED.ask.raw}`,
  `t.${SCALED.last.raw}`,
  `t.${SCALED.close.raw}`,
  "t.bid_size",
  "t.ask_size",
  "t.volume",
  "t.open_interest",
  "t.open_interest_date",
  `t.${SCALED.impliedVolatility.raw}`,
  `t.${SCALED.delta.raw}`,
  `t.${SCALED.gamma.raw}`,
  `t.${SCALED.theta.raw}`,
  `t.${SCALED.vega.raw}`,
  `t.${SCALED.rho.raw}`,
  `t.${SCALED.underlyingPrice.raw}`,
  "t.market_data_type",
  "t.greeks_source",
] as const;

/**
 * The snapshot's quotes as one text value, a line per quote of comma-separated fields (LINE_COLUMNS; `format`
 * writes NULL as nothing; no field holds a comma). One value of plain numbers is the cheapest shape for both sides:
 * the server formats integers, the client splits lines — json_agg's per-value work was most of this read's time
 * (bench/query.ts). Migration 078's index (collection_date, collection_type, underlying_id) makes the read
 * exactly the rows of this chain; the contracts' fields come from a ContractCache.
 */
const CHAIN_SQL = `SELECT string_agg(format('${LINE_COLUMNS.map(() => "%s").join(",")}', ${LINE_COLUMNS.join(", ")}), E'\\n') AS chain
  FROM market_data_ticks t
 WHERE t.underlying_id = (SELECT id FROM underlying_securities WHERE symbol = $1)
   AND t.collection_date = $2::date AND t.collection_type = $3
   AND ($4::timestamptz IS NULL OR t.time >= $4)`;

const COMMA = 44;
const NEWLINE = 10;
const MINUS = 45;

/**
 * Reads CHAIN_SQL's text field by field. Integers are read digit by digit rather than cut out and converted — a
 * chain is some twenty thousand of them, and the substrings were most of the client's time; an empty field is
 * NULL. Every integer here is below 2^53, so the arithmetic is exact.
 */
class LineReader {
  private position = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  get done(): boolean {
    return this.position >= this.text.length;
  }

  integer(): number | null {
    const text = this.text;
    let i = this.position;
    let code = text.charCodeAt(i);
    if (i >= text.length || code === COMMA || code === NEWLINE) {
      this.position = i + 1;
      return null;
    }
    const negative = code === MINUS;
    if (negative) code = text.charCodeAt(++i);
    let value = 0;
    while (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      code = text.charCodeAt(++i);
    }
    this.position = i + 1;
    return negative ? -value : value;
  }

  scaled(column: ScaledColumn): number | null {
    const stored = this.integer();
    return stored === null ? null : decimalOf(column, stored);
  }

  /** Passes over the rest of the current line. */
  skipLine(): void {
    const end = this.text.indexOf("\n", this.position);
    this.position = end === -1 ? this.text.length : end + 1;
  }

  string(): string | null {
    const text = this.text;
    const start = this.position;
    let end = start;
    while (end < text.length && text.charCodeAt(end) !== COMMA && text.charCodeAt(end) !== NEWLINE) end += 1;
    this.position = end + 1;
    return end === start ? null : text.slice(start, end);
  }
}

/** A quote with the numbers chain order compares: expiry as YYYYMMDD, then strike and right as one integer. */
interface Ordered {
  quote: ChainQuote;
  expiry: number;
  strikeRight: number;
}

const expiryNumber = (expiry: string): number =>
  Number(expiry.slice(0, 4)) * 10_000 + Number(expiry.slice(5, 7)) * 100 + Number(expiry.slice(8, 10));

/** Chain order: expiry, strike, call before put; a contract quoted twice (a forced re-run), latest first. */
function chainOrder(a: Ordered, b: Ordered): number {
  return (
    a.expiry - b.expiry ||
    a.strikeRight - b.strikeRight ||
    a.quote.contractId - b.quote.contractId ||
    b.quote.time.getTime() - a.quote.time.getTime()
  );
}

/**
 * Every contract of the symbol quoted by the (date, type) collection, by expiry, strike, then call before put.
 * A contract quoted twice in it (a forced re-run adds a snapshot) appears once, with its latest quote. `contracts`
 * keeps the contracts' fields between reads (the library API holds one); without it each read reads them.
 */
export async function chainQuotes(
  db: Queryable,
  query: SnapshotQuery,
  contracts: ContractCache = new ContractCache(),
): Promise<ChainQuote[]> {
  const result = await db.query<{ chain: string | null }>(
    CHAIN_SQL,
    [query.symbol, query.date, query.collectionType, query.since ?? null],
    // Planning costs about as much as running it; a chain read is made thousands of times.
    { name: "chainvault_chain_quotes" },
  );
  const text = result.rows[0]?.chain ?? null;
  if (text === null) return [];
  // The contracts first (the first field of every line), then each line straight into its row.
  const ids: number[] = [];
  for (const scan = new LineReader(text); !scan.done; scan.skipLine()) ids.push(scan.integer()!);
  const known = await contracts.get(db, ids);
  const ordered: Ordered[] = [];
  const reader = new LineReader(text);
  while (!reader.done) {
    const contract = known.get(reader.integer()!);
    // A quote whose contract is gone from option_chains belongs to no chain.
    if (contract === undefined) {
      reader.skipLine();
      continue;
    }
    // One literal of every field in ChainQuote's order: one object shape for every row.
    const quote: ChainQuote = {
      contractId: contract.contractId,
      contractSymbol: contract.contractSymbol,
      expiry: contract.expiry,
      strike: contract.strike,
      right: contract.right,
      tradingClass: contract.tradingClass,
      multiplier: contract.multiplier,
      conId: contract.conId,
      time: new Date(reader.integer()!),
      bid: reader.scaled(SCALED.bid),
      ask: reader.scaled(SCALED.ask),
      last: reader.scaled(SCALED.last),
      close: reader.scaled(SCALED.close),
      bidSize: reader.integer(),
      askSize: reader.integer(),
      volume: reader.integer(),
      openInterest: reader.integer(),
      openInterestDate: reader.string(),
      impliedVolatility: reader.scaled(SCALED.impliedVolatility),
      delta: reader.scaled(SCALED.delta),
      gamma: reader.scaled(SCALED.gamma),
      theta: reader.scaled(SCALED.theta),
      vega: reader.scaled(SCALED.vega),
      rho: reader.scaled(SCALED.rho),
      underlyingPrice: reader.scaled(SCALED.underlyingPrice),
      marketDataType: reader.integer(),
      greeksSource: reader.string() as ChainQuote["greeksSource"],
    };
    ordered.push({
      quote,
      expiry: expiryNumber(quote.expiry),
      strikeRight: Math.round(quote.strike * 1000) * 2 + (quote.right === "P" ? 1 : 0),
    });
  }
  ordered.sort(chainOrder);
  const quotes: ChainQuote[] = [];
  for (const { quote } of ordered) {
    if (quote.contractId !== quotes.at(-1)?.contractId) quotes.push(quote);
  }
  return quotes;
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

export interface ContractHistory extends ContractFields {
  /** The underlying's symbol. */
  symbol: string;
  /** Every stored quote of the contract, oldest first. */
  quotes: ContractQuote[];
}

/** One contract and all its stored quotes, or null when the OCC symbol is unknown. */
export async function contractQuotes(db: Queryable, contractSymbol: string): Promise<ContractHistory | null> {
  const contract = await db.query<Omit<ContractHistory, "quotes">>(
    `SELECT u.symbol, ${CONTRACT_FIELDS_SQL}
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
