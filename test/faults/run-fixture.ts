import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import type { Queryable } from "../../src/store/database.ts";
import { waitUntil as waitForCondition } from "../helpers/wait.ts";

/** What the collection-run fault tests share: waiting on a condition, a config file, reading a collection back. */

export const DATE = "2025-01-15"; // a Wednesday; the simulators start at 16:45 ET, after the close

/** Polls `check` until it holds; fails with `what` after a generous ceiling (never a fixed sleep). */
export function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 45_000,
): Promise<void> {
  return waitForCondition(check, { what, timeoutMs, intervalMs: 20 });
}

/** A chainvault.yaml for CLI runs against the simulator at host:port; `collect` settings merged in. */
export async function writeCollectConfig(
  dir: string,
  sim: { host: string; port: number },
  options: { messagesPerSecond?: number; collect?: Record<string, string | number | boolean> } = {},
): Promise<string> {
  const file = path.join(dir, "chainvault.yaml");
  const collect = { include_vix: false, snapshot_timeout_ms: 60_000, ...options.collect };
  await writeFile(
    file,
    [
      "ib:",
      `  host: ${sim.host}`,
      `  port: ${sim.port}`,
      `  max_messages_per_second: ${options.messagesPerSecond ?? 1000}`,
      "selection:",
      "  max_days_to_expiry: 2",
      "collect:",
      ...Object.entries(collect).map(([key, value]) => `  ${key}: ${String(value)}`),
      "log:",
      "  level: info",
      "",
    ].join("\n"),
  );
  return file;
}

/** One symbol's rows of a (date, type) collection. */
export interface CollectionRows {
  rows: number;
  /** Distinct (contract_id, collection_type, time): the table's key. */
  distinctKeys: number;
  distinctContracts: number;
  /** contract_id|time of every row. */
  keys: Set<string>;
  newest: Date | null;
}

export async function collectionRows(
  db: Queryable,
  symbol: string,
  date = DATE,
  type = "eod",
): Promise<CollectionRows> {
  const result = await db.query<{ contract_id: number; collection_type: string; time: Date }>(
    `SELECT q.contract_id, q.collection_type, q.time FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE u.symbol = $1 AND q.collection_date = $2 AND q.collection_type = $3`,
    [symbol, date, type],
  );
  const keys = result.rows.map((row) => `${row.contract_id}|${row.time.toISOString()}`);
  const times = result.rows.map((row) => row.time.getTime());
  return {
    rows: result.rows.length,
    distinctKeys: new Set(
      result.rows.map((row) => `${row.contract_id}|${row.collection_type}|${row.time.toISOString()}`),
    ).size,
    distinctContracts: new Set(result.rows.map((row) => row.contract_id)).size,
    keys: new Set(keys),
    newest: times.length > 0 ? new Date(Math.max(...times)) : null,
  };
}

/** The status row of one symbol's (date, type) collection. */
export async function statusOf(
  db: Queryable,
  symbol: string,
  date = DATE,
  type = "eod",
): Promise<{ status: string; records_collected: number | null } | undefined> {
  const result = await db.query<{ status: string; records_collected: number | null }>(
    `SELECT status, records_collected FROM daily_collection_status
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [date, symbol, type],
  );
  return result.rows[0];
}

/** The collection_runs row of one symbol's (date, type) collection. */
export async function runOwnerOf(
  db: Queryable,
  symbol: string,
  date = DATE,
  type = "eod",
): Promise<
  { owner_pid: number; owner_host: string; released: boolean; replacing_before: Date | null } | undefined
> {
  const result = await db.query<{
    owner_pid: number;
    owner_host: string;
    released: boolean;
    replacing_before: Date | null;
  }>(
    `SELECT owner_pid, owner_host, released_at IS NOT NULL AS released, replacing_before FROM collection_runs
      WHERE collection_date = $1 AND symbol = $2 AND collection_type = $3`,
    [date, symbol, type],
  );
  return result.rows[0];
}

/** The pid of a process that has exited: what a killed run leaves in its owner row. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid!;
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
  old: CollectionRows,
  selected: number,
) {
  const now = await collectionRows(db, symbol);
  expect(now.rows).toBe(selected);
  expect(now.distinctKeys).toBe(now.rows);
  expect(now.distinctContracts).toBe(now.rows);
  expect([...now.keys].filter((key) => old.keys.has(key))).toEqual([]);
  expect(await statusOf(db, symbol)).toEqual({ status: "completed", records_collected: now.rows });
  expect(await runOwnerOf(db, symbol)).toMatchObject({ released: true, replacing_before: null });
  expect(await underlyingTicks(db, symbol)).toBe(1);
}
