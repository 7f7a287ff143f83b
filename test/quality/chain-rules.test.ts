import { describe, expect, it } from "vitest";
import { bsPrice } from "../../src/pricing/black-scholes.ts";
import { timeToExpiryYears } from "../../src/pricing/year-fraction.ts";
import { coverageLow } from "../../src/quality/coverage-rule.ts";
import {
  contractCountDrop,
  openInterestMissing,
  staleQuote,
  underlyingJump,
} from "../../src/quality/day-over-day-rules.ts";
import { parityBreachRule } from "../../src/quality/parity-rule.ts";
import { input, PREVIOUS, quote, settings, SNAPSHOT } from "./fixtures.ts";

describe("parity_breach", () => {
  const years = timeToExpiryYears(SNAPSHOT, "2026-04-09");
  const pricing = { rate: 0.04, dividendYield: 0.01 };
  const model = (right: "C" | "P", strike: number) =>
    bsPrice({ right, spot: 100, strike, timeYears: years, volatility: 0.3, ...pricing });
  /** A call and put priced by the model, each quoted `half` either side of it. */
  const pair = (strike: number, half = 0.05, shiftCall = 0) => [
    quote({
      right: "C",
      strike,
      bid: model("C", strike) - half + shiftCall,
      ask: model("C", strike) + half + shiftCall,
    }),
    quote({ right: "P", strike, bid: model("P", strike) - half, ask: model("P", strike) + half }),
  ];

  it("passes pairs priced by the model within their spreads", () => {
    const quotes = [...pair(90), ...pair(100), ...pair(110)];
    expect(parityBreachRule.check(input({ quotes, pricing }), settings())).toEqual([]);
  });

  it("flags a pair whose C − P lies outside both spreads by more than threshold × S, not at the threshold", () => {
    // The synthetic forward's bid is call bid − put ask = parity + shift − 0.1: a breach of shift − 0.1.
    const tolerance = 0.002 * 100;
    const breached = pair(100, 0.05, 0.1 + tolerance + 0.01);
    const atThreshold = pair(105, 0.05, 0.1 + tolerance - 1e-9);
    const findings = parityBreachRule.check(
      input({ quotes: [...breached, ...atThreshold], pricing }),
      settings(),
    );
    expect(findings.map((finding) => finding.contractId)).toEqual([breached[0]!.contractId]);
    expect(findings[0]!.details).toMatchObject({ putContractId: breached[1]!.contractId, spot: 100 });
    expect(findings[0]!.details!.breach as number).toBeCloseTo(tolerance + 0.01, 9);
    expect(findings[0]!.details!.parity as number).toBeCloseTo(
      100 * Math.exp(-pricing.dividendYield * years) - 100 * Math.exp(-pricing.rate * years),
      12,
    );
  });

  it("skips pairs with a leg missing, one-sided or crossed (other rules flag those)", () => {
    const [call, put] = pair(100, 0.05, 5);
    const quotes = [
      { ...call!, bid: null },
      put!,
      ...pair(110, 0.05, 5).map((q, i) => (i === 1 ? { ...q, bid: q.ask! + 0.1 } : q)),
      pair(120, 0.05, 5)[0]!,
    ];
    expect(parityBreachRule.check(input({ quotes, pricing }), settings())).toEqual([]);
  });
});

