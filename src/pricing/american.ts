import {
  assertValidInputs,
  bsGreeks,
  DAYS_PER_YEAR,
  POINT,
  type OptionGreeks,
  type OptionInputs,
} from "./black-scholes.ts";
import { squareRootRule } from "./gauss-legendre.ts";
import { normCdfFast } from "./normal-table.ts";

/**
 * American options on an underlying with a continuous dividend yield q (same inputs and units as
 * black-scholes.ts), by the fixed-point method of Andersen, Lake & Offengenden ("High Performance American
 * Option Pricing", J. Computational Finance 2016): the early-exercise boundary B(τ) of the put solves an
 * integral equation, iterated to its fixed point on Chebyshev nodes in √τ, and the price is the European
 * price plus the early-exercise premium
 *   ∫₀ᵀ [ r·K·e^{−r(T−u)}·N(−d₋(T−u, S/B(u))) − q·S·e^{−q(T−u)}·N(−d₊(T−u, S/B(u))) ] du.
 * A call is priced as the put with spot and strike, rate and dividend yield exchanged (McDonald–Schroder
 * symmetry), so one boundary solver serves both rights.
 *
 * Why this and not Bjerksund–Stensland 2002 or a binomial tree (measured, see docs/pricing.md and
 * bench/pricing.ts): Bjerksund–Stensland is a lower bound that missed the converged American put by 0.06–0.075
 * at the money (S = K = 100, σ = 15–20 %, T = 1); a Leisen–Reimer tree with Richardson extrapolation still
 * misses by up to 1e-3 per 100 of strike at 512 steps (its error falls only like 1/N, and irregularly), so 1e-4
 * needs thousands of steps — milliseconds per price, seconds for a chain. The fixed-point method reaches 1e-5
 * with a few hundred kernel evaluations per boundary, and its price is a smooth function of σ, r and S, so the
 * implied volatility converges in a few steps and finite-difference vega and rho are clean.
 *
 * Exact shortcuts: no early exercise is ever optimal for a put when r ≤ 0 or for a call when q ≤ 0 (e.g. PLTR,
 * TSLA calls), and there the Black–Scholes–Merton price and greeks are returned unchanged. With σ√T = 0 the
 * value is the best deterministic exercise time. Limitation: with r < 0 and q < r a put has two exercise
 * boundaries; that case is priced as European (rates of chainvault's users are positive).
 */

export interface AmericanScheme {
  /** Chebyshev intervals of the exercise boundary in √τ (nodes − 1). */
  boundaryNodes: number;
  /** Gauss–Legendre points of each half of the boundary equation's integrals. */
  boundaryQuadrature: number;
  /** Fixed-point iterations, from Barone-Adesi–Whaley's boundary as the first guess. */
  iterations: number;
  /** Gauss–Legendre points of each half of the premium integral. */
  priceQuadrature: number;
}

/**
 * Chosen by measurement (bench/pricing.ts, docs/pricing.md): against the high-precision setting, the largest
 * price error on a hard set (T from 1 day to 2.2 years, σ 10–100 %, far in and out of the money, q 0–5 %) is
 * 1.0e-5 per 100 of strike, at the time of about 80 Black–Scholes evaluations per price.
 */
export const DEFAULT_AMERICAN_SCHEME: AmericanScheme = {
  boundaryNodes: 8,
  boundaryQuadrature: 5,
  iterations: 5,
  priceQuadrature: 16,
};

const INV_SQRT_TWO_PI = 0.3989422804014327;
/** An early-exercise premium bounded below this fraction of the strike is left out (see negligiblePremium). */
const NEGLIGIBLE_PREMIUM = 1e-13;
const NEGLIGIBLE_PREMIUM_QUADRATURE = 16;
/** Below this σ√T the option is priced as certain (deterministic exercise); see deterministicGreeks. */
const NEGLIGIBLE_STD_DEV = 1e-10;
/**
 * Bump sizes of the one-sided vega and rho (σ and r in decimals): the O(h) error h·V''/2 stays near 1e-6 per
 * point even where volga is large (short-dated, away from the money), and rounding stays below it, because
 * the price is a smooth function of σ and r — a fixed sequence of smooth operations — to ~1e-14 relative.
 */
const VOL_BUMP = 1e-6;
const RATE_BUMP = 1e-6;

