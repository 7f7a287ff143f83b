import type { Queryable } from "../database.ts";

/** A contract's fields as the chain reads return them (option_chains' row). */
export interface ContractFields {
  /** The contract's row id (option_chains.id): stable within one database, not across databases. */
  contractId: number;
  /** OCC symbol, e.g. "SPY   261218C00600000". */
  contractSymbol: string;
  /** "YYYY-MM-DD". */
  expiry: string;
  strike: number;
  right: "C" | "P";
  tradingClass: string | null;
  multiplier: number;
  conId: number | null;
}

/** option_chains' columns under ContractFields' names (alias `c`). */
export const CONTRACT_FIELDS_SQL = `c.id AS "contractId", c.contract_symbol AS "contractSymbol",
  c.expiration_date AS expiry, c.strike_price AS strike, c.option_type AS "right", c.trading_class AS "tradingClass",
  c.multiplier, c.ib_con_id AS "conId"`;

/**
 * Contracts read once by id and kept: a backtest reads the chain of many days, and neighbouring days quote mostly
 * the same contracts, so after the first days a chain read asks the server only for quotes. A contract's fields do
 * not change once it is listed — its OCC symbol fixes root, expiry, right and strike, and discovery stores IB's
 * conId, trading class and multiplier with the listing — so a kept contract never goes stale; one the cache has
 * not seen (listed since) is read when a chain first quotes it.
 */
export class ContractCache {
  private readonly byId = new Map<number, ContractFields>();
  /** Years of chains list hundreds of thousands of contracts; past this many the cache starts over. */
  private readonly capacity: number;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  /** The contracts of `ids` (those option_chains holds), reading only the ones not kept yet. */
  async get(db: Queryable, ids: readonly number[]): Promise<ReadonlyMap<number, ContractFields>> {
    let missing = ids.filter((id) => !this.byId.has(id));
    if (missing.length === 0) return this.byId;
    if (this.byId.size + missing.length > this.capacity) {
      this.byId.clear();
      missing = [...ids];
    }
    const result = await db.query<ContractFields>(
      `SELECT ${CONTRACT_FIELDS_SQL} FROM option_chains c WHERE c.id = ANY($1::int[])`,
      [[...new Set(missing)]],
    );
    for (const row of result.rows) this.byId.set(row.contractId, row);
    return this.byId;
  }
}
