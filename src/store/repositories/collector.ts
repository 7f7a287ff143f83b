import type { Queryable } from "../database.ts";

/**
 * Set-based SQL the collector needs per run: the quotes of one (date, type) collection for resume and
 * --force, and recent activity for strike selection. Lifecycle bookkeeping lives in lifecycle.ts.
 */

/** Contract ids of the underlying that already have a quote in the (date, type) collection: a resumed run skips them. */
export async function contractsWithQuotes(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<Set<number>> {
  const result = await db.query<{ contract_id: number }>(
    `SELECT DISTINCT q.contract_id FROM market_data_ticks AS q
       JOIN option_chains AS c ON c.id = q.contract_id
      WHERE c.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  return new Set(result.rows.map((row) => Number(row.contract_id)));
}

/** Removes one (date, type) collection of an underlying — option quotes and its own ticks — before a forced re-run. */
export async function deleteCollectionQuotes(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<number> {
  const quotes = await db.query(
    `DELETE FROM market_data_ticks AS q USING option_chains AS c
      WHERE c.id = q.contract_id AND c.underlying_id = $1 AND q.collection_date = $2::date AND q.collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  await db.query(
    `DELETE FROM underlying_ticks WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3`,
    [underlyingId, collectionDate, collectionType],
  );
  return quotes.rowCount;
}

/** Whether the underlying already has a tick in the (date, type) collection. */
export async function hasUnderlyingTick(
  db: Queryable,
  underlyingId: number,
  collectionDate: string,
  collectionType: string,
): Promise<boolean> {
  const result = await db.query(
    `SELECT 1 FROM underlying_ticks WHERE underlying_id = $1 AND collection_date = $2::date AND collection_type = $3 LIMIT 1`,
    [underlyingId, collectionDate, collectionType],
  );
  return result.rows.length > 0;
}

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
