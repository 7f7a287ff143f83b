import { Writable } from "node:stream";
import pino from "pino";
import type { Logger } from "../../src/logger.ts";
import type { Queryable } from "../../src/store/database.ts";

/** The quotes stored for a collection date: rows, distinct (date, contract, type) keys, and the contract ids. */
export interface StoredQuotes {
  rows: number;
  distinctKeys: number;
  contractIds: Set<number>;
}

export async function storedQuotes(db: Queryable, date: string): Promise<StoredQuotes> {
  const result = await db.query<{ contract_id: number; collection_type: string }>(
    "SELECT contract_id, collection_type FROM market_data_ticks WHERE collection_date = $1",
    [date],
  );
  const keys = new Set(result.rows.map((row) => `${row.contract_id}:${row.collection_type}`));
  return {
    rows: result.rows.length,
    distinctKeys: keys.size,
    contractIds: new Set(result.rows.map((row) => Number(row.contract_id))),
  };
}

export interface StatusRow {
  symbol: string;
  status: string;
  records_collected: number | null;
  error_message: string | null;
}

export async function statusRows(db: Queryable, date: string): Promise<StatusRow[]> {
  const result = await db.query<StatusRow>(
    `SELECT symbol, status, records_collected, error_message FROM daily_collection_status
      WHERE collection_date = $1 ORDER BY symbol`,
    [date],
  );
  return result.rows;
}

export async function deadLetterCount(db: Queryable, date: string): Promise<number> {
  const result = await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM collection_dead_letters WHERE collection_date = $1",
    [date],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** A logger that keeps its messages, for asserting what a user would read. */
export function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() !== "") messages.push(String((JSON.parse(line) as { msg?: string }).msg ?? ""));
      }
      callback();
    },
  });
  return { logger: pino({ level: "info" }, stream), messages };
}

/** Resolves when `emitter` emits `event`; the promise carries the time it happened (Date.now()). */
export function nextEvent(
  emitter: { once(event: string, listener: () => void): unknown },
  event: string,
): Promise<number> {
  return new Promise((resolve) => emitter.once(event, () => resolve(Date.now())));
}
