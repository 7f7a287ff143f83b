import type { Database, Queryable } from "../database.ts";
import type { CollectionKey } from "./collection-status.ts";

/**
 * expiry_analytics: chain analytics per expiry of one stored snapshot (computed by src/analytics). Written
 * only here, one (date, type, symbol) at a time: storing a snapshot's analytics again replaces them.
 */

/** A box-rate summary as box_rates holds it (snake_case, for SQL readers: box_rates->0->>'mid_rate'). */
export interface StoredBoxRate {
  width: "adjacent" | number;
  pairs: number;
  mid_rate: number | null;
  lend_rate: number | null;
  borrow_rate: number | null;
  best_lend_rate: number | null;
  best_borrow_rate: number | null;
}

/** A parity breach as parity_breaches holds it. */
export interface StoredParityBreach {
  strike: number;
  kind: "conversion" | "reversal";
  edge: number;
  synthetic: number;
  bound: number;
  call_bid: number;
  call_ask: number;
  put_bid: number;
  put_ask: number;
}

export interface ExpiryAnalyticsRow {
  expiry: string;
  /** The option class (SPX or SPXW on a third Friday): analytics never pair contracts of two classes. */
  tradingClass: string;
  collectionTime: Date;
  yearsToExpiry: number;
  exerciseStyle: "european" | "american";
  underlyingPrice: number | null;
  forward: number | null;
  discountFactor: number | null;
  impliedRate: number | null;
  impliedDividendYield: number | null;
  rateStdError: number | null;
  strikesConsidered: number;
  strikesUsed: number;
  residualRms: number | null;
  excludedStrikes: number[];
  boxRates: StoredBoxRate[];
  referenceRate: number | null;
  referenceForward: number | null;
  parityBreachCount: number | null;
  parityBreaches: StoredParityBreach[] | null;
  runId: string | null;
}

const COLUMNS = `expiry, trading_class AS "tradingClass", collection_time AS "collectionTime", years_to_expiry AS "yearsToExpiry",
  exercise_style AS "exerciseStyle", underlying_price AS "underlyingPrice", forward,
  discount_factor AS "discountFactor", implied_rate AS "impliedRate",
  implied_dividend_yield AS "impliedDividendYield", rate_std_error AS "rateStdError",
  strikes_considered AS "strikesConsidered", strikes_used AS "strikesUsed", residual_rms AS "residualRms",
  excluded_strikes AS "excludedStrikes", box_rates AS "boxRates", reference_rate AS "referenceRate",
  reference_forward AS "referenceForward", parity_breach_count AS "parityBreachCount",
  parity_breaches AS "parityBreaches", run_id AS "runId"`;

/**
 * Makes `rows` the analytics of the key's snapshot, in one transaction: each expiry's row is inserted or
 * replaced, and expiries the snapshot no longer has are removed. Running it twice leaves the same rows.
 */
export async function replaceExpiryAnalytics(
  db: Database,
  key: CollectionKey,
  rows: readonly ExpiryAnalyticsRow[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM expiry_analytics
        WHERE collection_date = $1 AND collection_type = $2 AND symbol = $3
          AND NOT ((expiry, trading_class) IN (SELECT * FROM unnest($4::date[], $5::text[])))`,
      [
        key.collectionDate,
        key.collectionType,
        key.symbol,
        rows.map((row) => row.expiry),
        rows.map((row) => row.tradingClass),
      ],
    );
    for (const row of rows) await upsert(tx, key, row);
  });
}

async function upsert(tx: Queryable, key: CollectionKey, row: ExpiryAnalyticsRow): Promise<void> {
  await tx.query(
    `INSERT INTO expiry_analytics
       (collection_date, collection_type, symbol, expiry, collection_time, years_to_expiry, exercise_style,
        underlying_price, forward, discount_factor, implied_rate, implied_dividend_yield, rate_std_error,
        strikes_considered, strikes_used, residual_rms, excluded_strikes, box_rates, reference_rate,
        reference_forward, parity_breach_count, parity_breaches, run_id, computed_at, trading_class)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, $18::jsonb, $19,
             $20, $21, $22::jsonb, $23::uuid, now(), $24)
     ON CONFLICT (collection_date, collection_type, symbol, expiry, trading_class) DO UPDATE SET
       collection_time = EXCLUDED.collection_time, years_to_expiry = EXCLUDED.years_to_expiry,
       exercise_style = EXCLUDED.exercise_style, underlying_price = EXCLUDED.underlying_price,
       forward = EXCLUDED.forward, discount_factor = EXCLUDED.discount_factor,
       implied_rate = EXCLUDED.implied_rate, implied_dividend_yield = EXCLUDED.implied_dividend_yield,
       rate_std_error = EXCLUDED.rate_std_error, strikes_considered = EXCLUDED.strikes_considered,
       strikes_used = EXCLUDED.strikes_used, residual_rms = EXCLUDED.residual_rms,
       excluded_strikes = EXCLUDED.excluded_strikes, box_rates = EXCLUDED.box_rates,
       reference_rate = EXCLUDED.reference_rate, reference_forward = EXCLUDED.reference_forward,
       parity_breach_count = EXCLUDED.parity_breach_count, parity_breaches = EXCLUDED.parity_breaches,
       run_id = EXCLUDED.run_id, computed_at = now()`,
    [
      key.collectionDate,
      key.collectionType,
      key.symbol,
      row.expiry,
      row.collectionTime,
      row.yearsToExpiry,
      row.exerciseStyle,
      finite(row.underlyingPrice),
      finite(row.forward),
      finite(row.discountFactor),
      finite(row.impliedRate),
      finite(row.impliedDividendYield),
      finite(row.rateStdError),
      row.strikesConsidered,
      row.strikesUsed,
      finite(row.residualRms),
      JSON.stringify(row.excludedStrikes),
      JSON.stringify(row.boxRates),
      finite(row.referenceRate),
      finite(row.referenceForward),
      row.parityBreachCount,
      row.parityBreaches === null ? null : JSON.stringify(row.parityBreaches),
      row.runId,
      row.tradingClass,
    ],
  );
}

/** Infinity or NaN (a degenerate fit) would not survive a float8 parameter on both engines alike: NULL. */
function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

/** The stored analytics of the key's snapshot, by expiry (empty when none were stored). */
export async function listExpiryAnalytics(db: Queryable, key: CollectionKey): Promise<ExpiryAnalyticsRow[]> {
  const result = await db.query<ExpiryAnalyticsRow>(
    `SELECT ${COLUMNS} FROM expiry_analytics
      WHERE collection_date = $1 AND collection_type = $2 AND symbol = $3
      ORDER BY expiry, trading_class`,
    [key.collectionDate, key.collectionType, key.symbol],
  );
  return result.rows;
}
