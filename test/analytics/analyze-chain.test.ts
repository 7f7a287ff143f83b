import { describe, expect, it } from "vitest";
import { analyzeChain } from "../../src/analytics/analyze-chain.ts";
import type { ExpiryAnalytics } from "../../src/analytics/analyze-chain.ts";
import { parityBreaches } from "../../src/analytics/breaches.ts";
import { groupByExpiry } from "../../src/analytics/chain.ts";
import { chainRate, fitParity } from "../../src/analytics/parity.ts";
import { timeToExpiryYears } from "../../src/pricing/year-fraction.ts";
import { forwardOf, requote, syntheticChain } from "./synthetic-chain.ts";
import type { SyntheticChainSpec } from "./synthetic-chain.ts";

const BP = 1e-4;
const RATE = 0.04;
const DIVIDEND_YIELD = 0.012;
const ASOF = new Date("2025-01-15T21:00:00Z"); // 16:00 New York
const MONTH = "2025-02-14";
const EXPIRIES = [MONTH, "2025-04-17", "2025-07-18", "2026-01-16"];

function spec(overrides: Partial<SyntheticChainSpec> = {}): SyntheticChainSpec {
  return {
    asOf: ASOF,
    spot: 590,
    rate: RATE,
    dividendYield: DIVIDEND_YIELD,
    expiries: EXPIRIES,
    range: 0.2,
    step: 5,
    quoting: "exact",
    ...overrides,
  };
}

function expiryOf(result: readonly ExpiryAnalytics[], expiry: string): ExpiryAnalytics {
  const found = result.find((entry) => entry.expiry === expiry);
  if (!found) throw new Error(`no analytics for ${expiry}`);
  return found;
}

describe("analyzeChain on a Black–Scholes chain with known r and q", () => {
  const chain = spec();
  const result = analyzeChain(syntheticChain(chain), { exercise: "european" });

  it("recovers r and q to 1 bp and the forward S·e^{(r−q)T} for every expiry", () => {
    expect(result.map((entry) => entry.expiry)).toEqual(EXPIRIES);
    for (const entry of result) {
      expect(entry.years).toBeCloseTo(timeToExpiryYears(ASOF, entry.expiry), 12);
      expect(Math.abs(entry.fit.impliedRate! - RATE)).toBeLessThan(BP);
      expect(Math.abs(entry.fit.impliedDividendYield! - DIVIDEND_YIELD)).toBeLessThan(BP);
      // 1 bp of rate over T years moves the forward by F·1e-4·T: hold it to a tenth of that.
      expect(Math.abs(entry.fit.forward! - forwardOf(chain, entry.expiry))).toBeLessThan(
        forwardOf(chain, entry.expiry) * 1e-5 * entry.years,
      );
      expect(entry.fit.discountFactor).toBeCloseTo(Math.exp(-RATE * entry.years), 9);
      expect(entry.fit.strikesConsidered).toBe(20);
      expect(entry.fit.strikesUsed).toBe(20);
      expect(entry.fit.excludedStrikes).toEqual([]);
    }
  });

  it("prices every box at mid at r, for adjacent strikes and each standard width", () => {
    const month = expiryOf(result, MONTH);
    expect(month.boxRates.map((box) => box.width)).toEqual(["adjacent", 5, 10, 25, 50, 100]);
    for (const entry of result) {
      for (const box of entry.boxRates) {
        expect(box.pairs).toBeGreaterThan(0);
        expect(Math.abs(box.midRate! - RATE)).toBeLessThan(BP / 100);
        // Crossing the spreads lends below r and borrows above it.
        expect(box.lendRate!).toBeLessThan(RATE);
        expect(box.borrowRate!).toBeGreaterThan(RATE);
        expect(box.bestLendRate!).toBeGreaterThanOrEqual(box.lendRate!);
        expect(box.bestBorrowRate!).toBeLessThanOrEqual(box.borrowRate!);
      }
    }
  });

  it("reports no parity breach on a chain that has none", () => {
    for (const entry of result) expect(entry.parityBreaches).toEqual([]);
  });

  it("stays within 1 bp for half a year and more when quotes are rounded to cents, and says how sure it is", () => {
    const rounded = analyzeChain(syntheticChain(spec({ quoting: "ticks" })), { exercise: "european" });
    for (const entry of rounded) {
      const error = Math.abs(entry.fit.impliedRate! - RATE);
      // The reported standard error is honest: the miss is within three of them…
      expect(error).toBeLessThan(3 * entry.fit.rateStdError!);
      // …and a cent of rounding on ±50 of strikes is below 1 bp of rate once T ≥ 0.5 (measured 0.48 and 0.01 bp).
      if (entry.years >= 0.5) expect(error).toBeLessThan(BP);
      expect(entry.parityBreaches).toEqual([]);
    }
  });
});

