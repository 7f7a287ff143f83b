import type { Queryable } from "../database.ts";

export interface StoredLifecycle {
  contractId: number;
  firstSeen: string;
  lastSeen: string | null;
  expiryCollected: boolean | null;
  status: string | null;
}

export async function getLifecycle(db: Queryable, contractId: number): Promise<StoredLifecycle | null> {
  const result = await db.query<StoredLifecycle>(
    `SELECT contract_id AS "contractId", first_seen AS "firstSeen", last_seen AS "lastSeen",
            expiry_collected AS "expiryCollected", status
       FROM option_contract_lifecycle WHERE contract_id = $1`,
    [contractId],
  );
  return result.rows[0] ?? null;
}

/**
 * Every contract seen on `date`: new ones get first_seen = last_seen = date and status 'listed';
 * known ones keep the earliest first_seen and the latest last_seen ever seen, so a backfill of an
 * older day moves first_seen back and never drags last_seen back. Returns the ids that were new to
 * the lifecycle table.
 */
export async function touchLifecycle(
  db: Queryable,
  contractIds: readonly number[],
  date: string,
): Promise<number[]> {
  if (contractIds.length === 0) return [];
  const result = await db.query<{ contract_id: number; inserted: boolean }>(
    `INSERT INTO option_contract_lifecycle (contract_id, first_seen, last_seen, expiry_collected, status)
     SELECT id, $2::date, $2::date, false, 'listed' FROM unnest($1::int[]) AS id
     ON CONFLICT (contract_id) DO UPDATE SET
       first_seen = LEAST(option_contract_lifecycle.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(option_contract_lifecycle.last_seen, EXCLUDED.last_seen)
     RETURNING contract_id, (xmax = 0) AS inserted`,
    [contractIds, date],
  );
  return result.rows.filter((row) => row.inserted).map((row) => row.contract_id);
}

/** Contracts of the underlying whose expiry is before `date` move from 'listed' to 'expired'. Returns how many. */
export async function expireLifecycle(db: Queryable, underlyingId: number, date: string): Promise<number> {
  const result = await db.query(
    `UPDATE option_contract_lifecycle AS l SET status = 'expired'
       FROM option_chains AS c
      WHERE c.id = l.contract_id AND c.underlying_id = $1 AND c.expiration_date < $2::date
        AND l.status IS DISTINCT FROM 'expired'`,
    [underlyingId, date],
  );
  return result.rowCount;
}

/**
 * Marks contracts whose snapshot on their last trading day (`date`: the expiry day, or the session before it for
 * an AM-settled contract) is stored. Returns how many changed.
 */
export async function markExpiryCollected(
  db: Queryable,
  contractIds: readonly number[],
  date: string,
): Promise<number> {
  if (contractIds.length === 0) return 0;
  const result = await db.query(
    `UPDATE option_contract_lifecycle AS l SET expiry_collected = true
       FROM option_chains AS c
      WHERE c.id = l.contract_id AND l.contract_id = ANY($1::int[]) AND c.expiration_date >= $2::date
        AND l.expiry_collected IS NOT TRUE`,
    [contractIds, date],
  );
  return result.rowCount;
}

/**
 * Marks every contract expiring on `date` expired (adding its lifecycle row if missing), with
 * expiry_collected set when one of its quotes of `snapshotTypes` from its last trading day is stored: `date`,
 * or `amLastTradingDay` for an AM-settled contract (it stopped trading the session before its expiry morning).
 * Returns each such contract and whether it was collected.
 */
export async function expireContractsOn(
  db: Queryable,
  date: string,
  amLastTradingDay: string,
  snapshotTypes: readonly string[],
): Promise<{ contractId: number; collected: boolean }[]> {
  const result = await db.query<{ contract_id: number; collected: boolean }>(
    `WITH expired AS (
       SELECT c.id AS contract_id,
              EXISTS (SELECT 1 FROM market_data_ticks t
                       WHERE t.contract_id = c.id
                         AND t.collection_date = CASE WHEN c.settlement = 'AM' THEN $3::date ELSE $1::date END
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
    [date, snapshotTypes, amLastTradingDay],
  );
  return result.rows.map((row) => ({ contractId: Number(row.contract_id), collected: row.collected }));
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
