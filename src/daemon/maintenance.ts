import type { Queryable } from "../store/database.ts";
import { EXPIRY_DAY_SNAPSHOT_TYPES } from "../core/collection.ts";

/**
 * SQL for the bookkeeping slots (expiry processing, post-expiry verification, weekend review).
 * Plain parameterized SQL over the core tables.
 */

export interface ExpiryCheck {
  expired: number;
  /** Contracts that expired on the date and have a quote stored on their last day. */
  collected: number;
  /** Contract ids with no quote on their last day. */
  uncollected: number[];
}

/**
 * Marks contracts that expired on `date` as expired in the lifecycle, with expiry_collected set
 * when a quote of theirs from that day is stored.
 */
export async function processExpiry(db: Queryable, date: string): Promise<ExpiryCheck> {
  const result = await db.query<{ contract_id: number; collected: boolean }>(
    `WITH expired AS (
       SELECT c.id AS contract_id,
              EXISTS (SELECT 1 FROM market_data_ticks t
                       WHERE t.contract_id = c.id AND t.collection_date = $1
                         AND t.collection_type = ANY($2::text[])) AS collected
         FROM option_chains c
        WHERE c.expiration_date = $1
     ), upserted AS (
       INSERT INTO option_contract_lifecycle (contract_id, first_seen, last_seen, expiry_collected, status)
       SELECT contract_id, $1::date, $1::date, collected, 'expired' FROM expired
       ON CONFLICT (contract_id) DO UPDATE
         SET status = 'expired',
             expiry_collected = option_contract_lifecycle.expiry_collected OR EXCLUDED.expiry_collected,
             last_seen = GREATEST(option_contract_lifecycle.last_seen, EXCLUDED.last_seen)
     )
     SELECT contract_id, collected FROM expired`,
    [date, EXPIRY_DAY_SNAPSHOT_TYPES],
  );
  const uncollected = result.rows.filter((row) => !row.collected).map((row) => Number(row.contract_id));
  return { expired: result.rows.length, collected: result.rows.length - uncollected.length, uncollected };
}

/** Contracts that expired between the two dates (inclusive) whose expiry-day data is missing. */
export async function expiredWithoutExpiryData(
  db: Queryable,
  from: string,
  to: string,
): Promise<{ contractId: number; symbol: string; expiration: string }[]> {
  const result = await db.query<{ id: number; symbol: string; expiration_date: string }>(
    `SELECT c.id, u.symbol, c.expiration_date
       FROM option_chains c
       JOIN underlying_securities u ON u.id = c.underlying_id
       LEFT JOIN option_contract_lifecycle l ON l.contract_id = c.id
      WHERE c.expiration_date BETWEEN $1 AND $2
        AND COALESCE(l.expiry_collected, false) = false
      ORDER BY c.expiration_date, c.id`,
    [from, to],
  );
  return result.rows.map((row) => ({
    contractId: Number(row.id),
    symbol: row.symbol,
    expiration: row.expiration_date,
  }));
}

export async function recordQualityIssue(
  db: Queryable,
  issue: {
    date: string;
    symbol: string | null;
    type: string | null;
    contractId?: number | null;
    rule: string;
    severity: "info" | "warning" | "error";
    message: string;
    details?: unknown;
  },
): Promise<void> {
  await db.query(
    // Once per (date, symbol, type, contract, rule): daily checks find the same gap again.
    `INSERT INTO data_quality_issues (collection_date, symbol, collection_type, contract_id, rule, severity, message, details)
     SELECT $1::date, $2::varchar, $3::varchar, $4::int, $5::varchar, $6::varchar, $7::text, $8::jsonb
      WHERE NOT EXISTS (SELECT 1 FROM data_quality_issues
                         WHERE collection_date = $1 AND symbol IS NOT DISTINCT FROM $2
                           AND collection_type IS NOT DISTINCT FROM $3
                           AND contract_id IS NOT DISTINCT FROM $4 AND rule = $5)`,
    [
      issue.date,
      issue.symbol,
      issue.type,
      issue.contractId ?? null,
      issue.rule,
      issue.severity,
      issue.message,
      issue.details === undefined ? null : JSON.stringify(issue.details),
    ],
  );
}

/** Counts of slot outcomes between two dates, per type and status: the weekend review. */
export async function outcomeCounts(
  db: Queryable,
  from: string,
  to: string,
): Promise<{ type: string; status: string; count: number }[]> {
  const result = await db.query<{ collection_type: string; status: string | null; n: number }>(
    `SELECT collection_type, status, count(*)::int AS n FROM daily_collection_status
      WHERE collection_date BETWEEN $1 AND $2 AND symbol <> '*'
      GROUP BY collection_type, status ORDER BY collection_type, status`,
    [from, to],
  );
  return result.rows.map((row) => ({
    type: row.collection_type,
    status: row.status ?? "unknown",
    count: Number(row.n),
  }));
}

/** Collection type of rows filled from daily bars after a missed snapshot. */
export const HISTORICAL_FILL_TYPE = "hist_daily";

/**
 * Contracts of a symbol worth filling for a missed day: not expired by `today` (IB serves no bars
 * for expired ones) and quoted by the latest collection before `date`, nearest expiries first.
 */
export async function contractsToFill(
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

export async function hasHistoricalFill(db: Queryable, symbol: string, date: string): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM market_data_ticks t
       JOIN option_chains c ON c.id = t.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2 AND t.collection_type = $3 LIMIT 1`,
    [symbol, date, HISTORICAL_FILL_TYPE],
  );
  return result.rows.length > 0;
}

/** Stores one daily bar as a quote row of type hist_daily at the close; a second store of it is a no-op. */
export async function storeDailyBar(
  db: Queryable,
  row: { contractId: number; date: string; time: Date; close: number; volume: number | null },
): Promise<void> {
  await db.query(
    `INSERT INTO market_data_ticks (time, collection_date, contract_id, collection_type, last_price, close_price, volume)
     VALUES ($1, $2, $3, $4, $5, $5, $6)
     ON CONFLICT (contract_id, collection_type, time) DO NOTHING`,
    [row.time, row.date, row.contractId, HISTORICAL_FILL_TYPE, row.close, row.volume],
  );
}