describe("the chain's rate, which breaches are priced with", () => {
  it("comes from the long expiries, so a two-day expiry's forward is pinned by the whole chain", () => {
    const chain = spec({ quoting: "ticks", expiries: ["2025-01-17", ...EXPIRIES] });
    const result = analyzeChain(syntheticChain(chain), { exercise: "european" });
    const [twoDays] = result;
    // On its own a two-day expiry knows r only to a percent or so (measured: 146 bp off, 162 bp standard error)…
    expect(twoDays!.fit.rateStdError!).toBeGreaterThan(50 * BP);
    for (const entry of result) {
      // …the chain's rate is the same for every expiry, within 1 bp of r…
      expect(entry.reference!.rate).toBe(result[0]!.reference!.rate);
      expect(Math.abs(entry.reference!.rate! - RATE)).toBeLessThan(BP);
      expect(entry.reference!.discountFactor).toBeCloseTo(
        Math.exp(-entry.reference!.rate! * entry.years),
        14,
      );
      // …and the forward given it is within a cent of S·e^{(r−q)T}, however short the expiry.
      expect(Math.abs(entry.reference!.forward - forwardOf(chain, entry.expiry))).toBeLessThan(0.01);
      expect(entry.parityBreaches).toEqual([]);
    }
  });

  it("weights each expiry's rate by 1 / standard error² and skips expiries without one", () => {
    expect(
      chainRate([
        { impliedRate: 0.05, rateStdError: 0.01 },
        { impliedRate: 0.04, rateStdError: 0.001 },
        { impliedRate: null, rateStdError: null },
        { impliedRate: 0.9, rateStdError: null },
      ]),
    ).toBeCloseTo((0.05 * 1e4 + 0.04 * 1e6) / (1e4 + 1e6), 15);
    expect(chainRate([{ impliedRate: null, rateStdError: null }])).toBeNull();
  });
});

describe("parity breaches", () => {
  const years = timeToExpiryYears(ASOF, MONTH);
  const df = Math.exp(-RATE * years);

  it("finds a planted conversion and a planted reversal with their edges, and only those", () => {
    const chain = spec();
    const forward = forwardOf(chain, MONTH);
    const quotes = syntheticChain(chain);
    // K = 500: the call bid so high that selling it and buying the put beats parity by 0.05 after the spreads.
    requote(quotes, { expiry: MONTH, strike: 500, right: "C" }, (q) => {
      const putAsk = quotes.find((p) => p.expiry === MONTH && p.strike === 500 && p.right === "P")!.ask!;
      const bid = df * (forward - 500) + putAsk + 0.05;
      return { bid: bid, ask: bid + (q.ask! - q.bid!) };
    });
    // K = 620 (inside the fit's strikes: the robust fit must not bend to it): the call ask so low that buying it and selling the put beats parity by 0.08.
    requote(quotes, { expiry: MONTH, strike: 620, right: "C" }, (q) => {
      const putBid = quotes.find((p) => p.expiry === MONTH && p.strike === 620 && p.right === "P")!.bid!;
      const ask = df * (forward - 620) + putBid - 0.08;
      return { bid: ask - (q.ask! - q.bid!), ask: ask };
    });
    const month = expiryOf(analyzeChain(quotes, { exercise: "european" }), MONTH);
    expect(month.parityBreaches!.map((b) => [b.strike, b.kind])).toEqual([
      [500, "conversion"],
      [620, "reversal"],
    ]);
    expect(month.parityBreaches![0]!.edge).toBeCloseTo(0.05, 6);
    expect(month.parityBreaches![1]!.edge).toBeCloseTo(0.08, 6);
    // The other expiries were not touched.
    for (const entry of analyzeChain(quotes, { exercise: "european" }).filter((e) => e.expiry !== MONTH))
      expect(entry.parityBreaches).toEqual([]);
  });

  it("flags an American chain only outside the early-exercise band", () => {
    const chain = spec();
    const forward = forwardOf(chain, MONTH);
    const quotes = syntheticChain(chain);
    const putAsk = (strike: number) =>
      quotes.find((p) => p.expiry === MONTH && p.strike === strike && p.right === "P")!.ask!;
    // K = 500: 0.05 over European parity — inside the American band (whose upper edge is S − K·DF).
    requote(quotes, { expiry: MONTH, strike: 500, right: "C" }, () => {
      const bid = df * (forward - 500) + putAsk(500) + 0.05;
      return { bid: bid, ask: bid + 0.2 };
    });
    // K = 520: 0.05 over the American upper bound.
    requote(quotes, { expiry: MONTH, strike: 520, right: "C" }, () => {
      const bid = chain.spot - df * 520 + putAsk(520) + 0.05;
      return { bid: bid, ask: bid + 0.2 };
    });
    const european = expiryOf(analyzeChain(quotes, { exercise: "european" }), MONTH);
    expect(european.parityBreaches!.map((b) => b.strike)).toEqual([500, 520]);
    const american = expiryOf(analyzeChain(quotes, { exercise: "american" }), MONTH);
    expect(american.parityBreaches!.map((b) => [b.strike, b.kind])).toEqual([[520, "conversion"]]);
    expect(american.parityBreaches![0]!.edge).toBeCloseTo(0.05, 6);
    expect(american.parityBreaches![0]!.bound).toBeCloseTo(chain.spot - df * 520, 6);
  });

  it("measures a European breach from the synthetic forward's bid-ask range: none inside it or at its edges", () => {
    // Binary-exact prices: the synthetic sells at 10 − 5.25 = 4.75 and buys at 10.25 − 4.75 = 5.5; DF = 1, so
    // parity is F − K.
    const strikes = [{ strike: 100, call: { bid: 10, ask: 10.25 }, put: { bid: 4.75, ask: 5.25 } }];
    const at = (forward: number) =>
      parityBreaches(strikes, "european", { discountFactor: 1, forward, underlyingPrice: null }, 0);
    for (const forward of [104.75, 105, 105.5]) expect(at(forward)).toEqual([]);
    expect(at(104.5)!.map((b) => [b.kind, b.edge, b.bound])).toEqual([["conversion", 0.25, 4.5]]);
    expect(at(106)!.map((b) => [b.kind, b.edge, b.bound])).toEqual([["reversal", 0.5, 6]]);
  });

  it("cannot check an American chain without the underlying price (null, not an empty list)", () => {
    const quotes = syntheticChain(spec({ expiries: [MONTH] })).map((q) => ({ ...q, underlyingPrice: null }));
    const [month] = analyzeChain(quotes, { exercise: "american" });
    expect(Math.abs(month!.fit.impliedRate! - RATE)).toBeLessThan(BP);
    expect(month!.fit.impliedDividendYield).toBeNull();
    expect(month!.parityBreaches).toBeNull();
  });
});

