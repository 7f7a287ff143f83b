/**
 * Put-call parity for European options on an underlying paying a continuous dividend yield q (the model
 * src/pricing prices with): C − P = S·e^(−qT) − K·e^(−rT). Pure; the same units as black-scholes.ts.
 */
export interface ParityInputs {
  spot: number;
  strike: number;
  /** Years to expiry (year-fraction.ts), >= 0. */
  timeYears: number;
  rate: number;
  dividendYield: number;
}

/** What C − P is worth by parity: the value of a synthetic forward bought at the strike. */
export function parityValue({ spot, strike, timeYears, rate, dividendYield }: ParityInputs): number {
  return spot * Math.exp(-dividendYield * timeYears) - strike * Math.exp(-rate * timeYears);
}

/**
 * How far parity lies outside the market of the synthetic forward (long call, short put): bought at the
 * call's ask less the put's bid, sold at the call's bid less the put's ask. 0 when the parity value lies
 * within that bid-ask range, so a breach is one no spread explains; positive otherwise (in price units).
 */
export function parityBreach(
  value: number,
  quotes: { callBid: number; callAsk: number; putBid: number; putAsk: number },
): number {
  const syntheticBid = quotes.callBid - quotes.putAsk;
  const syntheticAsk = quotes.callAsk - quotes.putBid;
  if (value < syntheticBid) return syntheticBid - value;
  if (value > syntheticAsk) return value - syntheticAsk;
  return 0;
}