function density(x: number): number {
  return INV_SQRT_TWO_PI * Math.exp(-0.5 * x * x);
}

/** The put's exercise boundary as ln B(u) = ln X − √H(u), H a Chebyshev interpolant in z = 2√(u/T) − 1. */
interface ExerciseBoundary {
  years: number;
  logLimit: number;
  coefficients: Float64Array;
}

/** Σ'' a_k T_k(z) (first and last coefficients halved), by Clenshaw's recurrence. */
function chebyshev(coefficients: Float64Array, z: number): number {
  const n = coefficients.length - 1;
  const twoZ = 2 * z;
  let next = 0.5 * coefficients[n]!;
  let afterNext = 0;
  for (let k = n - 1; k >= 1; k--) {
    const current = twoZ * next - afterNext + coefficients[k]!;
    afterNext = next;
    next = current;
  }
  return z * next - afterNext + 0.5 * coefficients[0]!;
}

function logBoundaryAt(boundary: ExerciseBoundary, u: number): number {
  if (u <= 0) return boundary.logLimit;
  const h = chebyshev(boundary.coefficients, 2 * Math.sqrt(u / boundary.years) - 1);
  return boundary.logLimit - Math.sqrt(h > 0 ? h : 0);
}

/** Coefficients of the Chebyshev–Lobatto interpolant through values at z_j = cos(jπ/n). */
function fitChebyshev(values: Float64Array, cosines: Float64Array, into: Float64Array): void {
  const n = values.length - 1;
  for (let k = 0; k <= n; k++) {
    const row = k * (n + 1);
    let sum = 0.5 * (values[0]! * cosines[row]! + values[n]! * cosines[row + n]!);
    for (let j = 1; j < n; j++) sum += values[j]! * cosines[row + j]!;
    into[k] = (2 / n) * sum;
  }
}

/**
 * Barone-Adesi & Whaley's (1987) critical price of the put at τ, the starting guess of the fixed point:
 * K − B = p(B) − (1 − e^{−qτ}·N(−d₁(B)))·B/λ, solved by safeguarded Newton steps within (0, X].
 */
function quadraticBoundary(
  strike: number,
  tau: number,
  rate: number,
  dividendYield: number,
  vol: number,
  limit: number,
  start: number | null,
): number {
  const variance = vol * vol;
  const alpha = (2 * rate) / variance;
  const beta = (2 * (rate - dividendYield)) / variance;
  const h = -Math.expm1(-rate * tau);
  const lambda = (-(beta - 1) - Math.sqrt((beta - 1) * (beta - 1) + (4 * alpha) / h)) / 2;
  const stdDev = vol * Math.sqrt(tau);
  const rateDiscount = Math.exp(-rate * tau);
  const dividendDiscount = Math.exp(-dividendYield * tau);
  const drift = (rate - dividendYield + variance / 2) * tau;
  // The residual f(S) = K − S − p(S) + (1 − e^{−qτ}·N(−d₁))·S/λ is positive for a small spot and falls
  // through the root; Newton steps inside a bracket that bisection takes over whenever a step leaves it.
  let low = limit * 1e-6;
  let high = limit;
  let spot = limit;
  for (let i = 0; i < 40; i++) {
    const d1 = (Math.log(spot / strike) + drift) / stdDev;
    const tail = normCdfFast(-d1);
    const put = strike * rateDiscount * normCdfFast(stdDev - d1) - spot * dividendDiscount * tail;
    const value = strike - spot - put + ((1 - dividendDiscount * tail) * spot) / lambda;
    if (i === 0) {
      if (value >= 0) return limit;
      // The previous node's boundary (a neighbouring τ) is a close start; else the perpetual one's.
      spot = start !== null && start < limit ? start : limit * Math.max(0.5, lambda / (lambda - 1));
      continue;
    }
    const slope =
      -1 +
      dividendDiscount * tail +
      (1 - dividendDiscount * tail + (dividendDiscount * density(d1)) / stdDev) / lambda;
    if (value > 0) low = spot;
    else high = spot;
    let next = spot - value / slope;
    if (!(next > low && next < high)) next = 0.5 * (low + high);
    // Only a first guess for the fixed point: 1e-7 is ample.
    if (Math.abs(next - spot) <= 1e-7 * spot) return next;
    spot = next;
  }
  return spot;
}

