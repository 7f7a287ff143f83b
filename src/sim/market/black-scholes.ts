/**
 * Black–Scholes–Merton with a continuous dividend yield: the simulator's own minimal pricing model.
 * Greeks follow IB's conventions: vega per 1 volatility point (0.01), theta per calendar day.
 */

export type Right = "C" | "P";

export interface BsInputs {
  right: Right;
  spot: number;
  strike: number;
  /** Years to expiry. */
  years: number;
  vol: number;
  rate: number;
  dividendYield: number;
}

export interface BsResult {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
}

const INV_SQRT_2PI = 0.3989422804014327;

export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal CDF (W. J. Cody's erfc rational approximations via the complementary error function). */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes erfc with Chebyshev fit, relative error < 1.2e-7 everywhere.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function bsPrice(inputs: BsInputs): number {
  return bsGreeks(inputs).price;
}

export function bsGreeks({ right, spot, strike, years, vol, rate, dividendYield }: BsInputs): BsResult {
  const discountQ = Math.exp(-dividendYield * years);
  const discountR = Math.exp(-rate * years);
  if (years <= 0 || vol <= 0) {
    const intrinsic = right === "C" ? Math.max(0, spot - strike) : Math.max(0, strike - spot);
    const itm = right === "C" ? spot > strike : spot < strike;
    return { price: intrinsic, delta: itm ? (right === "C" ? 1 : -1) : 0, gamma: 0, vega: 0, theta: 0 };
  }
  const sqrtT = Math.sqrt(years);
  const d1 = (Math.log(spot / strike) + (rate - dividendYield + 0.5 * vol * vol) * years) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const pdf = normPdf(d1);
  const gamma = (discountQ * pdf) / (spot * vol * sqrtT);
  const vega = (spot * discountQ * pdf * sqrtT) / 100;
  const decay = (-spot * discountQ * pdf * vol) / (2 * sqrtT);
  if (right === "C") {
    const price = spot * discountQ * normCdf(d1) - strike * discountR * normCdf(d2);
    const theta =
      decay - rate * strike * discountR * normCdf(d2) + dividendYield * spot * discountQ * normCdf(d1);
    return { price: Math.max(price, 0), delta: discountQ * normCdf(d1), gamma, vega, theta: theta / 365 };
  }
  const price = strike * discountR * normCdf(-d2) - spot * discountQ * normCdf(-d1);
  const theta =
    decay + rate * strike * discountR * normCdf(-d2) - dividendYield * spot * discountQ * normCdf(-d1);
  return { price: Math.max(price, 0), delta: -discountQ * normCdf(-d1), gamma, vega, theta: theta / 365 };
}

/**
 * The volatility that reprices `price`: Newton steps from `guess` (fast when the guess is close, as it is for
 * quotes around a model price), falling back to bisection; undefined outside the no-arbitrage range.
 */
export function impliedVol(price: number, inputs: Omit<BsInputs, "vol">, guess = 0.3): number | undefined {
  let low = 0.005;
  let high = 5;
  if (!(price > bsPrice({ ...inputs, vol: low })) || !(price < bsPrice({ ...inputs, vol: high })))
    return undefined;
  let vol = Math.min(high, Math.max(low, guess));
  for (let i = 0; i < 8; i++) {
    const { price: value, vega } = bsGreeks({ ...inputs, vol });
    const diff = value - price;
    if (Math.abs(diff) < 1e-9) return vol;
    if (diff > 0) high = Math.min(high, vol);
    else low = Math.max(low, vol);
    const step = vega > 1e-12 ? diff / (vega * 100) : Infinity;
    const next = vol - step;
    vol = next > low && next < high ? next : 0.5 * (low + high);
  }
  for (let i = 0; i < 60 && high - low > 1e-9; i++) {
    const mid = 0.5 * (low + high);
    if (bsPrice({ ...inputs, vol: mid }) > price) high = mid;
    else low = mid;
    vol = 0.5 * (low + high);
  }
  return vol;
}
