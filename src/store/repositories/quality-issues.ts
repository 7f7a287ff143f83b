import type { IssueSeverity } from "../../core/events.ts";
import type { Database, Queryable } from "../database.ts";
import type { CollectionKey } from "./collection-status.ts";

export interface QualityIssueInput {
  collectionDate: string;
  symbol?: string | null;
  collectionType?: string | null;
  contractId?: number | null;
  /** The rule's stable name, e.g. "crossed_market" (src/quality). */
  rule: string;
  severity: IssueSeverity;
  message: string;
  details?: unknown;
  /** The collection run that found it (collection_runs.run_id); null for the daemon's bookkeeping checks. */
  runId?: string | null;
}

/**
 * Records data-quality issues found by validation; returns how many were stored. An issue is stored
 * once per (date, symbol, type, contract, rule), the first one given wins: daily checks find the
 * same gap again, and that must not add a row each day.
 */
export async function recordQualityIssues(
  db: Queryable,
  issues: readonly QualityIssueInput[],
): Promise<number> {
  if (issues.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO data_quality_issues (collection_date, symbol, collection_type, contract_id, rule, severity, message, details, run_id)
     SELECT DISTINCT ON (d, s, t, c, r) d, s, t, c, r, sev, m, det::jsonb, run
       FROM unnest($1::date[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[])
         WITH ORDINALITY AS x(d, s, t, c, r, sev, m, det, run, n)
      WHERE NOT EXISTS (SELECT 1 FROM data_quality_issues AS q
                         WHERE q.collection_date = x.d AND q.symbol IS NOT DISTINCT FROM x.s
                           AND q.collection_type IS NOT DISTINCT FROM x.t
                           AND q.contract_id IS NOT DISTINCT FROM x.c AND q.rule = x.r)
      ORDER BY d, s, t, c, r, n`,
    [
      issues.map((i) => i.collectionDate),
      issues.map((i) => i.symbol ?? null),
      issues.map((i) => i.collectionType ?? null),
      issues.map((i) => i.contractId ?? null),
      issues.map((i) => i.rule),
      issues.map((i) => i.severity),
      issues.map((i) => i.message),
      issues.map((i) => (i.details === undefined ? null : JSON.stringify(i.details))),
      issues.map((i) => i.runId ?? null),
    ],
  );
  return result.rowCount;
}

/**
 * Stores what one run's check found for its collection, in place of what earlier checks of the same
 * collection found under `rules`: the issues describe the rows stored now (a resumed run re-checks the
 * whole collection; a forced run replaced the old rows). Other rules' rows (the daemon's) stay.
 * Returns how many were stored.
 */
export async function replaceCollectionIssues(
  db: Database,
  key: CollectionKey,
  rules: readonly string[],
  issues: readonly QualityIssueInput[],
): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM data_quality_issues
        WHERE collection_date = $1::date AND symbol = $2 AND collection_type = $3 AND rule = ANY($4::text[])`,
      [key.collectionDate, key.symbol, key.collectionType, rules],
    );
    return recordQualityIssues(tx, issues);
  });
}

/** One (date, symbol, type, rule, severity, run) of the stored issues, with a few examples. */
export interface QualityIssueGroup {
  collectionDate: string;
  symbol: string | null;
  collectionType: string | null;
  rule: string;
  severity: IssueSeverity;
  runId: string | null;
  count: number;
  /** Contracts the issues concern (each issue's details.affected, else 1): the score's weight. */
  affected: number;
  /** The first messages, by detection order. */
  examples: string[];
}

/**
 * Stored issues from `from` to `to` (inclusive, New York dates), grouped per (date, symbol, type, rule,
 * severity, run) with up to `examples` messages each; `symbols` narrows to those underlyings (issues of
 * no symbol, like expiry processing's, are then left out).
 */
export async function summarizeQualityIssues(
  db: Queryable,
  query: { from: string; to: string; symbols?: readonly string[]; examples: number },
): Promise<QualityIssueGroup[]> {
  const result = await db.query<QualityIssueGroup>(
    `SELECT collection_date AS "collectionDate", symbol, collection_type AS "collectionType", rule, severity,
            run_id::text AS "runId", count(*)::int AS count,
            sum(COALESCE((details ->> 'affected')::int, 1))::int AS affected,
            (array_agg(message ORDER BY id))[1:$4::int] AS examples
       FROM data_quality_issues
      WHERE collection_date BETWEEN $1::date AND $2::date
        AND ($3::text[] IS NULL OR symbol = ANY($3::text[]))
      GROUP BY collection_date, symbol, collection_type, rule, severity, run_id
      ORDER BY collection_date, symbol NULLS FIRST, collection_type, CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, rule`,
    [query.from, query.to, query.symbols ? [...query.symbols] : null, query.examples],
  );
  return result.rows;
}