/**
 * Per (nodes, quadrature points): the scale-free geometry of the boundary iteration and scratch arrays, so a
 * valuation allocates only its result. Node j sits at τ_j = T·((1 + cos(jπ/n))/2)² (Chebyshev–Lobatto in √τ;
 * τ_n = 0). Each integral over u ∈ [0, τ_j] is split at τ_j/2: u = ξ² on the first half, where the boundary
 * moves like √u, and τ_j − u = s² on the second, which also removes the 1/√(τ − u) singularity.
 */
interface Workspace {
  taus: Float64Array;
  scaledTaus: Float64Array;
  cosines: Float64Array;
  zAt: Float64Array;
  uFraction: Float64Array;
  remainingFraction: Float64Array;
  unitJacobian: Float64Array;
  rateDensityWeight: Float64Array;
  yieldDensityWeight: Float64Array;
  yieldCdfWeight: Float64Array;
  stdDevAt: Float64Array;
  driftAt: Float64Array;
  logRatio: Float64Array;
  squared: Float64Array;
  updated: Float64Array;
}

const workspaces = new Map<string, Workspace>();

function workspace(n: number, l: number): Workspace {
  const key = `${n}|${l}`;
  const cached = workspaces.get(key);
  if (cached) return cached;
  const rule = squareRootRule(l);
  const taus = new Float64Array(n + 1);
  const cosines = new Float64Array((n + 1) * (n + 1));
  for (let j = 0; j <= n; j++) {
    const half = (1 + Math.cos((j * Math.PI) / n)) / 2;
    taus[j] = half * half;
    for (let k = 0; k <= n; k++) cosines[k * (n + 1) + j] = Math.cos((j * k * Math.PI) / n);
  }
  taus[n] = 0;
  const size = n * 2 * l;
  const zAt = new Float64Array(size);
  const uFraction = new Float64Array(size);
  const remainingFraction = new Float64Array(size);
  const unitJacobian = new Float64Array(size);
  for (let j = 0; j < n; j++) {
    // Each half of [0, τ_j] is integrated in the square root of its distance from its own end.
    const halfLength = taus[j]! / 2;
    for (let half = 0; half < 2; half++) {
      for (let i = 0; i < l; i++) {
        const index = (j * 2 + half) * l + i;
        const offset = halfLength * rule.fractions[i]!;
        const u = half === 0 ? offset : Math.max(0, taus[j]! - offset);
        zAt[index] = 2 * Math.sqrt(u) - 1;
        uFraction[index] = u;
        remainingFraction[index] = taus[j]! - u;
        unitJacobian[index] = halfLength * rule.weights[i]!;
      }
    }
  }
  const created: Workspace = {
    taus,
    scaledTaus: new Float64Array(n + 1),
    cosines,
    zAt,
    uFraction,
    remainingFraction,
    unitJacobian,
    rateDensityWeight: new Float64Array(size),
    yieldDensityWeight: new Float64Array(size),
    yieldCdfWeight: new Float64Array(size),
    stdDevAt: new Float64Array(size),
    driftAt: new Float64Array(size),
    logRatio: new Float64Array(n + 1),
    squared: new Float64Array(n + 1),
    updated: new Float64Array(n + 1),
  };
  workspaces.set(key, created);
  return created;
}

/**
 * The exercise boundary of a put (strike k, rate r > 0, yield q, σ > 0) over τ ∈ [0, T], by the fixed-point
 * iteration of the "FP-B" form of Andersen–Lake–Offengenden's boundary equation (from smooth pasting):
 *   B(τ) = K·e^{−(r−q)τ}·N(τ, B) / D(τ, B),
 *   N = n(d₋(τ, B/K))/(σ√τ) + r·∫₀^τ e^{ru}·n(d₋(τ−u, B(τ)/B(u)))/(σ√(τ−u)) du,
 *   D = n(d₊(τ, B/K))/(σ√τ) + N(d₊(τ, B/K)) + q·∫₀^τ e^{qu}·[n(d₊)/(σ√(τ−u)) + N(d₊)] du,
 * where B(0⁺) = X = K·min(1, r/q); a boundary guess that is off converges geometrically.
 */
