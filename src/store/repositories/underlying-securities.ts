import type { Queryable } from "../database.ts";

export type SecurityType = "STK" | "ETF" | "IND";

export interface UnderlyingInput {
  symbol: string;
  securityType: SecurityType;
  ibConId?: number | null;
  primaryExchange?: string | null;
  exchange?: string;
  currency?: string;
}

export interface UnderlyingRow {
  id: number;
  symbol: string;
  securityType: SecurityType;
  ibConId: number | null;
  exchange: string;
  primaryExchange: string | null;
  currency: string;
}

/**
 * Inserts or updates an underlying by symbol and returns its id. Known values (conId, primary
 * exchange) are never overwritten with nulls.
 */
export async function upsertUnderlying(db: Queryable, input: UnderlyingInput): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO underlying_securities (symbol, security_type, ib_con_id, primary_exchange, exchange, currency)
     VALUES ($1, $2, $3, $4, COALESCE($5, 'SMART'), COALESCE($6, 'USD'))
     ON CONFLICT (symbol) DO UPDATE SET
       security_type = EXCLUDED.security_type,
       ib_con_id = COALESCE(EXCLUDED.ib_con_id, underlying_securities.ib_con_id),
       primary_exchange = COALESCE(EXCLUDED.primary_exchange, underlying_securities.primary_exchange),
       exchange = COALESCE($5, underlying_securities.exchange),
       currency = COALESCE($6, underlying_securities.currency),
       updated_at = now()
     RETURNING id`,
    [
      input.symbol,
      input.securityType,
      input.ibConId ?? null,
      input.primaryExchange ?? null,
      input.exchange ?? null,
      input.currency ?? null,
    ],
  );
  return result.rows[0]!.id;
}

export async function findUnderlying(db: Queryable, symbol: string): Promise<UnderlyingRow | null> {
  const result = await db.query<UnderlyingRow>(
    `SELECT id, symbol, security_type AS "securityType", ib_con_id AS "ibConId", exchange,
            primary_exchange AS "primaryExchange", currency
       FROM underlying_securities WHERE symbol = $1`,
    [symbol],
  );
  return result.rows[0] ?? null;
}
