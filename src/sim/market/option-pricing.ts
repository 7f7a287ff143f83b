import { americanGreeksWithoutRho, americanPrice, type AmericanScheme } from "../../pricing/american.ts";
import { americanImpliedVolatility } from "../../pricing/american-implied-volatility.ts";
import { bsGreeks } from "../../pricing/black-scholes.ts";
import { impliedVolatility } from "../../pricing/implied-volatility.ts";
import type { ExerciseStyle } from "../../pricing/option-model.ts";

/**
 * The simulator prices with chainvault's own models (src/pricing): the American model for the equity and ETF
 * options it lists, Black–Scholes–Merton for European-style ones, so no quote of an American option sits below
 * what exercising it pays and the collector's model reads the simulator's quotes back to their volatility.
 * Greeks follow IB: vega per vol point, theta per day.
 *
 * The American model runs on a lighter scheme than the collector's (within 6e-5 per 100 of strike of the
 * converged price where σ√T < 0.3, 4e-4 at the extremes; measured with the tuning set of docs/pricing.md): a
 * quote takes several valuations (model greeks, the volatilities at bid, ask and last), and the simulator has to
 * stay far faster than IB's 50 messages a second.
 */

export const SIMULATOR_SCHEME: AmericanScheme = {
  boundaryNodes: 6,
  boundaryQuadrature: 4,
  iterations: 3,
  priceQuadrature: 12,
};

export type Right = "C" | "P";

export interface ModelInputs {
  right: Right;
  spot: number;
  strike: number;
  /** Years to expiry. */
  years: number;
  vol: number;
  rate: number;
  dividendYield: number;
  exercise: ExerciseStyle;
}

export interface ModelResult {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
}

function pricingInputs({ right, spot, strike, years, vol, rate, dividendYield }: ModelInputs) {
  return { right, spot, strike, timeYears: years, rate, dividendYield, volatility: vol };
}

export function optionGreeks(inputs: ModelInputs): ModelResult {
  const options = pricingInputs(inputs);
  const { price, delta, gamma, vega, theta } =
    inputs.exercise === "american" ? americanGreeksWithoutRho(options, SIMULATOR_SCHEME) : bsGreeks(options);
  return { price, delta, gamma, vega, theta };
}

/** The price alone: one valuation, where the greeks take two. */
export function optionPrice(inputs: ModelInputs): number {
  const options = pricingInputs(inputs);
  return inputs.exercise === "american" ? americanPrice(options, SIMULATOR_SCHEME) : bsGreeks(options).price;
}

/**
 * The volatility that reprices `price`, searched from a nearby model point (the quote's own σ, price and vega):
 * a Newton step, then secants — bid, ask and last sit close to the model price, so two or three valuations
 * usually do. Falls back to the full solver when the steps do not settle (far from the point, or no vega).
 */
export function impliedVolNear(
  price: number,
  inputs: Omit<ModelInputs, "vol">,
  near: { vol: number; price: number; vega: number },
): number | undefined {
  const vegaPerUnit = near.vega * 100;
  if (vegaPerUnit > 1e-8 * near.price) {
    let [sigma0, price0] = [near.vol, near.price];
    let sigma = sigma0 + (price - price0) / vegaPerUnit;
    for (let step = 0; step < 4 && sigma > 0.5 * near.vol && sigma < 2 * near.vol; step++) {
      const value = optionPrice({ ...inputs, vol: sigma });
      if (Math.abs(value - price) <= 1e-8 * Math.max(price, 1)) return sigma;
      if (value === price0) break;
      const next = sigma - ((value - price) * (sigma - sigma0)) / (value - price0);
      [sigma0, price0, sigma] = [sigma, value, next];
    }
  }
  return impliedVol(price, inputs);
}

/** The volatility that reprices `price` under the exercise style's model; undefined where none does. */
export function impliedVol(price: number, inputs: Omit<ModelInputs, "vol">): number | undefined {
  const { right, spot, strike, years, rate, dividendYield, exercise } = inputs;
  const market = { right, spot, strike, timeYears: years, rate, dividendYield, price };
  const volatility =
    exercise === "american"
      ? americanImpliedVolatility(market, {}, SIMULATOR_SCHEME)
      : impliedVolatility(market);
  return volatility ?? undefined;
}