function solveBoundary(
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  vol: number,
  scheme: AmericanScheme,
): ExerciseBoundary {
  // The greeks of a contract usually follow its implied-volatility search, whose last valuation was at the same
  // σ: the boundary does not depend on the spot, so the last one serves again.
  const last = lastBoundary;
  if (
    last &&
    last.strike === strike &&
    last.years === years &&
    last.rate === rate &&
    last.dividendYield === dividendYield &&
    last.vol === vol &&
    last.scheme === scheme
  ) {
    return last.boundary;
  }
  const boundary = computeBoundary(strike, years, rate, dividendYield, vol, scheme);
  lastBoundary = { strike, years, rate, dividendYield, vol, scheme, boundary };
  return boundary;
}

let lastBoundary: {
  strike: number;
  years: number;
  rate: number;
  dividendYield: number;
  vol: number;
  scheme: AmericanScheme;
  boundary: ExerciseBoundary;
} | null = null;

function computeBoundary(
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  vol: number,
  scheme: AmericanScheme,
): ExerciseBoundary {
  const n = scheme.boundaryNodes;
  const limit = dividendYield > 0 ? strike * Math.min(1, rate / dividendYield) : strike;
  const logLimit = Math.log(limit);
  const logStrike = Math.log(strike);
  const carry = rate - dividendYield;
  const halfVariance = (vol * vol) / 2;
  const work = workspace(n, scheme.boundaryQuadrature);
  const { taus: tauFractions, cosines, uFraction, remainingFraction, unitJacobian } = work;
  const l = scheme.boundaryQuadrature;
  const taus = work.scaledTaus;
  for (let j = 0; j <= n; j++) taus[j] = years * tauFractions[j]!;

  // Quadrature geometry per node, fixed while the boundary moves (see workspace for the split of each
  // integral); the weights carry the Jacobians and the 1/(σ√(τ − u)) factors.
  const size = n * 2 * l;
  const { zAt, rateDensityWeight, yieldDensityWeight, yieldCdfWeight, stdDevAt, driftAt } = work;
  for (let index = 0; index < size; index++) {
    const u = years * uFraction[index]!;
    const remaining = years * remainingFraction[index]!;
    const jacobian = years * unitJacobian[index]!;
    const stdDev = vol * Math.sqrt(remaining);
    const yieldGrowth = dividendYield === 0 ? 1 : Math.exp(dividendYield * u);
    rateDensityWeight[index] = (jacobian * Math.exp(rate * u)) / stdDev;
    yieldDensityWeight[index] = (jacobian * yieldGrowth) / stdDev;
    yieldCdfWeight[index] = jacobian * yieldGrowth;
    stdDevAt[index] = stdDev;
    driftAt[index] = (carry + halfVariance) * remaining;
  }

  const { logRatio, squared, updated } = work; // logRatio: ln(B_j / X) ≤ 0
  logRatio[n] = 0;
  let guess: number | null = null;
  for (let j = 0; j < n; j++) {
    guess = quadraticBoundary(strike, taus[j]!, rate, dividendYield, vol, limit, guess);
    logRatio[j] = Math.min(0, Math.log(guess / limit));
  }
  const coefficients = new Float64Array(n + 1);
  const refit = () => {
    for (let j = 0; j <= n; j++) squared[j] = logRatio[j]! * logRatio[j]!;
    fitChebyshev(squared, cosines, coefficients);
  };
  refit();

  const hasYield = dividendYield !== 0;
  for (let iteration = 0; iteration < scheme.iterations; iteration++) {
    for (let j = 0; j < n; j++) {
      const tau = taus[j]!;
      const stdDev = vol * Math.sqrt(tau);
      const current = logRatio[j]!;
      const dPlus = (logLimit + current - logStrike + (carry + halfVariance) * tau) / stdDev;
      const dMinus = dPlus - stdDev;
      let rateIntegral = 0;
      let densityIntegral = 0;
      let cdfIntegral = 0;
      for (let index = j * 2 * l; index < (j + 1) * 2 * l; index++) {
        const h = chebyshev(coefficients, zAt[index]!);
        const earlier = -Math.sqrt(h > 0 ? h : 0);
        const sd = stdDevAt[index]!;
        const plus = (current - earlier + driftAt[index]!) / sd;
        rateIntegral += rateDensityWeight[index]! * density(plus - sd);
        if (hasYield) {
          densityIntegral += yieldDensityWeight[index]! * density(plus);
          cdfIntegral += yieldCdfWeight[index]! * normCdfFast(plus);
        }
      }
      const numerator = density(dMinus) / stdDev + rate * rateIntegral;
      const denominator =
        density(dPlus) / stdDev + normCdfFast(dPlus) + dividendYield * (densityIntegral + cdfIntegral);
      const next = Math.log(strike / limit) - carry * tau + Math.log(numerator / denominator);
      updated[j] = Number.isFinite(next) ? Math.min(0, next) : current;
    }
    for (let j = 0; j < n; j++) logRatio[j] = updated[j]!;
    refit();
  }
  return { years, logLimit, coefficients };
}

