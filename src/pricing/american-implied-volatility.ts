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
 * a price at or below the price at σ = 0 — the best deterministic exercise, for an in-the-money option at least
 * the exercise value, where low volatilities all give the same price and σ is not determined — or above the
 * price at the highest volatility, or invalid inputs. Where early exercise can never pay (puts with r ≤ 0, calls
 * with q ≤ 0) the American price is the European one and the European solver answers.
 *
 * The American price rises with σ, smoothly except at the volatility where the spot leaves the exercise region
 * (below it the price is flat at the exercise value), so the search is bracketed: Brent's method (inverse
 * quadratic interpolation, secant and bisection steps) between a price below and one above. The bracket comes
 * cheaply: σ = 0 is priced in closed form, and the European implied volatility of the same price is an upper
 * bound (an American option is worth at least its European twin at the same σ). The first step is the
 * "de-Americanized" estimate σ₁ = σ_E(price − premium(σ_E)), which removes most of the early-exercise premium's
 * effect at once. Converges to 1e-12 relative in price, typically in three or four American prices.
 */

const MAX_STEPS = 100;
const PRICE_TOLERANCE = 1e-12;
const EPSILON = 2.220446049250313e-16;

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
  const floor = american(0);
  if (price <= floor * (1 + PRICE_TOLERANCE)) return null;
  // The search runs on the square root of the value above σ = 0's: where the spot leaves the exercise region
  // the value starts off that floor quadratically in σ, and its square root straight, so secant steps land.
  const target = Math.sqrt(price - floor);
  let lastPrice = Number.NaN;
  const error = (volatility: number) => {
    lastPrice = american(volatility);
    return Math.sqrt(Math.max(0, lastPrice - floor)) - target;
  };
  const close = () => Math.abs(lastPrice - price) <= PRICE_TOLERANCE * price;

  // The bracket [low, high] with error(low) < 0 ≤ error(high): σ = 0 below, the European implied volatility
  // of the same price (or the highest) above.
  let low = 0;
  let lowError = -target;
  let high = impliedVolatility(inputs, { min, max }) ?? max;
  let highError = error(high);
  if (close()) return high;
  if (highError < 0 && high < max) {
    // Only by rounding (the premium is not negative): search above.
    low = high;
    lowError = highError;
    high = max;
    highError = error(max);
    if (close()) return high;
  }
  if (highError < 0) return null; // dearer than at the highest volatility

  // Until a point below the root and off the flat floor is known, step from above: first de-Americanize — the
  // European volatility of the price less the premium at `high` — then secants through the two lowest points
  // above the root. (σ = 0 is no point to interpolate from: the value is flat up to where exercise stops.)
  const premium = lastPrice - bsPrice({ ...base, volatility: high });
  let candidate = impliedVolatility({ ...inputs, price: price - premium }, { min, max }) ?? Number.NaN;
  for (let step = 0; step < MAX_STEPS && lowError === -target; step++) {
    if (!(candidate > low && candidate < high)) candidate = 0.5 * (low + high);
    const value = error(candidate);
    if (close()) return candidate;
    if (value >= 0) {
      const [above, aboveError] = [high, highError];
      high = candidate;
      highError = value;
      candidate = high - (highError * (high - above)) / (highError - aboveError);
    } else {
      low = candidate;
      lowError = value;
      candidate = 0.5 * (low + high);
    }
    if (high - low <= 4 * EPSILON * high) return high;
  }
  const root = brent(error, close, low, lowError, high, highError);
  return root !== null && root >= min ? root : null;
}

/**
 * Brent's method on a bracket (f(a) < 0 ≤ f(b)): inverse quadratic interpolation or a secant step where it
 * stays well inside the bracket and shrinks it fast enough, bisection otherwise. Stops when `done` says the
 * last evaluation is close enough, or when the bracket is down to rounding.
 */
function brent(
  f: (x: number) => number,
  done: () => boolean,
  a: number,
  fa: number,
  b: number,
  fb: number,
): number | null {
  let c = a;
  let fc = fa;
  let step = b - a;
  let previousStep = step;
  for (let i = 0; i < MAX_STEPS; i++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      step = previousStep = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      [a, b, c] = [b, c, b];
      [fa, fb, fc] = [fb, fc, fb];
    }
    const xTolerance = 2 * EPSILON * Math.abs(b) + 1e-15;
    const half = 0.5 * (c - b);
    if (fb === 0 || Math.abs(half) <= xTolerance) return b;
    if (Math.abs(previousStep) >= xTolerance && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * half * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * half * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      p = Math.abs(p);
      if (2 * p < Math.min(3 * half * q - Math.abs(xTolerance * q), Math.abs(previousStep * q))) {
        previousStep = step;
        step = p / q;
      } else {
        step = half;
        previousStep = step;
      }
    } else {
      step = half;
      previousStep = step;
    }
    a = b;
    fa = fb;
    b += Math.abs(step) > xTolerance ? step : Math.sign(half) * xTolerance;
    fb = f(b);
    if (done()) return b;
  }
  return null;
}
