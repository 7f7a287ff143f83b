import { americanPrice, DEFAULT_AMERICAN_SCHEME, type AmericanScheme } from "./american.ts";
import { bsPrice, type OptionInputs } from "./black-scholes.ts";
import {
  IMPLIED_VOLATILITY_MAX,
  IMPLIED_VOLATILITY_MIN,
  impliedVolatility,
  type ImpliedVolatilityBounds,
  type ImpliedVolatilityInputs,
} from "./implied-volatility.ts";

/**
 * The σ at which the American price (american.ts) equals a given price, or null when none in [min, max] does:
 * a price at or below the price at the lowest volatility — for an in-the-money option that is the exercise
 * value, where every low σ gives the same price and the volatility is not determined — or above the price at
 * the highest, or invalid inputs. Where early exercise can never pay (puts with r ≤ 0, calls with q ≤ 0) the
 * American price is the European one and the European solver answers.
 *
 * The American price rises with σ and is smooth in it, so a bracketed secant search converges in a few
 * prices. It starts from the European implied volatility of the same price, which is an upper bound (an
 * American option is worth at least its European twin at the same σ), and from the "de-Americanized" estimate
 * σ₁ = σ_E(price − premium(σ₀)), which removes most of the early-exercise premium's effect in one step.
 * Converges to 1e-12 relative in price, typically in three or four American prices.
 */

const MAX_STEPS = 60;
const PRICE_TOLERANCE = 1e-12;

export function americanImpliedVolatility(
  inputs: ImpliedVolatilityInputs,
  bounds: ImpliedVolatilityBounds = {},
  scheme: AmericanScheme = DEFAULT_AMERICAN_SCHEME,
): number | null {
  const { right, spot, strike, timeYears, rate, dividendYield, price } = inputs;
  const min = bounds.min ?? IMPLIED_VOLATILITY_MIN;
  const max = bounds.max ?? IMPLIED_VOLATILITY_MAX;
  if (right !== "C" && right !== "P") return null;
  if (![spot, strike, timeYears, rate, dividendYield, price, min, max].every(Number.isFinite)) return null;
  if (spot <= 0 || strike <= 0 || timeYears <= 0 || price <= 0 || min <= 0 || max <= min) return null;
  const earlyExerciseCanPay = right === "P" ? rate > 0 : dividendYield > 0;
  if (!earlyExerciseCanPay) return impliedVolatility(inputs, bounds);

  const base: Omit<OptionInputs, "volatility"> = { right, spot, strike, timeYears, rate, dividendYield };
  const american = (volatility: number) => americanPrice({ ...base, volatility }, scheme);
  const european = (volatility: number) => bsPrice({ ...base, volatility });
  const tolerance = PRICE_TOLERANCE * price;
  // σ = 0 prices the best deterministic exercise (at least the exercise value): nothing above it, no volatility.
  if (price <= american(0) + tolerance) return null;

  let low = min;
  let high = max;
  let bracketed = false; // a price at or above the target has been seen, at `high`
  let previous: { sigma: number; error: number } | null = null;
  let latest: { sigma: number; error: number } | null = null;
  const evaluate = (sigma: number): number => {
    const error = american(sigma) - price;
    if (error < 0) low = sigma;
    else {
      high = sigma;
      bracketed = true;
    }
    previous = latest;
    latest = { sigma, error };
    return error;
  };

  // The European volatility of the same price bounds the American one from above; without it, try the top.
  let candidate = impliedVolatility(inputs, { min, max }) ?? max;
  for (let step = 0; step < MAX_STEPS; step++) {
    const error = evaluate(candidate);
    if (Math.abs(error) <= tolerance) return candidate;
    if (!bracketed && candidate === max) return null; // dearer than at the highest volatility
    if (bracketed && high - low <= 1e-14 * high) return candidate;
    let next = Number.NaN;
    const last = latest as { sigma: number; error: number } | null;
    const before = previous as { sigma: number; error: number } | null;
    if (last && before && last.error !== before.error) {
      next = last.sigma - (last.error * (last.sigma - before.sigma)) / (last.error - before.error);
    } else if (last) {
      // One point so far: take out its early-exercise premium and ask the European solver again.
      const premium = last.error + price - european(last.sigma);
      next = impliedVolatility({ ...inputs, price: price - premium }, { min, max }) ?? Number.NaN;
    }
    if (!(next > low && next < high)) next = bracketed ? Math.sqrt(low * high) : max;
    candidate = next;
  }
  return null;
}
