import { analyzeChain } from "../analytics/analyze-chain.ts";
import type { ExpiryAnalytics } from "../analytics/analyze-chain.ts";
import { exerciseStyleOf } from "../analytics/chain.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import type { Database, Queryable } from "../store/database.ts";
import type { CollectionKey } from "../store/repositories/collection-status.ts";
import { listExpiryAnalytics, replaceExpiryAnalytics } from "../store/repositories/expiry-analytics.ts";
import type { ExpiryAnalyticsRow } from "../store/repositories/expiry-analytics.ts";
import { chainQuotes } from "../store/reads/chain-reads.ts";
import { findUnderlying } from "../store/repositories/underlying-securities.ts";

/**
 * Chain analytics of a stored snapshot: read its quotes, run src/analytics over them, store the result in
 * expiry_analytics (after each collection) or hand it to a reader (`chainvault analyze`).
 */

export type StoredChainAnalytics =
  | { kind: "unknown-symbol" }
  | { kind: "no-quotes" }
  | { kind: "analytics"; source: "stored" | "computed"; rows: ExpiryAnalyticsRow[] };

/** The analytics of the key's stored snapshot, computed now; null when the symbol or its quotes are unknown. */
export async function computeChainAnalytics(
  db: Queryable,
  key: CollectionKey,
  runId: string | null = null,
): Promise<ExpiryAnalyticsRow[] | null> {
  const underlying = await findUnderlying(db, key.symbol);
  if (underlying === null) return null;
  const quotes = await chainQuotes(db, {
    symbol: key.symbol,
    date: key.collectionDate,
    collectionType: key.collectionType,
  });
  const exercise = exerciseStyleOf(underlying.securityType);
  return analyzeChain(quotes, { exercise, symbol: key.symbol }).map((entry) =>
    toStoredRow(entry, runId, key.symbol),
  );
}

/** Computes and stores the analytics of the key's snapshot (replacing earlier ones); returns the expiries stored. */
export async function recordChainAnalytics(
  db: Database,
  key: CollectionKey,
  runId: string | null,
): Promise<ExpiryAnalyticsRow[]> {
  const rows = (await computeChainAnalytics(db, key, runId)) ?? [];
  await replaceExpiryAnalytics(db, key, rows);
  return rows;
}

/**
 * The end-of-collection hook: analytics are a by-product, so a failure is logged and never fails the
 * collection (the quotes are stored; `chainvault analyze` computes the analytics on demand).
 */
export async function recordChainAnalyticsAfterCollection(
  db: Database,
  key: CollectionKey,
  runId: string | null,
  logger: Logger,
): Promise<void> {
  try {
    const rows = await recordChainAnalytics(db, key, runId);
    logger.info(
      {
        symbol: key.symbol,
        expiries: rows.length,
        parityBreaches: rows.reduce((sum, row) => sum + (row.parityBreachCount ?? 0), 0),
      },
      "chain analytics stored",
    );
  } catch (error) {
    logger.warn(
      { symbol: key.symbol, err: errorMessage(error) },
      "chain analytics failed; the collection is stored, and `chainvault analyze` computes them on demand",
    );
  }
}

/** What `chainvault analyze` shows: the stored analytics of the snapshot, else computed from its quotes. */
export async function chainAnalyticsFor(db: Queryable, key: CollectionKey): Promise<StoredChainAnalytics> {
  const stored = await listExpiryAnalytics(db, key);
  if (stored.length > 0) return { kind: "analytics", source: "stored", rows: stored };
  const computed = await computeChainAnalytics(db, key);
  if (computed === null) return { kind: "unknown-symbol" };
  if (computed.length === 0) return { kind: "no-quotes" };
  return { kind: "analytics", source: "computed", rows: computed };
}

export function toStoredRow(
  entry: ExpiryAnalytics,
  runId: string | null,
  symbol: string,
): ExpiryAnalyticsRow {
  const { fit } = entry;
  return {
    expiry: entry.expiry,
    tradingClass: entry.tradingClass ?? symbol,
    collectionTime: entry.snapshotTime,
    yearsToExpiry: entry.years,
    exerciseStyle: entry.exercise,
    underlyingPrice: entry.underlyingPrice,
    forward: fit.forward,
    discountFactor: fit.discountFactor,
    impliedRate: fit.impliedRate,
    impliedDividendYield: fit.impliedDividendYield,
    rateStdError: fit.rateStdError,
    strikesConsidered: fit.strikesConsidered,
    strikesUsed: fit.strikesUsed,
    residualRms: fit.residualRms,
    excludedStrikes: fit.excludedStrikes,
    boxRates: entry.boxRates.map((box) => ({
      width: box.width,
      pairs: box.pairs,
      mid_rate: box.midRate,
      lend_rate: box.lendRate,
      borrow_rate: box.borrowRate,
      best_lend_rate: box.bestLendRate,
      best_borrow_rate: box.bestBorrowRate,
    })),
    referenceRate: entry.reference?.rate ?? null,
    referenceForward: entry.reference?.forward ?? null,
    parityBreachCount: entry.parityBreaches === null ? null : entry.parityBreaches.length,
    parityBreaches:
      entry.parityBreaches === null
        ? null
        : entry.parityBreaches.map((breach) => ({
            strike: breach.strike,
            kind: breach.kind,
            edge: breach.edge,
            synthetic: breach.synthetic,
            bound: breach.bound,
            call_bid: breach.callBid,
            call_ask: breach.callAsk,
            put_bid: breach.putBid,
            put_ask: breach.putAsk,
          })),
    runId,
  };
}