interface SpotValue {
  price: number;
  delta: number;
  gamma: number;
  /** The spot is in the exercise region: the option is worth exercising now. */
  exercised: boolean;
}

/**
 * A put's value with its first two spot derivatives: the European put plus the premium integral, split at
 * T/2 so that both ends are smooth in the quadrature variable (u = ξ² near 0, where the boundary moves like
 * √u, and T − u = s² near T, where the integrand turns sharp as the spot nears the boundary).
 */
function putValue(
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  vol: number,
  boundary: ExerciseBoundary,
  scheme: AmericanScheme,
  withDerivatives: boolean,
): SpotValue {
  const logSpot = Math.log(spot);
  if (logSpot <= logBoundaryAt(boundary, years)) {
    return { price: strike - spot, delta: -1, gamma: 0, exercised: true };
  }
  const european = withDerivatives
    ? bsGreeks({ right: "P", spot, strike, timeYears: years, rate, dividendYield, volatility: vol })
    : null;
  const europeanPrice =
    european?.price ??
    bsGreeks({ right: "P", spot, strike, timeYears: years, rate, dividendYield, volatility: vol }).price;
  const halfVariance = (vol * vol) / 2;
  const carry = rate - dividendYield;
  const rule = squareRootRule(scheme.priceQuadrature);
  const halfLength = years / 2;
  let premium = 0;
  let premiumDelta = 0;
  let premiumGamma = 0;
  for (let half = 0; half < 2; half++) {
    for (let i = 0; i < rule.fractions.length; i++) {
      const offset = halfLength * rule.fractions[i]!;
      const weight = halfLength * rule.weights[i]!;
      const tau = half === 0 ? years - offset : offset; // time from the exercise instant to expiry
      const u = years - tau;
      const stdDev = vol * Math.sqrt(tau);
      const plus = (logSpot - logBoundaryAt(boundary, u) + (carry + halfVariance) * tau) / stdDev;
      const minus = plus - stdDev;
      const rateTerm = rate * strike * Math.exp(-rate * tau);
      const yieldTerm = dividendYield * Math.exp(-dividendYield * tau);
      const tailPlus = normCdfFast(-plus);
      premium += weight * (rateTerm * normCdfFast(-minus) - yieldTerm * spot * tailPlus);
      if (!withDerivatives) continue;
      const densityMinus = density(minus);
      const densityPlus = density(plus);
      premiumDelta +=
        weight *
        ((-rateTerm * densityMinus) / (spot * stdDev) -
          yieldTerm * tailPlus +
          (yieldTerm * densityPlus) / stdDev);
      premiumGamma +=
        weight *
        ((rateTerm * densityMinus * (minus / stdDev + 1)) / (stdDev * spot * spot) +
          (yieldTerm * densityPlus) / (spot * stdDev) -
          (yieldTerm * plus * densityPlus) / (spot * stdDev * stdDev));
    }
  }
  const intrinsic = strike - spot;
  const price = europeanPrice + premium;
  if (price <= intrinsic) return { price: intrinsic, delta: -1, gamma: 0, exercised: true };
  return {
    price,
    delta: (european?.delta ?? 0) + premiumDelta,
    gamma: (european?.gamma ?? 0) + premiumGamma,
    exercised: false,
  };
}

type Valuation =
  { kind: "european" } | { kind: "deterministic"; greeks: OptionGreeks } | ({ kind: "american" } & SpotValue);

function earlyExerciseCanPay(inputs: OptionInputs): boolean {
  return inputs.right === "P" ? inputs.rate > 0 : inputs.dividendYield > 0;
}

