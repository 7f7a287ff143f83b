import { describe, expect, it } from "vitest";
import { enrichGreeks, midPrice, type EnrichInput } from "../../src/collect/enrich.ts";
import { bsGreeks } from "../../src/pricing/black-scholes.ts";

const market = { spot: 100, strike: 105, timeYears: 30 / 365, rate: 0.04, dividendYield: 0.012 };
const model = (volatility: number) => bsGreeks({ right: "C", ...market, volatility });

/** A call quoted around its model price at σ = 30 %. */
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
    ...overrides,
  };
}

const ibComputation = { impliedVolatility: 0.31, delta: 0.33, gamma: 0.045, theta: -0.061, vega: 0.104 };

describe("enrichGreeks", () => {
  it("keeps IB's greeks and takes only rho from the model at IB's IV", () => {
    const base = input();
    const enriched = enrichGreeks({ ...base, quote: { ...base.quote, computation: ibComputation } });
    expect(enriched).toMatchObject({ ...ibComputation, greeksSource: "ib", filledFromModel: [] });
    expect(enriched.rho).toBeCloseTo(model(0.31).rho, 12);
  });

  it("computes everything from the mid when IB sent no computation", () => {
    const enriched = enrichGreeks(input());
    expect(enriched.greeksSource).toBe("model");
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
    expect(enriched.greeksSource).toBe("model");
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
    expect(enriched.greeksSource).toBe("model");
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
      greeksSource: "model",
      filledFromModel: [],
    });
  });

  it("gives null for a mid below intrinsic value, and keeps IB's greeks there", () => {
    // The 80 call on 100 is worth at least ~20.1; a 19.90/20.00 market has no implied volatility.
    const belowIntrinsic = input({ strike: 80, quote: { bid: 19.9, ask: 20.0, computation: null } });
    expect(enrichGreeks(belowIntrinsic).impliedVolatility).toBeNull();
    expect(enrichGreeks(belowIntrinsic).delta).toBeNull();
    const withIb = enrichGreeks({
      ...belowIntrinsic,
      quote: { bid: 19.9, ask: 20.0, computation: { ...ibComputation, impliedVolatility: null } },
    });
    expect(withIb.delta).toBe(0.33);
    expect(withIb.rho).toBeNull();
    expect(withIb.impliedVolatility).toBeNull();
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
