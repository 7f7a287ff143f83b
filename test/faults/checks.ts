import { expect } from "vitest";
import type { IsoDate } from "../../src/calendar/index.ts";
import type { Queryable } from "../../src/store/database.ts";
import { DATE } from "./fixture.ts";

/** Reading a collection back, for the fault tests' assertions: rows, keys, status rows, owners. */

export interface StoredQuotes {
  /** Rows stored (all symbols, or the one asked for). */
  rows: number;
  bySymbol: Map<string, number>;
  /** Distinct (contract_id, collection_type, time): the table's key. Equal to `rows` unless duplicated. */
  distinctKeys: number;
  /** One row per contract and collection: equal to `rows` unless a contract was stored twice. */
  distinctContracts: number;
  /** `contract_id@time` of every row, to show that committed rows survive. */
  keys: Set<string>;
  contractIds: Set<number>;
  newest: Date | null;
}

/** The quotes of a (date, type) collection, of one symbol when `symbol` is given. */
export async function storedQuotes(
  db: Queryable,
  options: { date?: IsoDate; type?: string; symbol?: string } = {},
): Promise<StoredQuotes> {
  const result = await db.query<{ symbol: string; contract_id: number; time: Date }>(
    `SELECT u.symbol, q.contract_id, q.time FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE q.collection_date = $1 AND q.collection_type = $2 AND ($3::text IS NULL OR u.symbol = $3)`,
    [options.date ?? DATE, options.type ?? "eod", options.symbol ?? null],
  );
  const bySymbol = new Map<string, number>();
  for (const row of result.rows) bySymbol.set(row.symbol, (bySymbol.get(row.symbol) ?? 0) + 1);
  const keys = new Set(result.rows.map((row) => `${row.contract_id}@${row.time.toISOString()}`));
  const contractIds = new Set(result.rows.map((row) => Number(row.contract_id)));
  const times = result.rows.map((row) => row.time.getTime());
  return {
    rows: result.rows.length,
    bySymbol,
    distinctKeys: keys.size,
    distinctContracts: contractIds.size,
    keys,
    contractIds,
    newest: times.length > 0 ? new Date(Math.max(...times)) : null,
  };
}

export interface StatusRow {
  symbol: string;
  status: string;
  records_collected: number | null;
  error_message: string | null;
}

/** The status rows of a (date, type) collection, by symbol. */
export async function statusRows(db: Queryable, date: IsoDate = DATE, type = "eod"): Promise<StatusRow[]> {
  const result = await db.query<StatusRow>(
    `SELECT symbol, status, records_collected, error_message FROM daily_collection_status
      WHERE collection_date = $1 AND collection_type = $2 ORDER BY symbol`,
    [date, type],
  );
  return result.rows;
}

/** The status row of one symbol's (date, type) collection. */
export async function statusOf(
  db: Queryable,
  symbol: string,
  date: IsoDate = DATE,
  type = "eod",
): Promise<{ status: string; records_collected: number | null } | undefined> {
  const row = (await statusRows(db, date, type)).find((entry) => entry.symbol === symbol);
  return row ? { status: row.status, records_collected: row.records_collected } : undefined;
}

export async function deadLetterCount(db: Queryable, date: IsoDate = DATE): Promise<number> {
  const result = await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM collection_dead_letters WHERE collection_date = $1",
    [date],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** The collection_runs row of one symbol's (date, type) collection. */
export async function runOwnerOf(
  db: Queryable,
  symbol: string,
  date: IsoDate = DATE,
  type = "eod",
): Promise<
  | {
      owner_pid: number;
      owner_host: string;
      released: boolean;
      replacing_before: Date | null;
      heartbeat_at: Date;
    }
  | undefined
> {
  const result = await db.query<{
    owner_pid: number;
    owner_host: string;
    released: boolean;
    replacing_before: Date | null;
    heartbeat_at: Date;
  }>(
    `SELECT owner_pid, owner_host, released_at IS NOT NULL AS released, replacing_before, heartbeat_at
       FROM collection_runs WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [date, symbol, type],
  );
  return result.rows[0];
}

/** The VIX ticks of the (DATE, eod) collection, oldest first. */
export async function vixTicks(db: Queryable): Promise<Date[]> {
  const result = await db.query<{ time: Date }>(
    `SELECT t.time FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id
      WHERE u.symbol = 'VIX' AND t.collection_date = $1 AND t.collection_type = 'eod' ORDER BY t.time`,
    [DATE],
  );
  return result.rows.map((row) => row.time);
}

/** How many ticks of its own the symbol has in the (DATE, eod) collection. */
export async function underlyingTicks(db: Queryable, symbol: string): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM underlying_ticks t JOIN underlying_securities u ON u.id = t.underlying_id
      WHERE u.symbol = $1 AND t.collection_date = $2 AND t.collection_type = 'eod'`,
    [symbol, DATE],
  );
  return result.rows[0]!.n;
}

/** Exactly one snapshot of `selected` contracts, none of whose rows belong to `old`. */
export async function expectOnlyNewSnapshot(
  db: Queryable,
  symbol: string,
  old: StoredQuotes,
  selected: number,
) {
  const now = await storedQuotes(db, { symbol });
  expect(now.rows).toBe(selected);
  expect(now.distinctKeys).toBe(now.rows);
  expect(now.distinctContracts).toBe(now.rows);
  expect([...now.keys].filter((key) => old.keys.has(key))).toEqual([]);
  expect(await statusOf(db, symbol)).toEqual({ status: "completed", records_collected: now.rows });
  expect(await runOwnerOf(db, symbol)).toMatchObject({ released: true, replacing_before: null });
  expect(await underlyingTicks(db, symbol)).toBe(1);
}
