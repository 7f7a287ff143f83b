import { describe, expect, it } from "vitest";
import { enrichGreeks, midPrice, type EnrichInput } from "../../src/collect/enrich.ts";
import { americanGreeks } from "../../src/pricing/american.ts";
import { bsGreeks } from "../../src/pricing/black-scholes.ts";

const market = { spot: 100, strike: 105, timeYears: 30 / 365, rate: 0.04, dividendYield: 0.012 };
const model = (volatility: number) => bsGreeks({ right: "C", ...market, volatility });

/** A European call quoted around its model price at σ = 30 %, no spread limit. */
function input(overrides: Partial<EnrichInput> = {}): EnrichInput {
  const fair = model(0.3).price;
  return {
    right: "C",
    strike: market.strike,
    quote: { bid: fair - 0.05, ask: fair + 0.05, last: fair, close: fair, computation: null },
    underlyingPrice: market.spot,
    timeYears: market.timeYears,
    rate: market.rate,
    dividendYield: market.dividendYield,
    exercise: "european",
    maxRelativeSpread: null,
    ...overrides,
  };
}

const ibComputation = { impliedVolatility: 0.31, delta: 0.33, gamma: 0.045, theta: -0.061, vega: 0.104 };

describe("enrichGreeks", () => {
  it("keeps IB's greeks and takes only rho from the model at IB's IV", () => {
    const base = input();
    const enriched = enrichGreeks({ ...base, quote: { ...base.quote, computation: ibComputation } });
    expect(enriched).toMatchObject({
      ...ibComputation,
      greeksSource: "ib",
      filledFromModel: [],
      ivFlag: null,
    });
    expect(enriched.rho).toBeCloseTo(model(0.31).rho, 12);
  });

  it("computes everything from the mid when IB sent no computation", () => {
    const enriched = enrichGreeks(input());
    expect(enriched.greeksSource).toBe("bs");
    expect(enriched.impliedVolatility).toBeCloseTo(0.3, 9);
    const expected = model(enriched.impliedVolatility!);
    expect(enriched).toMatchObject({
      delta: expected.delta,
      gamma: expected.gamma,
      theta: expected.theta,
      vega: expected.vega,
      rho: expected.rho,
    });
    expect(enriched.filledFromModel).toEqual(["impliedVolatility", "delta", "gamma", "theta", "vega"]);
  });

  it("fills only the missing greeks, at IB's IV when IB gave one", () => {
    const base = input();
    const computation = { ...ibComputation, gamma: null, vega: null };
    const enriched = enrichGreeks({ ...base, quote: { ...base.quote, computation } });
    expect(enriched.greeksSource).toBe("bs");
    expect(enriched.delta).toBe(0.33);
    expect(enriched.gamma).toBe(model(0.31).gamma);
    expect(enriched.vega).toBe(model(0.31).vega);
    expect(enriched.filledFromModel).toEqual(["gamma", "vega"]);
  });

  it("solves the IV from the mid when IB gave greeks but no IV", () => {
    const base = input();
    const computation = { ...ibComputation, impliedVolatility: null };
    const enriched = enrichGreeks({ ...base, quote: { ...base.quote, computation } });
    expect(enriched.impliedVolatility).toBeCloseTo(0.3, 9);
    expect(enriched.delta).toBe(0.33);
    expect(enriched.greeksSource).toBe("bs");
    expect(enriched.filledFromModel).toEqual(["impliedVolatility"]);
  });

  it("treats IB leftovers that cannot be greeks as missing", () => {
    const base = input();
    const computation = {
      impliedVolatility: -1,
      delta: -2,
      gamma: Number.NaN,
      theta: Number.POSITIVE_INFINITY,
      vega: -2,
    };
    const enriched = enrichGreeks({ ...base, quote: { ...base.quote, computation } });
    expect(enriched.impliedVolatility).toBeCloseTo(0.3, 9);
    expect(enriched.delta).toBeCloseTo(model(0.3).delta, 8);
    expect(enriched.filledFromModel).toHaveLength(5);
  });

  it("gives null, not NaN, for a zero bid", () => {
    const enriched = enrichGreeks(input({ quote: { bid: 0, ask: 0.05, computation: null } }));
    expect(enriched).toEqual({
      impliedVolatility: null,
      delta: null,
      gamma: null,
      theta: null,
      vega: null,
      rho: null,
      greeksSource: null,
      filledFromModel: [],
      ivFlag: null,
    });
  });

  it("gives null for a mid below intrinsic value, and keeps IB's greeks there", () => {
    // The 80 call on 100 is worth at least ~20.1; a 19.90/20.00 market has no implied volatility.
    const belowIntrinsic = input({ strike: 80, quote: { bid: 19.9, ask: 20.0, computation: null } });
    expect(enrichGreeks(belowIntrinsic)).toMatchObject({
      impliedVolatility: null,
      delta: null,
      greeksSource: null,
      ivFlag: "below_intrinsic",
    });
    const withIb = enrichGreeks({
      ...belowIntrinsic,
      quote: { bid: 19.9, ask: 20.0, computation: { ...ibComputation, impliedVolatility: null } },
    });
    expect(withIb.delta).toBe(0.33);
    expect(withIb.rho).toBeNull();
    expect(withIb.impliedVolatility).toBeNull();
    expect(withIb.greeksSource).toBe("ib");
  });

  it("uses IB's underlying price when the snapshot has none, and gives nulls when neither exists", () => {
    const base = input();
    const withIbSpot = enrichGreeks({
      ...base,
      underlyingPrice: null,
      quote: {
        ...base.quote,
        computation: { ...ibComputation, impliedVolatility: null, underlyingPrice: 100 },
      },
    });
    expect(withIbSpot.impliedVolatility).toBeCloseTo(0.3, 9);
    const without = enrichGreeks({ ...base, underlyingPrice: null });
    expect(without.impliedVolatility).toBeNull();
    expect(without.rho).toBeNull();
  });

  it("handles an expired option and a NaN time without NaN", () => {
    const base = input();
    const expired = enrichGreeks({
      ...base,
      timeYears: -0.001,
      quote: { ...base.quote, computation: ibComputation },
    });
    expect(expired.rho).toBe(0);
    expect(enrichGreeks({ ...base, timeYears: 0 }).impliedVolatility).toBeNull();
    const nan = enrichGreeks({ ...base, timeYears: Number.NaN });
    for (const value of [nan.impliedVolatility, nan.delta, nan.rho]) expect(value).toBeNull();
  });

  it("prices puts on the put side", () => {
    const putModel = bsGreeks({ right: "P", ...market, volatility: 0.45 });
    const enriched = enrichGreeks(
      input({
        right: "P",
        quote: { bid: putModel.price - 0.02, ask: putModel.price + 0.02, computation: null },
      }),
    );
    expect(enriched.impliedVolatility).toBeCloseTo(0.45, 9);
    expect(enriched.delta).toBeLessThan(0);
    expect(enriched.rho).toBeLessThan(0);
  });
});