/**
 * Whether the early-exercise premium is below 1e-13 of the strike, so that the European value stands. The put's
 * boundary never exceeds X = K·min(1, r/q), and dropping the premium's negative dividend term only raises it:
 *   premium ≤ ∫₀ᵀ r·K·e^{−rτ}·N(−d₋(τ, S/X)) dτ,
 * which is tiny when the spot is far above X for the whole life — most calls on a low-yield underlying (their
 * put form has X = 0.3·K at r = 4 %, q = 1.2 %) and far out-of-the-money short-dated puts. The step this leaves
 * in the price (≤ 1e-13·K) is far below what the 1e-6 bumps of vega and rho can see.
 */
function negligiblePremium(
  spot: number,
  strike: number,
  years: number,
  rate: number,
  dividendYield: number,
  vol: number,
): boolean {
  const limit = dividendYield > 0 ? strike * Math.min(1, rate / dividendYield) : strike;
  if (spot <= limit) return false;
  const logRatio = Math.log(spot / limit);
  const drift = rate - dividendYield - (vol * vol) / 2;
  const rule = squareRootRule(NEGLIGIBLE_PREMIUM_QUADRATURE);
  let bound = 0;
  for (let i = 0; i < rule.fractions.length; i++) {
    const tau = years * rule.fractions[i]!;
    const minus = (logRatio + drift * tau) / (vol * Math.sqrt(tau));
    bound += years * rule.weights[i]! * rate * strike * Math.exp(-rate * tau) * normCdfFast(-minus);
  }
  return bound < NEGLIGIBLE_PREMIUM * strike;
}

function valuation(inputs: OptionInputs, scheme: AmericanScheme, withDerivatives: boolean): Valuation {
  const { right, spot, strike, timeYears: years, rate, dividendYield, volatility: vol } = inputs;
  if (years === 0 || !earlyExerciseCanPay(inputs)) return { kind: "european" };
  if (vol * Math.sqrt(years) < NEGLIGIBLE_STD_DEV)
    return { kind: "deterministic", greeks: deterministicGreeks(inputs) };
  // In put form (a call is the put with spot and strike, rate and yield exchanged).
  const [putSpot, putStrike, putRate, putYield] =
    right === "P" ? [spot, strike, rate, dividendYield] : [strike, spot, dividendYield, rate];
  if (negligiblePremium(putSpot, putStrike, years, putRate, putYield, vol)) return { kind: "european" };
  if (right === "P") {
    const boundary = solveBoundary(strike, years, rate, dividendYield, vol, scheme);
    return {
      kind: "american",
      ...putValue(spot, strike, years, rate, dividendYield, vol, boundary, scheme, withDerivatives),
    };
  }
  // C(S, K, r, q) = P(K, S, q, r). The put's value is homogeneous of degree one in (spot, strike), so the call's
  // spot derivatives are the put's strike derivatives: ∂P/∂K' = (P − S'·∂P/∂S')/K', ∂²P/∂K'² = S'²·∂²P/∂S'²/K'².
  const boundary = solveBoundary(spot, years, dividendYield, rate, vol, scheme);
  const put = putValue(strike, spot, years, dividendYield, rate, vol, boundary, scheme, withDerivatives);
  return {
    kind: "american",
    price: put.price,
    delta: (put.price - strike * put.delta) / spot,
    gamma: (strike * strike * put.gamma) / (spot * spot),
    exercised: put.exercised,
  };
}

/**
 * σ√T = 0: the forward path is certain and the holder exercises at the best time t ∈ [0, T]: the discounted
 * payoff g(t) = ±(S·e^{−qt} − K·e^{−rt}) is largest at 0, at T, or where g′(t) = 0, t* = ln(rK/(qS))/(r − q).
 */