describe("stale_quote", () => {
  // Yesterday's quotes: a day earlier, the underlying at 99 (today's quotes carry 100).
  const before = (q: ReturnType<typeof quote>, overrides: Partial<ReturnType<typeof quote>> = {}) => ({
    ...q,
    time: new Date(SNAPSHOT.getTime() - 86_400_000),
    underlyingPrice: 99,
    ...overrides,
  });

  it("flags a liquid contract whose bid and ask equal the previous day's to the cent though the day should have moved it", () => {
    const today = quote({ bid: 2.1, ask: 2.2, volume: 100 });
    const moved = quote({ bid: 2.1, ask: 2.21, volume: 5_000 });
    const illiquid = quote({ bid: 2.1, ask: 2.2, volume: 99 });
    const yesterday = [
      before(today, { bid: 2.1004, ask: 2.1996 }),
      before(moved, { ask: 2.2 }),
      before(illiquid),
    ];
    const findings = staleQuote.check(
      input({ quotes: [today, moved, illiquid], previous: { date: PREVIOUS, quotes: yesterday } }),
      settings(),
    );
    expect(findings.map((finding) => finding.contractId)).toEqual([today.contractId]);
    expect(findings[0]!.message).toContain(`unchanged since ${PREVIOUS} with volume 100`);
    // delta 0.52 × 1 + ½ × gamma 0.045 × 1² + theta −0.05 × 1 day.
    expect(findings[0]!.details!.expectedChange).toBeCloseTo(0.4925, 12);
  });

  it("leaves alone a zero bid, a spread wider than half the mid, a quote the day shifts by at most two spreads, and a quiet day", () => {
    // Binary-exact: spreads of 0.25, no gamma or theta, so the expected change is the delta.
    const flat = { volume: 1_000, gamma: 0, theta: 0 };
    const penny = quote({ bid: 0, ask: 0.01, ...flat });
    // Spread 0.5 over a mid of 1.25 (40 %) is liquid; 0.75 over 1.125 (67 %) is not.
    const wideButLiquid = quote({ bid: 1, ask: 1.5, delta: 1, ...flat, gamma: 0.1 });
    const tooWide = quote({ bid: 0.75, ask: 1.5, delta: 1, ...flat, gamma: 0.1 });
    const twoSpreads = quote({ bid: 0.5, ask: 0.75, delta: 0.5, ...flat });
    const beyond = quote({ bid: 0.5, ask: 0.75, delta: 0.5078125, ...flat });
    const quiet = quote({ bid: 1, ask: 1.1, volume: 1_000 });
    const decayed = quote({ bid: 1, ask: 1.1, volume: 1_000, theta: -0.5 });
    const yesterday = [
      before(penny),
      before(wideButLiquid),
      before(tooWide),
      before(twoSpreads),
      before(beyond),
      before(quiet, { underlyingPrice: 100 }),
      before(decayed, { underlyingPrice: 100 }),
    ];
    const findings = staleQuote.check(
      input({
        quotes: [penny, wideButLiquid, tooWide, twoSpreads, beyond, quiet, decayed],
        previous: { date: PREVIOUS, quotes: yesterday },
      }),
      settings(),
    );
    expect(findings.map((finding) => finding.contractId)).toEqual([
      wideButLiquid.contractId,
      beyond.contractId,
      decayed.contractId,
    ]);
  });

  it("is silent without a previous collection, and takes 'liquid' from the threshold", () => {
    const today = quote({ bid: 2.1, ask: 2.2, volume: 50 });
    expect(staleQuote.check(input({ quotes: [today] }), settings())).toEqual([]);
    const previous = { date: PREVIOUS, quotes: [before(today)] };
    expect(staleQuote.check(input({ quotes: [today], previous }), settings())).toEqual([]);
    expect(
      staleQuote.check(
        input({ quotes: [today], previous }),
        settings({ rules: { stale_quote: { threshold: 50 } } }),
      ),
    ).toHaveLength(1);
  });
});

describe("open_interest_missing", () => {
  it("flags a contract without open interest that had some yesterday", () => {
    const lost = quote({ openInterest: null });
    const hadZero = quote({ openInterest: null });
    const never = quote({ openInterest: null });
    const present = quote({ openInterest: 10 });
    const previous = {
      date: PREVIOUS,
      quotes: [
        { ...lost, openInterest: 1 },
        { ...hadZero, openInterest: 0 },
        { ...never, openInterest: null },
        { ...present, openInterest: 12 },
      ],
    };
    const findings = openInterestMissing.check(
      input({ quotes: [lost, hadZero, never, present], previous }),
      settings(),
    );
    expect(findings.map((finding) => finding.contractId)).toEqual([lost.contractId]);
    expect(findings[0]!.details).toEqual({ previousOpenInterest: 1, previousDate: PREVIOUS });
  });
});

