import type { Queryable } from "../database.ts";

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