describe("the robust parity fit", () => {
  it("ignores a few wild quotes near the money that would drag a plain least-squares fit", () => {
    const quotes = syntheticChain(spec({ expiries: [MONTH] }));
    const wild = [560, 575, 610];
    for (const [i, strike] of wild.entries()) {
      requote(quotes, { expiry: MONTH, strike, right: i === 1 ? "P" : "C" }, (q) => ({
        bid: q.bid! + 1.5 - i,
        ask: q.ask! + 1.5 - i,
      }));
    }
    const [month] = analyzeChain(quotes, { exercise: "european" });
    expect(month!.fit.excludedStrikes).toEqual(wild);
    expect(month!.fit.strikesUsed).toBe(17);
    expect(Math.abs(month!.fit.impliedRate! - RATE)).toBeLessThan(BP);

    // The same points by ordinary least squares miss r by far more than a basis point.
    const chain = groupByExpiry(quotes)[0]!;
    const candidates = chain.strikes.filter((s) => Math.abs(s.strike - 590) <= 50);
    const xs = candidates.map((s) => s.strike);
    const ys = candidates.map((s) => (s.call.bid + s.call.ask - s.put.bid - s.put.ask) / 2);
    const xMean = xs.reduce((a, b) => a + b) / xs.length;
    const yMean = ys.reduce((a, b) => a + b) / ys.length;
    const slope =
      xs.reduce((sum, x, i) => sum + (x - xMean) * (ys[i]! - yMean), 0) /
      xs.reduce((sum, x) => sum + (x - xMean) ** 2, 0);
    const olsRate = -Math.log(-slope) / month!.years;
    expect(Math.abs(olsRate - RATE)).toBeGreaterThan(20 * BP);
  });

  it("fits nothing from fewer than three strikes with both rights two-sided, and says how many it had", () => {
    const quotes = syntheticChain(spec({ expiries: [MONTH] })).filter(
      (q) => q.right === "P" || q.strike === 580 || q.strike === 585,
    );
    const chain = groupByExpiry(quotes)[0]!;
    expect(chain.strikes.map((s) => s.strike)).toEqual([580, 585]);
    const fit = fitParity(chain, timeToExpiryYears(ASOF, MONTH));
    expect(fit).toMatchObject({ forward: null, impliedRate: null, strikesConsidered: 2, strikesUsed: 0 });
    const [month] = analyzeChain(quotes, { exercise: "european" });
    expect(month!.parityBreaches).toBeNull();
  });

  it("leaves out one-sided and crossed quotes", () => {
    const quotes = syntheticChain(spec({ expiries: [MONTH] }));
    requote(quotes, { expiry: MONTH, strike: 590, right: "C" }, (q) => ({
      bid: 0,
      ask: q.ask!,
    }));
    requote(quotes, { expiry: MONTH, strike: 595, right: "P" }, (q) => ({
      bid: q.ask! + 0.1,
      ask: q.ask!,
    }));
    const chain = groupByExpiry(quotes)[0]!;
    expect(chain.strikes.some((s) => s.strike === 590 || s.strike === 595)).toBe(false);
    const [month] = analyzeChain(quotes, { exercise: "european" });
    expect(month!.fit.strikesUsed).toBe(20);
    expect(Math.abs(month!.fit.impliedRate! - RATE)).toBeLessThan(BP);
  });
});
