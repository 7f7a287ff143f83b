import { americanGreeks, americanRho } from "./american.ts";
import { americanImpliedVolatility } from "./american-implied-volatility.ts";
import { bsGreeks, type OptionGreeks, type OptionInputs } from "./black-scholes.ts";
import {
  impliedVolatility,
  type ImpliedVolatilityBounds,
  type ImpliedVolatilityInputs,
} from "./implied-volatility.ts";

/**
 * The model follows the contract's exercise style: equity and ETF options are American (american.ts),
 * cash-settled index options such as SPX are European (black-scholes.ts). One switch, so that the collector,
 * the simulator and the tests price a contract the same way.
 */

export type ExerciseStyle = "european" | "american";

/**
 * Where a quote's IV and greeks came from (market_data_ticks.greeks_source): "ib" — IB's option computation;
 * "amer" — the American model filled some; "bs" — European Black–Scholes–Merton filled some. Rows stored
 * before migration 063 may carry "model", which meant Black–Scholes–Merton, then the only model.
 */
export type GreeksSource = "ib" | "bs" | "amer";

/**
 * Why a quote's mid gave no implied volatility (market_data_ticks.iv_flag): "below_intrinsic" — the mid is at
 * or below the no-arbitrage floor (noArbitrageFloor); "wide_spread" — the market is wider than
 * pricing.max_relative_spread of the mid.
 */
export type IvFlag = "below_intrinsic" | "wide_spread";

/** The greeks_source of values the model of an exercise style supplied. */
export function modelSource(exercise: ExerciseStyle): GreeksSource {
  return exercise === "american" ? "amer" : "bs";
}

/** Price and greeks under the exercise style's model (units of black-scholes.ts). */
export function modelGreeks(inputs: OptionInputs, exercise: ExerciseStyle): OptionGreeks {
  return exercise === "american" ? americanGreeks(inputs) : bsGreeks(inputs);
}

/** Rho alone (per rate point), cheaper than all greeks under the American model. */
export function modelRho(inputs: OptionInputs, exercise: ExerciseStyle): number {
  return exercise === "american" ? americanRho(inputs) : bsGreeks(inputs).rho;
}

/** The implied volatility under the exercise style's model, or null where the price has none. */
export function modelImpliedVolatility(
  inputs: ImpliedVolatilityInputs,
  exercise: ExerciseStyle,
  bounds: ImpliedVolatilityBounds = {},
): number | null {
  return exercise === "american"
    ? americanImpliedVolatility(inputs, bounds)
    : impliedVolatility(inputs, bounds);
}

/**
 * The least an option can be worth without arbitrage: the discounted forward intrinsic value
 * max(±(S·e^{−qT} − K·e^{−rT}), 0) for a European option; for an American one also the exercise value
 * max(±(S − K), 0), since it can be exercised now. A mid at or below it has no implied volatility.
 */
export function noArbitrageFloor(inputs: Omit<OptionInputs, "volatility">, exercise: ExerciseStyle): number {
  const { right, spot, strike, timeYears, rate, dividendYield } = inputs;
  const sign = right === "C" ? 1 : -1;
  const forward = sign * (spot * Math.exp(-dividendYield * timeYears) - strike * Math.exp(-rate * timeYears));
  const european = Math.max(0, forward);
  return exercise === "american" ? Math.max(european, sign * (spot - strike)) : european;
}
