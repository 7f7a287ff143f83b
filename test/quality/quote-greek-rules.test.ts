import { describe, expect, it } from "vitest";
import { deltaOutOfRange, ivOutOfRange, negativeGreeks } from "../../src/quality/greek-rules.ts";
import { bidWithoutAsk, crossedMarket, negativePrice } from "../../src/quality/quote-rules.ts";
import type { CollectionRule } from "../../src/quality/index.ts";
import { input, quote, settings } from "./fixtures.ts";

/** The contract ids a rule flags among `quotes`, under the default settings unless given. */
function flagged(rule: CollectionRule, quotes: ReturnType<typeof quote>[], config = settings()): number[] {
  return rule.check(input({ quotes }), config).map((finding) => finding.contractId!);
}

describe("crossed_market", () => {
  it("flags a bid above the ask and a locked market, not a one-cent spread", () => {
    const crossed = quote({ bid: 1.25, ask: 1.2 });
    const locked = quote({ bid: 1.2, ask: 1.2 });
    const fine = quote({ bid: 1.19, ask: 1.2 });
    expect(flagged(crossedMarket, [crossed, locked, fine])).toEqual([crossed.contractId, locked.contractId]);
    const [finding] = crossedMarket.check(input({ quotes: [crossed] }), settings());
    expect(finding!.message).toContain("bid 1.25 above ask 1.2");
    expect(finding!.details).toEqual({ bid: 1.25, ask: 1.2 });
  });

  it("leaves one-sided and empty markets alone, and with a negative threshold tolerates a locked one", () => {
    const noBid = quote({ bid: 0, ask: 0.05 });
    const nullAsk = quote({ bid: 0.5, ask: null });
    const locked = quote({ bid: 1.2, ask: 1.2 });
    expect(flagged(crossedMarket, [noBid, nullAsk])).toEqual([]);
    expect(
      flagged(crossedMarket, [locked], settings({ rules: { crossed_market: { threshold: -0.001 } } })),
    ).toEqual([]);
  });
});

describe("negative_price", () => {
  it("flags a negative bid or ask, not zero or null", () => {
    const negativeBid = quote({ bid: -0.01, ask: 0.05 });
    const negativeAsk = quote({ bid: 0, ask: -1 });
    const zero = quote({ bid: 0, ask: 0 });
    const missing = quote({ bid: null, ask: null });
    expect(flagged(negativePrice, [negativeBid, negativeAsk, zero, missing])).toEqual([
      negativeBid.contractId,
      negativeAsk.contractId,
    ]);
  });
});

describe("bid_without_ask", () => {
  it("flags a positive bid with no ask, not a zero bid or a two-sided quote", () => {
    const half = quote({ bid: 0.01, ask: null });
    const zeroBid = quote({ bid: 0, ask: null });
    const twoSided = quote({ bid: 0.01, ask: 0.02 });
    expect(flagged(bidWithoutAsk, [half, zeroBid, twoSided])).toEqual([half.contractId]);
  });
});

describe("iv_out_of_range", () => {
  it("flags an IV below 0.01 or above 5; the bounds themselves and null pass", () => {
    const low = quote({ impliedVolatility: 0.0099 });
    const high = quote({ impliedVolatility: 5.01 });
    const atLow = quote({ impliedVolatility: 0.01 });
    const atHigh = quote({ impliedVolatility: 5 });
    const none = quote({ impliedVolatility: null });
    expect(flagged(ivOutOfRange, [low, high, atLow, atHigh, none])).toEqual([
      low.contractId,
      high.contractId,
    ]);
  });

  it("takes its bounds from the configuration", () => {
    const q = quote({ impliedVolatility: 2 });
    expect(flagged(ivOutOfRange, [q], settings({ rules: { iv_out_of_range: { max: 1.5 } } }))).toEqual([
      q.contractId,
    ]);
  });
});

describe("delta_out_of_range", () => {
  it("holds a call to 0..1 and a put to -1..0, bounds included", () => {
    const callAbove = quote({ right: "C", delta: 1.0001 });
    const callNegative = quote({ right: "C", delta: -0.01 });
    const putPositive = quote({ right: "P", delta: 0.3 });
    const putBelow = quote({ right: "P", delta: -1.01 });
    const edges = [
      quote({ right: "C", delta: 0 }),
      quote({ right: "C", delta: 1 }),
      quote({ right: "P", delta: -1 }),
      quote({ right: "P", delta: 0 }),
      quote({ right: "P", delta: null }),
    ];
    expect(flagged(deltaOutOfRange, [callAbove, callNegative, putPositive, putBelow, ...edges])).toEqual([
      callAbove.contractId,
      callNegative.contractId,
      putPositive.contractId,
      putBelow.contractId,
    ]);
    const [finding] = deltaOutOfRange.check(input({ quotes: [putPositive] }), settings());
    expect(finding!.message).toContain("delta 0.3 outside -1..0 for a put");
  });

  it("tolerates the configured overshoot", () => {
    const q = quote({ right: "C", delta: 1.005 });
    expect(
      flagged(deltaOutOfRange, [q], settings({ rules: { delta_out_of_range: { threshold: 0.01 } } })),
    ).toEqual([]);
  });
});

describe("negative_greeks", () => {
  it("flags a negative gamma or vega; zero and null pass", () => {
    const gamma = quote({ gamma: -0.000001 });
    const vega = quote({ vega: -0.0001 });
    const zero = quote({ gamma: 0, vega: 0 });
    const none = quote({ gamma: null, vega: null });
    expect(flagged(negativeGreeks, [gamma, vega, zero, none])).toEqual([gamma.contractId, vega.contractId]);
    const [finding] = negativeGreeks.check(
      input({ quotes: [quote({ gamma: -0.1, vega: -0.2 })] }),
      settings(),
    );
    expect(finding!.message).toMatch(/negative gamma -0.1 and vega -0.2$/);
  });
});
