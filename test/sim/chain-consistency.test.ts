import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { etInstant } from "../../src/calendar/index.ts";
import type { OptionContract } from "../../src/sim/market/option-contracts.ts";
import { RISK_FREE_RATE, underlyingSpec } from "../../src/sim/market/underlying-specs.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { collectTicks, connect, simulator, type CollectedTicks, type TestClient } from "./helpers.ts";

const TODAY = "2026-01-14";

describe.each(["SPY", "PLTR"])("%s chain consistency as received by the client", (symbol) => {
  let sim: Simulator;
  let client: TestClient;
  let contracts: OptionContract[];
  const received = new Map<number, CollectedTicks>();

  beforeAll(async () => {
    sim = await simulator({ snapshotLatencyMs: 1, rate: Infinity, lines: Infinity, frozenClock: true });
    client = await connect(sim, 41);
    const expiry = sim.market.expirations(symbol, TODAY)[4] as string;
    contracts = sim.market.chain(symbol, TODAY).filter((contract) => contract.expiry === expiry);
    await Promise.all(
      contracts.map(async (contract, index) => {
        const collector = collectTicks(client.api, 1000 + index);
        client.api.reqMktData(1000 + index, { conId: contract.conId, exchange: "SMART" }, "", true, false);
        await collector.ended;
        collector.stop();
        received.set(contract.conId, collector.ticks);
      }),
    );
  });
  afterAll(async () => {
    client.assertNoDecodeErrors();
    client.close();
    await sim.close();
  });

  it("American put-call parity bounds hold at the model and across the quoted spreads", () => {
    // American options with a dividend yield: S·e^{−qT} − K ≤ C − P ≤ S − K·e^{−rT} (European parity's
    // equality loosens by the two early-exercise premia).
    const spec = underlyingSpec(symbol);
    const now = sim.clock.now();
    let checked = 0;
    let apart = 0;
    for (const call of contracts.filter((contract) => contract.right === "C")) {
      const put = contracts.find(
        (contract) => contract.right === "P" && contract.strike === call.strike,
      ) as OptionContract;
      const c = received.get(call.conId) as CollectedTicks;
      const p = received.get(put.conId) as CollectedTicks;
      const spot = c.computations.get(13)?.undPrice as number;
      const years =
        (etInstant(call.expiry, "16:00").getTime() - Math.floor(now.getTime() / 60_000) * 60_000) /
        (365 * 86_400_000);
      const lower = spot * Math.exp(-(spec?.dividendYield ?? 0) * years) - call.strike;
      const upper = spot - call.strike * Math.exp(-RISK_FREE_RATE * years);
      const [cBid, cAsk, pBid, pAsk] = [
        c.prices.get(1),
        c.prices.get(2),
        p.prices.get(1),
        p.prices.get(2),
      ] as number[];
      // No arbitrage across the quotes: buying the call and selling the put never beats the bounds.
      expect((cBid as number) - (pAsk as number)).toBeLessThanOrEqual(upper + 1e-6);
      expect((cAsk as number) - (pBid as number)).toBeGreaterThanOrEqual(lower - 1e-6);
      const modelGap = (c.computations.get(13)?.price as number) - (p.computations.get(13)?.price as number);
      expect(modelGap).toBeGreaterThanOrEqual(lower - 1e-4);
      expect(modelGap).toBeLessThanOrEqual(upper + 1e-4);
      const europeanParity =
        spot * Math.exp(-(spec?.dividendYield ?? 0) * years) -
        call.strike * Math.exp(-RISK_FREE_RATE * years);
      if (Math.abs(modelGap - europeanParity) > 1e-4) apart++;
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // The puts' early-exercise premium moves the gap off European parity somewhere in the chain.
    expect(apart).toBeGreaterThan(0);
  });

  it("calls fall and puts rise with strike; deltas and gammas are sane", () => {
    for (const right of ["C", "P"] as const) {
      const side = contracts
        .filter((contract) => contract.right === right)
        .sort((a, b) => a.strike - b.strike);
      for (let i = 1; i < side.length; i++) {
        const before = received.get((side[i - 1] as OptionContract).conId) as CollectedTicks;
        const after = received.get((side[i] as OptionContract).conId) as CollectedTicks;
        const [priceBefore, priceAfter] = [
          before.computations.get(13)?.price as number,
          after.computations.get(13)?.price as number,
        ];
        const [deltaBefore, deltaAfter] = [
          before.computations.get(13)?.delta as number,
          after.computations.get(13)?.delta as number,
        ];
        if (right === "C") {
          expect(priceAfter).toBeLessThanOrEqual(priceBefore);
          expect(after.prices.get(2) as number).toBeLessThanOrEqual(before.prices.get(2) as number);
          expect(deltaAfter).toBeLessThanOrEqual(deltaBefore);
          expect(deltaAfter).toBeGreaterThanOrEqual(0);
        } else {
          expect(priceAfter).toBeGreaterThanOrEqual(priceBefore);
          expect(after.prices.get(1) as number).toBeGreaterThanOrEqual(before.prices.get(1) as number);
          expect(deltaAfter).toBeLessThanOrEqual(0);
        }
        expect(after.computations.get(13)?.gamma).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it("greeks, IV and quotes equal the model's for every contract", () => {
    const now = sim.clock.now();
    for (const contract of contracts) {
      const ticks = received.get(contract.conId) as CollectedTicks;
      const quote = sim.market.optionQuote(contract, now);
      const model = ticks.computations.get(13);
      expect(model?.iv).toBeCloseTo(quote.model.impliedVol, 6);
      expect(model?.delta).toBeCloseTo(quote.model.delta, 6);
      expect(model?.vega).toBeCloseTo(quote.model.vega, 6);
      expect(model?.theta).toBeCloseTo(quote.model.theta, 6);
      expect(ticks.prices.get(1)).toBe(quote.bid);
      expect(ticks.prices.get(2)).toBe(quote.ask);
      expect(quote.bid).toBeLessThanOrEqual(quote.model.optionPrice);
      expect(quote.ask).toBeGreaterThanOrEqual(quote.model.optionPrice);
    }
  });

  it("spreads widen away from the money; open interest peaks near it", () => {
    const spot = sim.market.spot(symbol, sim.clock.now());
    const calls = contracts.filter((contract) => contract.right === "C");
    const atm = calls.reduce((best, c) =>
      Math.abs(c.strike - spot) < Math.abs(best.strike - spot) ? c : best,
    );
    const far = calls.reduce((best, c) =>
      Math.abs(c.strike - spot) > Math.abs(best.strike - spot) ? c : best,
    );
    const relativeSpread = (contract: OptionContract) => {
      const q = sim.market.optionQuote(contract, sim.clock.now());
      return (q.ask - q.bid) / Math.max(q.model.optionPrice, 0.01);
    };
    expect(relativeSpread(far)).toBeGreaterThan(relativeSpread(atm));
    const oi = (contract: OptionContract) => sim.market.openInterest(contract, TODAY);
    const nearTotal = calls
      .filter((c) => Math.abs(c.strike / spot - 1) < 0.03)
      .reduce((sum, c) => sum + oi(c), 0);
    const farTotal = calls
      .filter((c) => Math.abs(c.strike / spot - 1) > 0.15)
      .reduce((sum, c) => sum + oi(c), 0);
    const nearCount = calls.filter((c) => Math.abs(c.strike / spot - 1) < 0.03).length;
    const farCount = Math.max(1, calls.filter((c) => Math.abs(c.strike / spot - 1) > 0.15).length);
    expect(nearTotal / nearCount).toBeGreaterThan((farTotal / farCount) * 3);
  });
});
