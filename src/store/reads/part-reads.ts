import type { Queryable } from "../database.ts";

/**
 * The stored contracts a collection part names (option_chains, joined to the underlying): a part's worker
 * requests them by conId without resolving anything at the gateway, since the coordinator discovered them.
 */
export interface StoredContract {
  contractId: number;
  conId: number;
  contractSymbol: string;
  symbol: string;
  expiry: string;
  strike: number;
  right: "C" | "P";
  multiplier: number;
  tradingClass: string;
  exchange: string;
}

export async function contractsByIds(db: Queryable, ids: readonly number[]): Promise<StoredContract[]> {
  if (ids.length === 0) return [];
  const result = await db.query<{
    id: number;
    ib_con_id: string | number | null;
    contract_symbol: string;
    symbol: string;
    expiry: string;
    strike: string | number;
    option_type: "C" | "P";
    multiplier: number;
    trading_class: string | null;
    exchange: string;
  }>(
    `SELECT c.id, c.ib_con_id, c.contract_symbol, u.symbol, c.expiration_date::text AS expiry, c.strike_price AS strike,
            c.option_type, c.multiplier, c.trading_class, c.exchange
       FROM option_chains AS c JOIN underlying_securities AS u ON u.id = c.underlying_id
      WHERE c.id = ANY($1::integer[]) ORDER BY c.id`,
    [[...ids]],
  );
  return result.rows.map((row) => ({
    contractId: Number(row.id),
    conId: Number(row.ib_con_id),
    contractSymbol: row.contract_symbol,
    symbol: row.symbol,
    expiry: row.expiry,
    strike: Number(row.strike),
    right: row.option_type,
    multiplier: Number(row.multiplier),
    tradingClass: row.trading_class ?? row.symbol,
    exchange: row.exchange,
  }));
}

/** How each part of the split collections between two dates stands (for `status`), in key and index order. */
export interface PartStandingRow {
  date: string;
  symbol: string;
  type: string;
  index: number;
  status: "queued" | "running" | "completed" | "partial" | "failed";
  contractCount: number;
  storedCount: number;
}

export async function partStandingsBetween(
  db: Queryable,
  from: string,
  to: string,
): Promise<PartStandingRow[]> {
  const result = await db.query<PartStandingRow>(
    `SELECT collection_date::text AS date, symbol, collection_type AS type, part_index AS index, status,
            contract_count AS "contractCount", stored_count AS "storedCount"
       FROM collection_parts WHERE collection_date BETWEEN $1 AND $2
      ORDER BY collection_date, symbol, collection_type, part_index`,
    [from, to],
  );
  return result.rows;
}
