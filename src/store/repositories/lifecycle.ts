import type { Queryable } from "../database.ts";

export type LifecycleStatus = "listed" | "expired";

/** An observation of a contract on a day. */
export interface LifecycleRow {
  contractId: number;
  /** "YYYY-MM-DD": first_seen keeps the earliest, last_seen the latest ever given. */
  seenOn: string;
  status?: LifecycleStatus | null;
  expiryCollected?: boolean | null;
}

export interface StoredLifecycle {
  contractId: number;
  firstSeen: string;
  lastSeen: string | null;
  expiryCollected: boolean | null;
  status: string | null;
}

/**
 * Records sightings of contracts in option_contract_lifecycle (one row per contract). Omitted
 * status / expiryCollected keep their stored values. Returns the number of rows written.
 */
export async function upsertLifecycle(db: Queryable, rows: readonly LifecycleRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = [...new Map(rows.map((row) => [row.contractId, row])).values()];
  const ids = unique.map((r) => r.contractId);
  // NULL means "not given": it keeps the stored value, and on a new row becomes the default below.
  const result = await db.query(
    `INSERT INTO option_contract_lifecycle AS l (contract_id, first_seen, last_seen, status, expiry_collected)
     SELECT * FROM unnest($1::int[], $2::date[], $2::date[], $3::text[], $4::boolean[])
     ON CONFLICT (contract_id) DO UPDATE SET
       first_seen = LEAST(l.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(l.last_seen, EXCLUDED.last_seen),
       status = COALESCE(EXCLUDED.status, l.status),
       expiry_collected = COALESCE(EXCLUDED.expiry_collected, l.expiry_collected)`,
    [
      ids,
      unique.map((r) => r.seenOn),
      unique.map((r) => r.status ?? null),
      unique.map((r) => r.expiryCollected ?? null),
    ],
  );
  await db.query(
    `UPDATE option_contract_lifecycle
        SET status = COALESCE(status, 'listed'), expiry_collected = COALESCE(expiry_collected, FALSE)
      WHERE contract_id = ANY($1::int[]) AND (status IS NULL OR expiry_collected IS NULL)`,
    [ids],
  );
  return result.rowCount;
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
