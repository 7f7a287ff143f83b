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
 * Quality issues per key: the contracts they concern, summed per severity (an issue about one contract
 * concerns 1; one about the collection as a whole says how many in `details.affected`). Keyed on (date,
 * symbol, type): a key has one current run, and the check after a run replaces what earlier ones found.
 */
export interface QualityFacts extends SlotKeyFields {
  errorsAffected: number;
  warningsAffected: number;
  infoAffected: number;
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
            coalesce(sum(affected) FILTER (WHERE severity = 'error'), 0)::float8 AS "errorsAffected",
            coalesce(sum(affected) FILTER (WHERE severity = 'warning'), 0)::float8 AS "warningsAffected",
            coalesce(sum(affected) FILTER (WHERE severity = 'info'), 0)::float8 AS "infoAffected"
       FROM (SELECT collection_date, symbol, collection_type, severity,
                    CASE WHEN contract_id IS NULL AND jsonb_typeof(details -> 'affected') = 'number'
                         THEN (details ->> 'affected')::float8 ELSE 1 END AS affected
               FROM data_quality_issues
              WHERE collection_date BETWEEN $1 AND $2 AND collection_type IS NOT NULL) AS issue
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
