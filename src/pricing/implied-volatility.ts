import { bsGreeks, type OptionInputs, type OptionRight } from "./black-scholes.ts";

/**
 * Implied volatility: the σ for which the Black-Scholes-Merton price (continuous dividend yield) equals a given
 * option price. Returns null, never NaN, when no σ in [min, max] reproduces the price: a price at or below the
 * discounted (forward) intrinsic value, above the price at the upper bound (which approaches the no-arbitrage
 * limit S·e^{−qT} for a call), a zero or negative price, no time left, or a non-finite input.
 *
 * The search runs on the out-of-the-money side (an in-the-money price is mapped through put-call parity,
 * C − P = S·e^{−qT} − K·e^{−rT}), so that the time value is not lost in the subtraction of a large intrinsic value,
 * and uses Newton steps on ln(price), which is concave in σ and converges monotonically, inside a bracket that
 * falls back to bisection whenever a step would leave it. Converges to ~1e-15 relative in price.
 */

export interface ImpliedVolatilityInputs extends Omit<OptionInputs, "volatility"> {
  /** The observed option price (e.g. the mid), per share. */
  price: number;
}

export interface ImpliedVolatilityBounds {
  /** Lowest volatility accepted as a solution (default 0.0001 = 0.01 %). */
  min?: number;
  /** Highest volatility accepted as a solution (default 10 = 1000 %). */
  max?: number;
}

export const IMPLIED_VOLATILITY_MIN = 1e-4;
export const IMPLIED_VOLATILITY_MAX = 10;

const MAX_ITERATIONS = 200;
const PRICE_TOLERANCE = 1e-15;

export function impliedVolatility(
  inputs: ImpliedVolatilityInputs,
  bounds: ImpliedVolatilityBounds = {},
): number | null {
  const { right, spot, strike, timeYears, rate, dividendYield, price } = inputs;
  const min = bounds.min ?? IMPLIED_VOLATILITY_MIN;
  const max = bounds.max ?? IMPLIED_VOLATILITY_MAX;
  if (right !== "C" && right !== "P") return null;
  if (![spot, strike, timeYears, rate, dividendYield, price, min, max].every(Number.isFinite)) return null;
  if (spot <= 0 || strike <= 0 || timeYears <= 0 || price <= 0 || min <= 0 || max <= min) return null;

  const sign = right === "C" ? 1 : -1;
  const forwardIntrinsic =
    sign * (spot * Math.exp(-dividendYield * timeYears) - strike * Math.exp(-rate * timeYears));
  const inTheMoney = forwardIntrinsic > 0;
  const target = inTheMoney ? price - forwardIntrinsic : price;
  if (!(target > 0)) return null;
  const otmRight: OptionRight = inTheMoney ? (right === "C" ? "P" : "C") : right;

  const priceAt = (volatility: number) =>
    bsGreeks({ right: otmRight, spot, strike, timeYears, rate, dividendYield, volatility });

  const atMin = priceAt(min).price;
  const atMax = priceAt(max).price;
  if (target < atMin * (1 - 1e-12)) return null;
  if (target > atMax * (1 + 1e-12)) return null;
  if (target <= atMin) return min;
  if (target >= atMax) return max;

  let low = min;
  let high = max;
  let sigma = initialGuess(spot, strike, timeYears, rate, dividendYield, target, min, max);
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const { price: model, vega } = priceAt(sigma);
    if (Math.abs(model - target) <= PRICE_TOLERANCE * target) return sigma;
    if (model > target) high = sigma;
    else low = sigma;
    if (high - low <= 4e-16 * high) return sigma;

    const slope = vega / 0.01; // dPrice/dσ
    let next = Number.NaN;
    if (model > 0 && slope > 0) next = sigma - ((Math.log(model) - Math.log(target)) * model) / slope;
    if (!(next > low && next < high)) next = Math.sqrt(low * high); // bisection in log σ: the bracket spans decades
    sigma = next;
  }
  return Number.isFinite(sigma) ? sigma : null;
}

/** The at-the-money approximation σ ≈ √(2π/T)·price/S, floored by the moneyness scale, within the bounds. */
function initialGuess(
  spot: number,
  strike: number,
  timeYears: number,
  rate: number,
  dividendYield: number,
  otmPrice: number,
  min: number,
  max: number,
): number {
  const discountedSpot = spot * Math.exp(-dividendYield * timeYears);
  const atm = Math.sqrt((2 * Math.PI) / timeYears) * (otmPrice / discountedSpot);
  const logMoneyness = Math.abs(Math.log(spot / strike) + (rate - dividendYield) * timeYears);
  const moneynessScale = Math.sqrt((2 * logMoneyness) / timeYears);
  const guess = Math.max(atm, moneynessScale, 0.05);
  return Math.min(Math.max(guess, min * 2), max / 2);
}
