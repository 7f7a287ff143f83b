import {
  bsGreeks,
  type OptionGreeks,
  type OptionInputs,
  type OptionRight,
  type QuoteGreeks,
} from "../pricing/black-scholes.ts";
import { impliedVolatility as solveImpliedVolatility } from "../pricing/implied-volatility.ts";

/**
 * The greeks stored with a quote (pure). IB's option computation is kept where it gave a usable value; what it
 * left out is filled from Black-Scholes-Merton with the configured rate and the symbol's dividend yield:
 * - implied volatility: IB's, else solved from the mid ((bid + ask) / 2, only with a two-sided market: a zero
 *   or missing bid gives no mid, and a mid below the discounted intrinsic value gives no solution → null);
 * - delta, gamma, theta, vega: IB's, else the model's at that implied volatility;
 * - rho: always the model's (IB does not send it).
 * Units match IB's: theta per calendar day, vega per vol point, rho per rate point, IV as a decimal.
 * greeksSource is "ib" when IB supplied the IV and all four greeks, "model" when any of them came from the model.
 * Nothing is ever NaN: a value that cannot be had is null.
 */

export type GreekName = "impliedVolatility" | "delta" | "gamma" | "theta" | "vega";
export type GreeksSource = "ib" | "model";

/** IB's option computation after its sentinels became null (structurally src/ib/ticks.ts OptionComputation). */
export interface IbOptionComputation {
  impliedVolatility: number | null;
  delta: number | null;
  gamma: number | null;
  theta: number | null;
  vega: number | null;
  underlyingPrice?: number | null;
}

export interface RawOptionQuote {
  bid: number | null;
  ask: number | null;
  last?: number | null;
  close?: number | null;
  computation: IbOptionComputation | null;
}

export interface EnrichInput {
  right: OptionRight;
  strike: number;
  quote: RawOptionQuote;
  /** The underlying's price at the snapshot; IB's computation's underlying price is used when this is null. */
  underlyingPrice: number | null;
  /** Years to expiry (see src/pricing/year-fraction.ts); 0 or less means expired. */
  timeYears: number;
  rate: number;
  dividendYield: number;
}

export interface EnrichedGreeks extends QuoteGreeks {
  greeksSource: GreeksSource;
  /** Which of the IB fields the model supplied (rho is always the model's and not listed). */
  filledFromModel: GreekName[];
}

/** The mid of a two-sided market, else null. */
export function midPrice(bid: number | null, ask: number | null): number | null {
  if (bid === null || ask === null || !Number.isFinite(bid) || !Number.isFinite(ask)) return null;
  if (bid <= 0 || ask < bid) return null;
  return (bid + ask) / 2;
}

export function enrichGreeks(input: EnrichInput): EnrichedGreeks {
  const ib = sanitizeIb(input.quote.computation);
  const spot = positive(input.underlyingPrice) ?? positive(input.quote.computation?.underlyingPrice ?? null);
  const timeYears = Number.isFinite(input.timeYears) ? Math.max(0, input.timeYears) : Number.NaN;
  const canPrice =
    spot !== null &&
    positive(input.strike) !== null &&
    Number.isFinite(timeYears) &&
    Number.isFinite(input.rate) &&
    Number.isFinite(input.dividendYield) &&
    (input.right === "C" || input.right === "P");

  // What the model needs apart from the volatility: one set of inputs for the IV solve and the greeks.
  const modelInputs: Omit<OptionInputs, "volatility"> | null = canPrice
    ? {
        right: input.right,
        spot,
        strike: input.strike,
        timeYears,
        rate: input.rate,
        dividendYield: input.dividendYield,
      }
    : null;

  let volatility = ib.impliedVolatility;
  if (volatility === null && modelInputs) {
    const mid = midPrice(input.quote.bid, input.quote.ask);
    if (mid !== null) volatility = solveImpliedVolatility({ ...modelInputs, price: mid });
  }

  const model: OptionGreeks | null =
    modelInputs && volatility !== null ? bsGreeks({ ...modelInputs, volatility }) : null;

  const filledFromModel: GreekName[] = [];
  const pick = (name: Exclude<GreekName, "impliedVolatility">): number | null => {
    if (ib[name] !== null) return ib[name];
    const value = finite(model?.[name] ?? null);
    if (value !== null) filledFromModel.push(name);
    return value;
  };
  if (ib.impliedVolatility === null && volatility !== null) filledFromModel.push("impliedVolatility");
  const delta = pick("delta");
  const gamma = pick("gamma");
  const theta = pick("theta");
  const vega = pick("vega");
  const fromIb = (Object.keys(ib) as GreekName[]).every((name) => ib[name] !== null);

  return {
    impliedVolatility: finite(volatility),
    delta,
    gamma,
    theta,
    vega,
    rho: finite(model?.rho ?? null),
    greeksSource: fromIb ? "ib" : "model",
    filledFromModel,
  };
}

/** IB's values that are plausible; anything else (a leftover sentinel, a NaN) counts as not given. */
function sanitizeIb(computation: IbOptionComputation | null): Record<GreekName, number | null> {
  const iv = finite(computation?.impliedVolatility ?? null);
  const delta = finite(computation?.delta ?? null);
  const gamma = finite(computation?.gamma ?? null);
  const vega = finite(computation?.vega ?? null);
  return {
    impliedVolatility: iv !== null && iv > 0 && iv < 100 ? iv : null,
    delta: delta !== null && Math.abs(delta) <= 1 ? delta : null,
    gamma: gamma !== null && gamma >= 0 ? gamma : null,
    theta: finite(computation?.theta ?? null),
    vega: vega !== null && vega >= 0 ? vega : null,
  };
}

function finite(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

function positive(value: number | null): number | null {
  return value !== null && Number.isFinite(value) && value > 0 ? value : null;
}
