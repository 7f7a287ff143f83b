import type { Queryable } from "../database.ts";
import type { QuoteGreeks } from "../../pricing/black-scholes.ts";
import { decimalSql } from "./tick-columns.ts";

/** Reads of stored quotes across days (market_data_ticks is written by quotes.ts only). */

/** Open interest and volume per contract from the most recent stored quotes before `beforeDate` (strike selection). */
export async function recentActivity(
  db: Queryable,
  underlyingId: number,
  beforeDate: string,
  days = 20,
): Promise<
  Map<number, { openInterest: number | null; volume: number | null; averageVolume: number | null }>
> {
  const result = await db.query<{
    contract_id: number;
    open_interest: number | null;
    volume: string | number | null;
    average_volume: string | number | null;
  }>(
    `SELECT q.contract_id,
            (array_agg(q.open_interest ORDER BY q.time DESC))[1] AS open_interest,
            (array_agg(q.volume ORDER BY q.time DESC))[1] AS volume,
            avg(q.volume) AS average_volume
       FROM market_data_ticks AS q JOIN option_chains AS c ON c.id = q.contract_id
      WHERE c.underlying_id = $1 AND q.collection_date < $2::date
        AND q.collection_date >= $2::date - $3::int
      GROUP BY q.contract_id`,
    [underlyingId, beforeDate, days],
  );
  const activity = new Map<
    number,
    { openInterest: number | null; volume: number | null; averageVolume: number | null }
  >();
  for (const row of result.rows) {
    activity.set(Number(row.contract_id), {
      openInterest: row.open_interest === null ? null : Number(row.open_interest),
      volume: row.volume === null ? null : Number(row.volume),
      averageVolume: row.average_volume === null ? null : Number(row.average_volume),
    });
  }
  return activity;
}

/** Whether any contract of the symbol has a quote of `collectionType` on `date`. */
export async function hasSymbolQuotes(
  db: Queryable,
  symbol: string,
  date: string,
  collectionType: string,
): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM market_data_ticks t
       JOIN option_chains c ON c.id = t.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2 AND t.collection_type = $3 LIMIT 1`,
    [symbol, date, collectionType],
  );
  return result.rows.length > 0;
}

/**
 * Contracts of a symbol quoted by its latest collection before `date`, with a conId and not expired
 * by `today` (IB serves no bars for expired ones), nearest expiries first, at most `limit`.
 */
export async function lastQuotedContracts(
  db: Queryable,
  symbol: string,
  date: string,
  today: string,
  limit: number,
): Promise<{ contractId: number; conId: number }[]> {
  const result = await db.query<{ id: number; ib_con_id: number }>(
    `SELECT c.id, c.ib_con_id
       FROM option_chains c
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = $1 AND c.ib_con_id IS NOT NULL AND c.expiration_date >= $3::date
        AND c.id IN (SELECT t.contract_id FROM market_data_ticks t
                      WHERE t.collection_date = (SELECT max(t2.collection_date) FROM market_data_ticks t2
                                                   JOIN option_chains c2 ON c2.id = t2.contract_id
                                                  WHERE c2.underlying_id = u.id AND t2.collection_date < $2::date))
      ORDER BY c.expiration_date, c.strike_price, c.option_type
      LIMIT $4`,
    [symbol, date, today, limit],
  );
  return result.rows.map((row) => ({ contractId: Number(row.id), conId: Number(row.ib_con_id) }));
}

export interface StoredQuote extends QuoteGreeks {
  contractSymbol: string;
  bidPrice: number | null;
  askPrice: number | null;
  openInterest: number | null;
  greeksSource: string | null;
  underlyingPrice: number | null;
}

/** Quotes of a symbol's (date, type) collection not expiring that day, nearest expiry and strike to the underlying first. */
export async function nearTheMoneyQuotes(
  db: Queryable,
  query: { symbol: string; date: string; collectionType: string; limit: number },
): Promise<StoredQuote[]> {
  const result = await db.query<StoredQuote>(
    `SELECT c.contract_symbol AS "contractSymbol", ${decimalSql("q", "bid_price")} AS "bidPrice",
            ${decimalSql("q", "ask_price")} AS "askPrice", q.open_interest AS "openInterest",
            ${decimalSql("q", "implied_volatility")} AS "impliedVolatility", ${decimalSql("q", "delta")} AS delta,
            ${decimalSql("q", "gamma")} AS gamma, ${decimalSql("q", "theta")} AS theta,
            ${decimalSql("q", "vega")} AS vega, ${decimalSql("q", "rho")} AS rho, q.greeks_source AS "greeksSource",
            ${decimalSql("q", "underlying_price")} AS "underlyingPrice"
       FROM market_data_ticks AS q JOIN option_chains AS c ON c.id = q.contract_id
       JOIN underlying_securities AS u ON u.id = c.underlying_id
      WHERE q.collection_date = $1 AND q.collection_type = $2 AND u.symbol = $3 AND c.expiration_date > $1
      ORDER BY c.expiration_date, abs(c.strike_price - ${decimalSql("q", "underlying_price")}), c.option_type
      LIMIT $4`,
    [query.date, query.collectionType, query.symbol, query.limit],
  );
  return result.rows;
}
