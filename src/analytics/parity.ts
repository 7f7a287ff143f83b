import { midOf } from "./chain.ts";
import type { ExpiryChain, StrikeQuotes } from "./chain.ts";
import { fitRobustLine } from "./robust-line.ts";
import type { LinePoint } from "./robust-line.ts";

/**
 * Implied forward and rate of one expiry from put-call parity. For European options
 *
 *     C(K) − P(K) = DF·(F − K) = DF·F − DF·K,      DF = e^{−rT}
 *
 * so across strikes the synthetic C − P (at mid) is a straight line in K with slope −DF and intercept DF·F.
 * A robust line fit (robust-line.ts) over the near-the-money strikes gives DF and F = intercept / DF, then
 * r = −ln(DF) / T and, with the underlying price S, the implied dividend yield q = r − ln(F / S) / T.
 * Neither r nor F needs S or a dividend forecast: the options price both.
 */

export interface ParityFitOptions {
  /** How many strikes nearest the money enter the fit (default 20). */
  nearMoneyStrikes?: number;
  /** Fewest strikes that make a fit (default 3). */
  minStrikes?: number;
}

export interface ParityFit {
  forward: number | null;
  discountFactor: number | null;
  /** Continuously compounded, annual (ACT/365); null when T = 0. */
  impliedRate: number | null;
  /** Continuous; null without an underlying price or time. */
  impliedDividendYield: number | null;
  /** One standard error of the implied rate, from the slope's. */
  rateStdError: number | null;
  /** Near-the-money strikes with both sides two-sided (the fit's candidates). */
  strikesConsidered: number;
  /** Candidates the fit kept. */
  strikesUsed: number;
  /** RMS of the kept strikes' residuals, per share. */
  residualRms: number | null;
  /** Candidates the fit rejected as inconsistent with the others. */
  excludedStrikes: number[];
}

export const DEFAULT_NEAR_MONEY_STRIKES = 20;
export const DEFAULT_MIN_STRIKES = 3;

export function fitParity(chain: ExpiryChain, years: number, options: ParityFitOptions = {}): ParityFit {
  const candidates = candidatesOf(chain, options);
  const empty: ParityFit = {
    forward: null,
    discountFactor: null,
    impliedRate: null,
    impliedDividendYield: null,
    rateStdError: null,
    strikesConsidered: candidates.length,
    strikesUsed: 0,
    residualRms: null,
    excludedStrikes: [],
  };
  if (candidates.length < (options.minStrikes ?? DEFAULT_MIN_STRIKES)) return empty;
  const line = fitRobustLine(candidates.map(parityPoint));
  const discountFactor = line === null ? 0 : -line.slope;
  if (line === null || !(discountFactor > 0)) return empty;
  const forward = line.intercept / discountFactor;
  const timed = years > 0;
  const impliedRate = timed ? -Math.log(discountFactor) / years : null;
  const spot = chain.underlyingPrice;
  return {
    forward,
    discountFactor,
    impliedRate,
    impliedDividendYield:
      impliedRate !== null && spot !== null && forward > 0
        ? impliedRate - Math.log(forward / spot) / years
        : null,
    rateStdError: timed && line.slopeStdError !== null ? line.slopeStdError / (discountFactor * years) : null,
    strikesConsidered: candidates.length,
    strikesUsed: line.used.filter(Boolean).length,
    residualRms: line.residualRms,
    excludedStrikes: candidates.filter((_, i) => !line.used[i]).map((entry) => entry.strike),
  };
}

/**
 * The chain's rate: the implied rates of its expiries averaged with weights 1 / standard error² (each standard
 * error floored at 0.01 bp), so the long expiries, whose C − P carries r·T most visibly, dominate. Null when no
 * expiry has a rate with a standard error.
 */
export function chainRate(fits: readonly Pick<ParityFit, "impliedRate" | "rateStdError">[]): number | null {
  let weights = 0;
  let sum = 0;
  for (const { impliedRate, rateStdError } of fits) {
    if (impliedRate === null || rateStdError === null || !Number.isFinite(rateStdError)) continue;
    const weight = 1 / Math.max(rateStdError, 1e-6) ** 2;
    weights += weight;
    sum += weight * impliedRate;
  }
  return weights > 0 ? sum / weights : null;
}

/**
 * The forward given the discount factor: the same robust fit over the same strikes with the slope held at −DF,
 * so only DF·F is estimated. At short expiries DF is known far better from the chain's rate than from the
 * expiry's own strikes (r·T is tiny there), and a wrong DF tilts the parity line across strikes.
 */
export function forwardAtDiscount(
  chain: ExpiryChain,
  discountFactor: number,
  options: ParityFitOptions = {},
): number | null {
  const candidates = candidatesOf(chain, options);
  if (candidates.length === 0 || !(discountFactor > 0)) return null;
  const line = fitRobustLine(candidates.map(parityPoint), -discountFactor);
  return line === null ? null : line.intercept / discountFactor;
}

function candidatesOf(chain: ExpiryChain, options: ParityFitOptions): StrikeQuotes[] {
  return nearTheMoney(
    chain.strikes,
    chain.underlyingPrice,
    options.nearMoneyStrikes ?? DEFAULT_NEAR_MONEY_STRIKES,
  );
}

/** The synthetic C − P at mid, trusted to half the synthetic's spread. */
function parityPoint(entry: StrikeQuotes): LinePoint {
  return {
    x: entry.strike,
    y: midOf(entry.call) - midOf(entry.put),
    tolerance: (entry.call.ask - entry.call.bid + entry.put.ask - entry.put.bid) / 2,
  };
}

/**
 * The `count` strikes closest to the money, ascending. The money is the underlying price; without one, the
 * strike where the synthetic C − P is closest to zero (the forward's neighbourhood).
 */
export function nearTheMoney(
  strikes: readonly StrikeQuotes[],
  underlyingPrice: number | null,
  count: number,
): StrikeQuotes[] {
  if (strikes.length === 0) return [];
  const money =
    underlyingPrice ??
    strikes.reduce((best, entry) =>
      Math.abs(midOf(entry.call) - midOf(entry.put)) < Math.abs(midOf(best.call) - midOf(best.put))
        ? entry
        : best,
    ).strike;
  return [...strikes]
    .sort((a, b) => Math.abs(a.strike - money) - Math.abs(b.strike - money) || a.strike - b.strike)
    .slice(0, count)
    .sort((a, b) => a.strike - b.strike);
}
