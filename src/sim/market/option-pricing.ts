import { bsGreeks as pricingGreeks } from "../../pricing/black-scholes.ts";
import { impliedVolatility } from "../../pricing/implied-volatility.ts";

/**
 * The simulator prices with chainvault's own Black–Scholes–Merton (src/pricing), so a model greek computed by the
 * collector from the same inputs equals the simulator's. Greeks follow IB: vega per vol point, theta per day.
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

export function bsGreeks({ right, spot, strike, years, vol, rate, dividendYield }: BsInputs): BsResult {
  const { price, delta, gamma, vega, theta } = pricingGreeks({
    right,
    spot,
    strike,
    timeYears: years,
    rate,
    dividendYield,
    volatility: vol,
  });
  return { price, delta, gamma, vega, theta };
}

export function bsPrice(inputs: BsInputs): number {
  return bsGreeks(inputs).price;
}

/**
 * The volatility that reprices `price`. Quotes sit close to the model price, so Newton steps from the model's
 * vol (`guess`) converge in two or three evaluations; src/pricing's solver is the fallback when they do not.
 */
export function impliedVol(price: number, inputs: Omit<BsInputs, "vol">, guess?: number): number | undefined {
  if (guess !== undefined && guess > 0) {
    let vol = guess;
    for (let i = 0; i < 6; i++) {
      const { price: value, vega } = bsGreeks({ ...inputs, vol });
      const diff = value - price;
      if (Math.abs(diff) <= 1e-10 * Math.max(price, 1)) return vol;
      if (!(vega > 1e-8)) break;
      const next = vol - diff / (vega * 100);
      if (!(next > 0.5 * vol && next < 2 * vol)) break;
      vol = next;
    }
  }
  const { right, spot, strike, years, rate, dividendYield } = inputs;
  return (
    impliedVolatility({ right, spot, strike, timeYears: years, rate, dividendYield, price }) ?? undefined
  );
}
