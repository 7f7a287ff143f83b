import type { OptionGreeks, OptionInputs, OptionRight, QuoteGreeks } from "../pricing/black-scholes.ts";
import {
  modelGreeks,
  modelImpliedVolatility,
  modelRho,
  modelSource,
  noArbitrageFloor,
  type ExerciseStyle,
  type GreeksSource,
  type IvFlag,
} from "../pricing/option-model.ts";

/**
 * The greeks stored with a quote (pure). IB's option computation is kept where it gave a usable value; what it
 * left out is filled from the model of the contract's exercise style — American (src/pricing/american.ts) for
 * equity and ETF options, Black–Scholes–Merton for European ones — with the configured rate and the symbol's
 * dividend yield:
 * - implied volatility: IB's, else solved from the mid ((bid + ask) / 2, only with a two-sided market: a zero
 *   or missing bid gives no mid);
 * - delta, gamma, theta, vega: IB's, else the model's at that implied volatility;
 * - rho: always the model's (IB does not send it), at IB's IV or the solved one.
 * A mid is not taken as a price, and the quote keeps NULL IV and model greeks with a reason in ivFlag, when it
 * is at or below the no-arbitrage floor ("below_intrinsic": the exercise value for an American option, where
 * European Black–Scholes would report a meaningless IV) or when the market is wider than maxRelativeSpread of
 * the mid ("wide_spread"). IB's own values are kept either way: they are IB's, not ours.
 * Units match IB's: theta per calendar day, vega per vol point, rho per rate point, IV as a decimal.
 * greeksSource: "ib" when no IV or greek came from the model (rho aside), else the model's name — "amer" or
 * "bs" — and null when the quote has none at all. Nothing is ever NaN: a value that cannot be had is null.
 */

export type GreekName = "impliedVolatility" | "delta" | "gamma" | "theta" | "vega";

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
  exercise: ExerciseStyle;
  /** No IV from a mid whose market is wider than this fraction of it; null: no limit. */
  maxRelativeSpread: number | null;
}

export interface EnrichedGreeks extends QuoteGreeks {
  greeksSource: GreeksSource | null;
  /** Which of the IB fields the model supplied (rho is always the model's and not listed). */
  filledFromModel: GreekName[];
  /** Set when the mid was not used as a price; then the model supplied nothing. */
  ivFlag: IvFlag | null;
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
  let ivFlag: IvFlag | null = null;
  if (volatility === null && modelInputs) {
    const { bid, ask } = input.quote;
    const mid = midPrice(bid, ask);
    if (mid !== null) {
      ivFlag = refusedMid(mid, ask! - bid!, modelInputs, input);
      if (ivFlag === null)
        volatility = modelImpliedVolatility({ ...modelInputs, price: mid }, input.exercise);
    }
  }

  // With IB's four greeks only rho is missing: the American model prices it with fewer solves.
  const onlyRho = (["delta", "gamma", "theta", "vega"] as const).every((name) => ib[name] !== null);
  const model: (Pick<OptionGreeks, "rho"> & Partial<OptionGreeks>) | null =
    modelInputs && volatility !== null
      ? onlyRho
        ? { rho: modelRho({ ...modelInputs, volatility }, input.exercise) }
        : modelGreeks({ ...modelInputs, volatility }, input.exercise)
      : null;

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
  const anyFromIb = (Object.keys(ib) as GreekName[]).some((name) => ib[name] !== null);

  return {
    impliedVolatility: finite(volatility),
    delta,
    gamma,
    theta,
    vega,
    rho: finite(model?.rho ?? null),
    greeksSource: filledFromModel.length > 0 ? modelSource(input.exercise) : anyFromIb ? "ib" : null,
    filledFromModel,
    ivFlag,
  };
}

/** Why a mid cannot be taken as the option's price, or null when it can. */
function refusedMid(
  mid: number,
  spread: number,
  inputs: Omit<OptionInputs, "volatility">,
  settings: Pick<EnrichInput, "exercise" | "maxRelativeSpread">,
): IvFlag | null {
  if (settings.maxRelativeSpread !== null && spread > settings.maxRelativeSpread * mid) return "wide_spread";
  // A relative margin: a mid equal to the floor but for rounding has no time value either.
  if (mid <= noArbitrageFloor(inputs, settings.exercise) * (1 + 1e-12)) return "below_intrinsic";
  return null;
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
