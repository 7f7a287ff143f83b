import type { Queryable } from "../database.ts";

/** One option contract: a row of option_chains. */
export interface ContractRow {
  /** OCC symbol, e.g. "SPY   251219C00600000" (21 characters). */
  contractSymbol: string;
  underlyingId: number;
  strikePrice: number;
  optionType: "C" | "P";
  /** "YYYY-MM-DD" */
  expirationDate: string;
  ibConId?: number | null;
  multiplier?: number;
  exchange?: string;
  tradingClass?: string | null;
  /** "AM" or "PM" (migration 069); null when unknown. */
  settlement?: "AM" | "PM" | null;
  exerciseStyle?: "american" | "european" | null;
}

export interface StoredContract extends Required<
  Omit<ContractRow, "ibConId" | "tradingClass" | "settlement" | "exerciseStyle">
> {
  id: number;
  ibConId: number | null;
  tradingClass: string | null;
  settlement: "AM" | "PM" | null;
  exerciseStyle: "american" | "european" | null;
}

const BATCH = 5_000;

/**
 * The order new contracts take their ids in: calls, then puts, each by expiry and strike. A snapshot's quotes are
 * compressed in contract id order (migration 075's layout), so neighbouring ids should be neighbouring contracts
 * of one side: a chain listed strike by strike with C and P side by side would make every other row jump between
 * a call's price and a put's (bench/storage, 90 days of SPY: 10.38:1 calls first, 6.98:1 with C and P alternating).
 */
function idOrder(a: ContractRow, b: ContractRow): number {
  return (
    a.optionType.localeCompare(b.optionType) ||
    a.expirationDate.localeCompare(b.expirationDate) ||
    a.strikePrice - b.strikePrice ||
    a.contractSymbol.localeCompare(b.contractSymbol)
  );
}

/**
 * Inserts or updates contracts by OCC symbol; returns contract_symbol → id for every row given.
 * A known conId or trading class is never overwritten with null. When a symbol appears twice in
 * `rows`, the last one wins. New contracts are numbered calls first (idOrder).
 */
export async function upsertContracts(
  db: Queryable,
  rows: readonly ContractRow[],
): Promise<Map<string, number>> {
  const unique = [...new Map(rows.map((row) => [row.contractSymbol, row])).values()].sort(idOrder);
  const ids = new Map<string, number>();
  for (let start = 0; start < unique.length; start += BATCH) {
    const batch = unique.slice(start, start + BATCH);
    const result = await db.query<{ id: number; contract_symbol: string }>(
      `INSERT INTO option_chains (contract_symbol, underlying_id, strike_price, option_type, expiration_date,
                                  ib_con_id, multiplier, exchange, trading_class, settlement, exercise_style)
       SELECT contract_symbol, underlying_id, strike_price, option_type, expiration_date, ib_con_id, multiplier,
              exchange, trading_class, settlement, exercise_style
         FROM unnest($1::text[], $2::int[], $3::numeric[], $4::text[], $5::date[], $6::bigint[], $7::int[],
                     $8::text[], $9::text[], $10::text[], $11::text[])
              WITH ORDINALITY AS r(contract_symbol, underlying_id, strike_price, option_type, expiration_date,
                                   ib_con_id, multiplier, exchange, trading_class, settlement, exercise_style, n)
        ORDER BY n
       ON CONFLICT (contract_symbol) DO UPDATE SET
         underlying_id = EXCLUDED.underlying_id,
         strike_price = EXCLUDED.strike_price,
         option_type = EXCLUDED.option_type,
         expiration_date = EXCLUDED.expiration_date,
         ib_con_id = COALESCE(EXCLUDED.ib_con_id, option_chains.ib_con_id),
         multiplier = EXCLUDED.multiplier,
         exchange = EXCLUDED.exchange,
         trading_class = COALESCE(EXCLUDED.trading_class, option_chains.trading_class),
         settlement = COALESCE(EXCLUDED.settlement, option_chains.settlement),
         exercise_style = COALESCE(EXCLUDED.exercise_style, option_chains.exercise_style),
         updated_at = now()
       RETURNING id, contract_symbol`,
      [
        batch.map((r) => r.contractSymbol),
        batch.map((r) => r.underlyingId),
        batch.map((r) => r.strikePrice),
        batch.map((r) => r.optionType),
        batch.map((r) => r.expirationDate),
        batch.map((r) => r.ibConId ?? null),
        batch.map((r) => r.multiplier ?? 100),
        batch.map((r) => r.exchange ?? "SMART"),
        batch.map((r) => r.tradingClass ?? null),
        batch.map((r) => r.settlement ?? null),
        batch.map((r) => r.exerciseStyle ?? null),
      ],
    );
    for (const row of result.rows) ids.set(row.contract_symbol, row.id);
  }
  return ids;
}

const SELECT_CONTRACT = `SELECT id, contract_symbol AS "contractSymbol", underlying_id AS "underlyingId",
        strike_price AS "strikePrice", option_type AS "optionType", expiration_date AS "expirationDate",
        ib_con_id AS "ibConId", multiplier, exchange, trading_class AS "tradingClass", settlement,
        exercise_style AS "exerciseStyle"
   FROM option_chains`;

/** Contracts of one underlying, optionally only those expiring on or after `expiringFrom`. */
export async function listContracts(
  db: Queryable,
  underlyingId: number,
  options: { expiringFrom?: string } = {},
): Promise<StoredContract[]> {
  const result = await db.query<StoredContract>(
    `${SELECT_CONTRACT} WHERE underlying_id = $1 AND ($2::date IS NULL OR expiration_date >= $2::date)
     ORDER BY expiration_date, strike_price, option_type`,
    [underlyingId, options.expiringFrom ?? null],
  );
  return result.rows;
}

/** contract id → its underlying's id, for the ids given that option_chains holds. */
export async function underlyingsOfContracts(
  db: Queryable,
  contractIds: readonly number[],
): Promise<Map<number, number>> {
  const result = await db.query<{ id: number; underlying_id: number }>(
    "SELECT id, underlying_id FROM option_chains WHERE id = ANY($1::int[])",
    [[...new Set(contractIds)]],
  );
  return new Map(result.rows.map((row) => [row.id, row.underlying_id]));
}
