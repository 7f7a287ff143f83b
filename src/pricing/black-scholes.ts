import { normCdf, normPdf } from "./normal.ts";

/**
 * Black-Scholes-Merton for European options on an underlying paying a continuous dividend yield q.
 *
 * Units (the same as IB's option computation, so model and IB values can be stored side by side):
 * - rate, dividendYield, volatility: annualized decimals (0.04 = 4 %), continuously compounded;
 * - timeYears: year fraction to expiry (see year-fraction.ts for the convention);
 * - theta: price change per calendar day (annual theta / 365), negative for a long option that decays;
 * - vega: price change per 1 volatility point (σ + 0.01);
 * - rho: price change per 1 rate point (r + 0.01).
 *
 * Degenerate inputs have their limits instead of NaN: at expiry (timeYears = 0) or with zero volatility the
 * option is worth its discounted forward intrinsic value e^{−rT}·max(±(F − K), 0) with F = S·e^{(r−q)T}; delta is
 * the discounted indicator (½ exactly at the forward), gamma 0, vega 0 (except its finite at-the-forward limit
 * S·e^{−qT}·√T·n(0) when T > 0), theta the carry of the intrinsic value.
 */

export type OptionRight = "C" | "P";

export interface OptionInputs {
  right: OptionRight;
  /** Underlying price, > 0. */
  spot: number;
  /** Strike, > 0. */
  strike: number;
  /** Years to expiry, >= 0. */
  timeYears: number;
  /** Continuously compounded risk-free rate (decimal). */
  rate: number;
  /** Continuous dividend yield (decimal). */
  dividendYield: number;
  /** Annualized volatility (decimal), >= 0. */
  volatility: number;
}

export interface OptionGreeks {
  price: number;
  delta: number;
  gamma: number;
  /** Per calendar day. */
  theta: number;
  /** Per 1 volatility point (0.01). */
  vega: number;
  /** Per 1 rate point (0.01). */
  rho: number;
}

/** The greeks a quote carries: implied volatility and the sensitivities, null where none could be had. */
export interface QuoteGreeks {
  impliedVolatility: number | null;
  delta: number | null;
  gamma: number | null;
  theta: number | null;
  vega: number | null;
  rho: number | null;
}

export const DAYS_PER_YEAR = 365;
/** One volatility or rate point: vega and rho are quoted per point. */
export const POINT = 0.01;

/** Throws a RangeError naming the first input that is not a valid option input. */
export function assertValidInputs(inputs: OptionInputs): void {
  const { right, spot, strike, timeYears, rate, dividendYield, volatility } = inputs;
  if (right !== "C" && right !== "P")
    throw new RangeError(`option right must be "C" or "P", got ${String(right)}`);
  if (!(spot > 0 && Number.isFinite(spot)))
    throw new RangeError(`spot must be a positive number, got ${spot}`);
  if (!(strike > 0 && Number.isFinite(strike)))
    throw new RangeError(`strike must be a positive number, got ${strike}`);
  if (!(timeYears >= 0 && Number.isFinite(timeYears)))
    throw new RangeError(`timeYears must be >= 0 (an expired option has 0), got ${timeYears}`);
  if (!Number.isFinite(rate)) throw new RangeError(`rate must be a finite number, got ${rate}`);
  if (!Number.isFinite(dividendYield))
    throw new RangeError(`dividendYield must be a finite number, got ${dividendYield}`);
  if (!(volatility >= 0 && Number.isFinite(volatility)))
    throw new RangeError(`volatility must be >= 0, got ${volatility}`);
}

/** Black-Scholes-Merton price. Throws RangeError on invalid inputs (non-positive spot/strike, NaN, negative T or σ). */
export function bsPrice(inputs: OptionInputs): number {
  return bsGreeks(inputs).price;
}

/** Price and greeks (theta per calendar day, vega and rho per 1 point). Throws RangeError on invalid inputs. */
export function bsGreeks(inputs: OptionInputs): OptionGreeks {
  assertValidInputs(inputs);
  const { right, spot, strike, timeYears: t, rate, dividendYield: q, volatility: sigma } = inputs;
  const sign = right === "C" ? 1 : -1;
  const dividendDiscount = Math.exp(-q * t);
  const rateDiscount = Math.exp(-rate * t);
  const discountedSpot = spot * dividendDiscount;
  const discountedStrike = strike * rateDiscount;
  const sqrtT = Math.sqrt(t);
  const stdDev = sigma * sqrtT;

  if (stdDev === 0) {
    return degenerateGreeks({
      sign,
      dividendDiscount,
      discountedSpot,
      discountedStrike,
      t,
      rate,
      q,
      sqrtT,
      sigma,
    });
  }

  const d1 = (Math.log(spot / strike) + (rate - q + 0.5 * sigma * sigma) * t) / stdDev;
  const d2 = d1 - stdDev;
  // N(sign·d) directly rather than 1 − N(d): keeps the relative precision of far out-of-the-money values.
  const nd1 = normCdf(sign * d1);
  const nd2 = normCdf(sign * d2);
  const density = normPdf(d1);

  const price = Math.max(0, sign * (discountedSpot * nd1 - discountedStrike * nd2));
  const delta = sign * dividendDiscount * nd1;
  const gamma = (dividendDiscount * density) / (spot * stdDev);
  const vegaPerUnit = discountedSpot * density * sqrtT;
  const thetaPerYear =
    -(discountedSpot * density * sigma) / (2 * sqrtT) +
    sign * (q * discountedSpot * nd1 - rate * discountedStrike * nd2);
  const rhoPerUnit = sign * discountedStrike * t * nd2;

  return {
    price,
    delta,
    gamma,
    theta: thetaPerYear / DAYS_PER_YEAR,
    vega: vegaPerUnit * POINT,
    rho: rhoPerUnit * POINT,
  };
}

/** Limits as σ√T → 0: the forward is certain, the option is a discounted forward intrinsic value. */
function degenerateGreeks(p: {
  sign: number;
  dividendDiscount: number;
  discountedSpot: number;
  discountedStrike: number;
  t: number;
  rate: number;
  q: number;
  sqrtT: number;
  sigma: number;
}): OptionGreeks {
  const { sign, dividendDiscount, discountedSpot, discountedStrike, t, rate, q, sqrtT, sigma } = p;
  // Comparing discounted spot and strike is comparing the forward with the strike.
  const moneyness = sign * (discountedSpot - discountedStrike);
  const exercised = moneyness > 0 ? 1 : moneyness < 0 ? 0 : 0.5;
  const atForward = moneyness === 0;
  // `+ 0` turns the −0 of a worthless put into 0.
  return {
    price: Math.max(0, moneyness),
    delta: sign * dividendDiscount * exercised + 0,
    gamma: 0,
    theta: (sign * exercised * (q * discountedSpot - rate * discountedStrike)) / DAYS_PER_YEAR + 0,
    vega: atForward && sigma === 0 && t > 0 ? discountedSpot * normPdf(0) * sqrtT * POINT : 0,
    rho: sign * discountedStrike * t * exercised * POINT + 0,
  };
}