describe("contract_count_drop", () => {
  const chain = (n: number) => Array.from({ length: n }, () => quote());
  it("flags a drop of more than 20 % from the previous trading day, not exactly 20 %", () => {
    const previous = { date: PREVIOUS, quotes: chain(100) };
    const dropped = contractCountDrop.check(input({ quotes: chain(79), previous }), settings());
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      contractId: null,
      affected: 21,
      details: { contracts: 79, previousContracts: 100 },
    });
    expect(contractCountDrop.check(input({ quotes: chain(80), previous }), settings())).toEqual([]);
    expect(contractCountDrop.check(input({ quotes: chain(120), previous }), settings())).toEqual([]);
  });

  it("is silent without a previous collection and follows quality.max_contract_drop", () => {
    expect(contractCountDrop.check(input({ quotes: chain(1) }), settings())).toEqual([]);
    const previous = { date: PREVIOUS, quotes: chain(10) };
    expect(
      contractCountDrop.check(input({ quotes: chain(9), previous }), settings({ max_contract_drop: 0.05 })),
    ).toHaveLength(1);
  });
});

describe("underlying_jump", () => {
  // VIX 16 → a daily standard deviation of 0.16 / √252 ≈ 1.008 %; 5 of them ≈ 5.04 %.
  const sigma = 0.16 / Math.sqrt(252);
  const previous = { date: PREVIOUS, quotes: [quote()] };
  const at = (sigmas: number) =>
    input({ previous, underlying: { previousPrice: 100, price: 100 * Math.exp(sigmas * sigma), vix: 16 } });

  it("flags a move beyond 5 VIX-implied daily standard deviations, either way, not at 4.99", () => {
    const up = underlyingJump.check(at(5.01), settings());
    expect(up).toHaveLength(1);
    expect(up[0]!.details!.sigmas as number).toBeCloseTo(5.01, 6);
    expect(up[0]!.affected).toBe(1);
    expect(underlyingJump.check(at(-5.01), settings())).toHaveLength(1);
    expect(underlyingJump.check(at(4.99), settings())).toEqual([]);
    expect(
      underlyingJump.check(at(4.99), settings({ rules: { underlying_jump: { threshold: 4 } } })),
    ).toHaveLength(1);
  });

  it("is silent without a previous price, a VIX level, or a previous collection", () => {
    const big = { previousPrice: 100, price: 150, vix: 16 };
    expect(underlyingJump.check(input({ previous, underlying: { ...big, vix: null } }), settings())).toEqual(
      [],
    );
    expect(
      underlyingJump.check(input({ previous, underlying: { ...big, previousPrice: null } }), settings()),
    ).toEqual([]);
    expect(underlyingJump.check(input({ underlying: big }), settings())).toEqual([]);
  });
});

describe("coverage_low", () => {
  const chain = (n: number) => Array.from({ length: n }, () => quote());
  it("flags fewer than 99 % of the selected contracts stored, not exactly 99 %", () => {
    const low = coverageLow.check(input({ quotes: chain(98), selected: 100, listed: 400 }), settings());
    expect(low).toHaveLength(1);
    expect(low[0]).toMatchObject({
      contractId: null,
      affected: 2,
      details: { stored: 98, selected: 100, coverage: 0.98 },
    });
    expect(low[0]!.message).toContain("98 of 100 selected contracts stored (98.0 %, minimum 99.0 %)");
    expect(coverageLow.check(input({ quotes: chain(99), selected: 100, listed: 400 }), settings())).toEqual(
      [],
    );
    expect(
      coverageLow.check(input({ quotes: chain(80), selected: 100 }), settings({ min_coverage: 0.8 })),
    ).toEqual([]);
  });

  it("counts expiries discovery could not list, and a selection of nothing from a listed chain", () => {
    const unlisted = coverageLow.check(
      input({ quotes: chain(10), selected: 10, unlistedExpiries: ["2026-03-20"] }),
      settings(),
    );
    expect(unlisted[0]!.message).toContain("expiries not listed: 2026-03-20");
    expect(coverageLow.check(input({ quotes: [], selected: 0, listed: 50 }), settings())[0]).toMatchObject({
      details: { coverage: 0 },
    });
    expect(coverageLow.check(input({ quotes: [], selected: 0, listed: 0 }), settings())).toEqual([]);
  });

  it("names the collection in its message", () => {
    const [finding] = coverageLow.check(input({ quotes: [], selected: 4, listed: 4 }), settings());
    expect(finding!.message).toMatch(/^XYZ eod: 0 of 4 selected contracts stored/);
  });
});
