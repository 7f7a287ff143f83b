import { DEFAULT_STALE_AFTER_MS } from "./collection-lock.ts";
import type { Queryable } from "./database.ts";
import { listCollections } from "./repositories/collection-status.ts";
import type { CollectionStatusRow } from "./repositories/collection-status.ts";

/**
 * What `chainvault status` reads about the runs of a date range, from every table that records one: the
 * status rows, slots the daemon gave up on (dead letters), the daemon's latest attempt per slot, the keys a
 * live run holds, and the data-quality issues found. Reads only; each table is written by its repository.
 * Keys are (collection_date, symbol, collection_type); the daemon's run-wide slots use symbol `*`.
 */

export interface SlotKeyFields {
  date: string;
  symbol: string;
  type: string;
}

/** A slot whose retries ran out (recorded by the daemon, not about one contract) and is not resolved. */
export interface SlotDeadLetterFacts extends SlotKeyFields {
  errorMessage: string;
  createdAt: Date;
  runId: string | null;
}

/** The daemon's latest attempt at a slot (daemon_slot_runs). */
export interface SlotAttemptFacts extends SlotKeyFields {
  outcome: string | null;
  detail: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  runId: string | null;
}

/**
 * Quality issues per key, by severity and by whether they concern one contract or the run as a whole.
 * Keyed on (date, symbol, type): data_quality_issues has no run_id before migration 061, and one key has
 * one current run.
 */
export interface QualityFacts extends SlotKeyFields {
  contractErrors: number;
  contractWarnings: number;
  runErrors: number;
  runWarnings: number;
}

export interface StatusFacts {
  rows: CollectionStatusRow[];
  deadLetters: SlotDeadLetterFacts[];
  attempts: SlotAttemptFacts[];
  /** Keys a live run holds now (collection_runs: not released, heartbeat fresher than the stale limit). */
  held: SlotKeyFields[];
  quality: QualityFacts[];
}

export async function readStatusFacts(
  db: Queryable,
  from: string,
  to: string,
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
): Promise<StatusFacts> {
  const rows = await listCollections(db, from, to);
  const deadLetters = await db.query<SlotDeadLetterFacts>(
    `SELECT DISTINCT ON (collection_date, symbol, collection_type)
            collection_date AS date, symbol, collection_type AS type, error_message AS "errorMessage",
            created_at AS "createdAt", run_id AS "runId"
       FROM collection_dead_letters
      WHERE collection_date BETWEEN $1 AND $2 AND contract_id IS NULL AND contract_symbol IS NULL
        AND resolved_at IS NULL AND symbol IS NOT NULL AND collection_type IS NOT NULL
      ORDER BY collection_date, symbol, collection_type, id DESC`,
    [from, to],
  );
  const attempts = await db.query<SlotAttemptFacts>(
    `SELECT DISTINCT ON (slot_key)
            collection_date AS date, symbol, collection_type AS type, outcome, detail,
            started_at AS "startedAt", finished_at AS "finishedAt", run_id AS "runId"
       FROM daemon_slot_runs
      WHERE collection_date BETWEEN $1 AND $2
      ORDER BY slot_key, id DESC`,
    [from, to],
  );
  const held = await db.query<SlotKeyFields>(
    `SELECT collection_date AS date, symbol, collection_type AS type
       FROM collection_runs
      WHERE collection_date BETWEEN $1 AND $2 AND released_at IS NULL
        AND heartbeat_at > now() - make_interval(secs => $3::float8 / 1000)`,
    [from, to, staleAfterMs],
  );
  const quality = await db.query<QualityFacts>(
    `SELECT collection_date AS date, coalesce(symbol, '*') AS symbol, collection_type AS type,
            count(*) FILTER (WHERE contract_id IS NOT NULL AND severity = 'error')::int AS "contractErrors",
            count(*) FILTER (WHERE contract_id IS NOT NULL AND severity = 'warning')::int AS "contractWarnings",
            count(*) FILTER (WHERE contract_id IS NULL AND severity = 'error')::int AS "runErrors",
            count(*) FILTER (WHERE contract_id IS NULL AND severity = 'warning')::int AS "runWarnings"
       FROM data_quality_issues
      WHERE collection_date BETWEEN $1 AND $2 AND collection_type IS NOT NULL
      GROUP BY 1, 2, 3`,
    [from, to],
  );
  return {
    rows,
    deadLetters: deadLetters.rows,
    attempts: attempts.rows,
    held: held.rows,
    quality: quality.rows,
  };
}
