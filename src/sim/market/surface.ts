import type { UnderlyingSpec } from "./underlying-specs.ts";

/** Years over which the ATM term structure moves from its short-end to its long-end level. */
const TERM_DECAY_YEARS = 0.35;

/** ATM implied volatility for a time to expiry, scaled by the day's volatility regime. */
export function atmVol(spec: UnderlyingSpec, years: number, regime: number): number {
  const term =
    spec.longVol + (spec.shortVol - spec.longVol) * Math.exp(-Math.max(years, 0) / TERM_DECAY_YEARS);
  return term * regime;
}

/**
 * Implied volatility at a strike: the ATM level times a quadratic smile in log-moneyness standardised by √T,
 * with a negative slope (skew) for equities. The same vol prices the call and the put of a strike, so put–call
 * parity holds exactly at the model mid.
 */
export function surfaceVol(
  spec: UnderlyingSpec,
  strike: number,
  forward: number,
  years: number,
  regime: number,
): number {
  const z = Math.max(-4, Math.min(4, Math.log(strike / forward) / Math.sqrt(Math.max(years, 0.02))));
  const shape = Math.max(0.5, 1 + spec.skew * z + spec.smile * z * z);
  return Math.min(3, Math.max(0.04, atmVol(spec, years, regime) * shape));
}
