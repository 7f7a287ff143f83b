import type { Queryable } from "../database.ts";

export type IssueSeverity = "info" | "warning" | "error";

export interface QualityIssueInput {
  collectionDate: string;
  symbol?: string | null;
  collectionType?: string | null;
  contractId?: number | null;
  /** The rule's stable name, e.g. "crossed_market". */
  rule: string;
  severity: IssueSeverity;
  message: string;
  details?: unknown;
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
    `INSERT INTO data_quality_issues (collection_date, symbol, collection_type, contract_id, rule, severity, message, details)
     SELECT DISTINCT ON (d, s, t, c, r) d, s, t, c, r, sev, m, det::jsonb
       FROM unnest($1::date[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
         WITH ORDINALITY AS x(d, s, t, c, r, sev, m, det, n)
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
    ],
  );
  return result.rowCount;
}
