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

/** Records data-quality issues found by validation; returns how many were stored. */
export async function recordQualityIssues(
  db: Queryable,
  issues: readonly QualityIssueInput[],
): Promise<number> {
  if (issues.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO data_quality_issues (collection_date, symbol, collection_type, contract_id, rule, severity, message, details)
     SELECT d, s, t, c, r, sev, m, det::jsonb
       FROM unnest($1::date[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])
         AS x(d, s, t, c, r, sev, m, det)`,
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

export async function recordQualityIssue(db: Queryable, issue: QualityIssueInput): Promise<void> {
  await recordQualityIssues(db, [issue]);
}