describe("enrichGreeks with the American model", () => {
  // A deep in-the-money put on a $250 stock: it can be exercised now for 350.
  const put = { spot: 250, strike: 600, timeYears: 0.5, rate: 0.045, dividendYield: 0 };
  const american = (volatility: number) => americanGreeks({ right: "P", ...put, volatility });
  const quoted = (bid: number, ask: number, overrides: Partial<EnrichInput> = {}): EnrichInput => ({
    right: "P",
    strike: put.strike,
    quote: { bid, ask, computation: null },
    underlyingPrice: put.spot,
    timeYears: put.timeYears,
    rate: put.rate,
    dividendYield: put.dividendYield,
    exercise: "american",
    maxRelativeSpread: 0.5,
    ...overrides,
  });

  it("fills IV and greeks from the American model and says so", () => {
    const fair = american(0.79).price;
    const enriched = enrichGreeks(quoted(fair - 0.05, fair + 0.05));
    expect(enriched.greeksSource).toBe("amer");
    expect(enriched.ivFlag).toBeNull();
    expect(enriched.impliedVolatility).toBeCloseTo(0.79, 6);
    const expected = american(enriched.impliedVolatility!);
    expect(enriched).toMatchObject({
      delta: expected.delta,
      gamma: expected.gamma,
      theta: expected.theta,
      vega: expected.vega,
      rho: expected.rho,
    });
    // The same quote read as European: a far higher, meaningless volatility.
    const european = enrichGreeks(quoted(fair - 0.05, fair + 0.05, { exercise: "european" }));
    expect(european.greeksSource).toBe("bs");
    expect(european.impliedVolatility).toBeGreaterThan(0.95);
  });

  it("flags a mid below the exercise value instead of storing an IV", () => {
    // 349.80/350.10: mid 349.95 < 350. European Black–Scholes would solve it (its floor is lower).
    const enriched = enrichGreeks(quoted(349.8, 350.1));
    expect(enriched).toEqual({
      impliedVolatility: null,
      delta: null,
      gamma: null,
      theta: null,
      vega: null,
      rho: null,
      greeksSource: null,
      filledFromModel: [],
      ivFlag: "below_intrinsic",
    });
    expect(enrichGreeks(quoted(349.8, 350.1, { exercise: "european" })).impliedVolatility).toBeGreaterThan(
      0.9,
    );
    // Exactly the exercise value has no time value to explain either.
    expect(enrichGreeks(quoted(349.9, 350.1)).ivFlag).toBe("below_intrinsic");
  });

  it("flags a market wider than pricing.max_relative_spread, and keeps what IB sent", () => {
    const fair = american(0.79).price;
    const wide = quoted(fair * 0.7, fair * 1.3); // (ask − bid) / mid = 0.6
    expect(enrichGreeks(wide)).toMatchObject({ impliedVolatility: null, delta: null, ivFlag: "wide_spread" });
    expect(enrichGreeks({ ...wide, maxRelativeSpread: 0.7 }).ivFlag).toBeNull();
    expect(enrichGreeks({ ...wide, maxRelativeSpread: null }).impliedVolatility).toBeCloseTo(0.79, 2);
    const withIbDelta = enrichGreeks({
      ...wide,
      quote: {
        ...wide.quote,
        computation: { impliedVolatility: null, delta: -0.9, gamma: null, theta: null, vega: null },
      },
    });
    expect(withIbDelta).toMatchObject({
      delta: -0.9,
      gamma: null,
      greeksSource: "ib",
      ivFlag: "wide_spread",
    });
    // IB's own IV is IB's fact: no flag, the model fills the rest at it.
    const withIbIv = enrichGreeks({
      ...wide,
      quote: {
        ...wide.quote,
        computation: { impliedVolatility: 0.79, delta: null, gamma: null, theta: null, vega: null },
      },
    });
    expect(withIbIv).toMatchObject({ impliedVolatility: 0.79, ivFlag: null, greeksSource: "amer" });
    expect(withIbIv.delta).toBeCloseTo(american(0.79).delta, 12);
  });
});

describe("midPrice", () => {
  it("needs a two-sided, uncrossed market", () => {
    expect(midPrice(1.1, 1.3)).toBeCloseTo(1.2, 15);
    expect(midPrice(0, 0.05)).toBeNull();
    expect(midPrice(null, 1)).toBeNull();
    expect(midPrice(1, null)).toBeNull();
    expect(midPrice(1.3, 1.1)).toBeNull();
    expect(midPrice(Number.NaN, 1)).toBeNull();
  });
});