function deterministicGreeks(inputs: OptionInputs): OptionGreeks {
  const { right, spot, strike, timeYears: years, rate, dividendYield: q } = inputs;
  const sign = right === "C" ? 1 : -1;
  const payoff = (t: number) => sign * (spot * Math.exp(-q * t) - strike * Math.exp(-rate * t));
  const candidates = [0, years];
  if (rate > 0 && q > 0 && rate !== q) {
    const stationary = Math.log((rate * strike) / (q * spot)) / (rate - q);
    if (stationary > 0 && stationary < years) candidates.push(stationary);
  }
  let best = 0;
  for (const t of candidates) if (payoff(t) > payoff(best)) best = t;
  const price = payoff(best);
  if (!(price > 0)) return { price: 0, delta: 0, gamma: 0, theta: 0, vega: 0, rho: 0 };
  const atExpiry = best === years;
  return {
    price,
    delta: sign * Math.exp(-q * best) + 0,
    gamma: 0,
    // Holding the spot, only waiting for expiry loses carry; exercising now or at the stationary point does not.
    theta: atExpiry
      ? (sign * (q * spot * Math.exp(-q * years) - rate * strike * Math.exp(-rate * years))) / DAYS_PER_YEAR
      : 0,
    vega: 0,
    // `+ 0` turns the −0 of exercising now into 0.
    rho: sign * best * strike * Math.exp(-rate * best) * POINT + 0,
  };
}

/** The American price. Throws RangeError on invalid inputs, like bsPrice. */
export function americanPrice(
  inputs: OptionInputs,
  scheme: AmericanScheme = DEFAULT_AMERICAN_SCHEME,
): number {
  assertValidInputs(inputs);
  const value = valuation(inputs, scheme, false);
  if (value.kind === "european") return bsGreeks(inputs).price;
  if (value.kind === "deterministic") return value.greeks.price;
  return value.price;
}

/** ∂V/∂r per rate point, the one sensitivity IB never sends: two prices, where americanGreeks needs three. */
export function americanRho(inputs: OptionInputs, scheme: AmericanScheme = DEFAULT_AMERICAN_SCHEME): number {
  assertValidInputs(inputs);
  if (inputs.timeYears === 0 || !earlyExerciseCanPay(inputs)) return bsGreeks(inputs).rho;
  const price = americanPrice(inputs, scheme);
  const bumped = americanPrice({ ...inputs, rate: inputs.rate + RATE_BUMP }, scheme);
  return ((bumped - price) / RATE_BUMP) * POINT;
}

/**
 * The American price and greeks in black-scholes.ts's units. Delta and gamma come from the premium integral
 * (exact derivatives of the quadrature); theta from the Black–Scholes equation, which the price satisfies where
 * holding is optimal (θ = rV − (r − q)SΔ − ½σ²S²Γ; 0 where exercising is); vega and rho by one-sided differences
 * of 1e-6 in σ and r. Throws RangeError on invalid inputs.
 */
export function americanGreeks(
  inputs: OptionInputs,
  scheme: AmericanScheme = DEFAULT_AMERICAN_SCHEME,
): OptionGreeks {
  return greeks(inputs, scheme, true);
}

/** americanGreeks without rho, which IB never sends and which costs one more valuation (for the simulator). */
export function americanGreeksWithoutRho(
  inputs: OptionInputs,
  scheme: AmericanScheme = DEFAULT_AMERICAN_SCHEME,
): Omit<OptionGreeks, "rho"> {
  const { price, delta, gamma, theta, vega } = greeks(inputs, scheme, false);
  return { price, delta, gamma, theta, vega };
}

function greeks(inputs: OptionInputs, scheme: AmericanScheme, withRho: boolean): OptionGreeks {
  assertValidInputs(inputs);
  const value = valuation(inputs, scheme, true);
  if (value.kind === "european") return bsGreeks(inputs);
  if (value.kind === "deterministic") return value.greeks;
  const { spot, rate, dividendYield, volatility } = inputs;
  if (value.exercised) {
    const sign = inputs.right === "C" ? 1 : -1;
    return { price: value.price, delta: sign, gamma: 0, theta: 0, vega: 0, rho: 0 };
  }
  const thetaPerYear =
    rate * value.price -
    (rate - dividendYield) * spot * value.delta -
    0.5 * volatility * volatility * spot * spot * value.gamma;
  const bumped = (change: Partial<OptionInputs>) => americanPrice({ ...inputs, ...change }, scheme);
  return {
    price: value.price,
    delta: value.delta,
    gamma: value.gamma,
    theta: thetaPerYear / DAYS_PER_YEAR,
    vega: ((bumped({ volatility: volatility + VOL_BUMP }) - value.price) / VOL_BUMP) * POINT,
    rho: withRho ? ((bumped({ rate: rate + RATE_BUMP }) - value.price) / RATE_BUMP) * POINT : Number.NaN,
  };
}
