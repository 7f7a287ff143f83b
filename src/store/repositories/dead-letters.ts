import type { Queryable } from "../database.ts";

export type ErrorCategory = "transient" | "pacing" | "connectivity" | "permanent" | "data";

export interface DeadLetterInput {
  collectionDate?: string | null;
  symbol?: string | null;
  collectionType?: string | null;
  contractId?: number | null;
  contractSymbol?: string | null;
  category: ErrorCategory;
  errorCode?: number | null;
  errorMessage: string;
  attempts?: number;
  /** What is needed to replay the work (request parameters); stored as JSON. */
  payload?: unknown;
  /** The collection run or slot attempt that gave up on the work. */
  runId?: string | null;
}

/** Records work that failed for good; returns the dead letter's id. */
export async function recordDeadLetter(db: Queryable, input: DeadLetterInput): Promise<number> {
  const result = await db.query<{ id: number }>(
    `INSERT INTO collection_dead_letters
       (collection_date, symbol, collection_type, contract_id, contract_symbol, category, error_code,
        error_message, attempts, payload, run_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::uuid)
     RETURNING id`,
    [
      input.collectionDate ?? null,
      input.symbol ?? null,
      input.collectionType ?? null,
      input.contractId ?? null,
      input.contractSymbol ?? null,
      input.category,
      input.errorCode ?? null,
      input.errorMessage,
      input.attempts ?? 1,
      input.payload === undefined ? null : JSON.stringify(input.payload),
      input.runId ?? null,
    ],
  );
  return result.rows[0]!.id;
}

export interface DeadLetterRow extends Required<Omit<DeadLetterInput, "payload">> {
  id: number;
  createdAt: Date;
  payload: unknown;
  resolvedAt: Date | null;
}

export async function listDeadLetters(
  db: Queryable,
  options: { unresolvedOnly?: boolean } = {},
): Promise<DeadLetterRow[]> {
  const result = await db.query<DeadLetterRow>(
    `SELECT id, created_at AS "createdAt", collection_date AS "collectionDate", symbol,
            collection_type AS "collectionType", contract_id AS "contractId", contract_symbol AS "contractSymbol",
            category, error_code AS "errorCode", error_message AS "errorMessage", attempts, payload,
            resolved_at AS "resolvedAt", run_id AS "runId"
       FROM collection_dead_letters
      WHERE NOT $1::boolean OR resolved_at IS NULL
      ORDER BY id`,
    [options.unresolvedOnly ?? false],
  );
  return result.rows;
}
