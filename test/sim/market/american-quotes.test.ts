import { describe, expect, it } from "vitest";
import { etInstant } from "../../../src/calendar/index.ts";
import { americanPrice } from "../../../src/pricing/american.ts";
import { bsPrice } from "../../../src/pricing/black-scholes.ts";
import { SyntheticMarket } from "../../../src/sim/market/synthetic-market.ts";
import { SIMULATOR_SCHEME } from "../../../src/sim/market/option-pricing.ts";
import { RISK_FREE_RATE, underlyingSpec } from "../../../src/sim/market/underlying-specs.ts";

const DATE = "2026-01-14";

describe("synthetic market: American-style options", () => {
  const market = new SyntheticMarket(3);
  const instant = etInstant(DATE, "11:00");

  it.each(["SPY", "PLTR", "TSLA"])(
    "never quotes an in-the-money %s option's ask below its exercise value, where European pricing would",
    (symbol) => {
      const spot = market.spot(symbol, instant);
      const dividendYield = underlyingSpec(symbol)?.dividendYield ?? 0;
      const inTheMoney = market
        .chain(symbol, DATE)
        .filter((contract) => (contract.right === "P" ? contract.strike > spot : contract.strike < spot));
      expect(inTheMoney.length).toBeGreaterThan(200);
      let europeanBelow = 0;
      for (const contract of inTheMoney) {
        const quote = market.optionQuote(contract, instant);
        const exerciseValue = Math.abs(contract.strike - spot);
        expect(quote.ask, contract.localSymbol).toBeGreaterThanOrEqual(exerciseValue);
        expect(quote.model.optionPrice, contract.localSymbol).toBeGreaterThanOrEqual(exerciseValue - 1e-6);
        const inputs = {
          right: contract.right,
          spot,
          strike: contract.strike,
          timeYears: (etInstant(contract.expiry, "16:00").getTime() - instant.getTime()) / (365 * 86_400_000),
          rate: RISK_FREE_RATE,
          dividendYield,
          volatility: quote.model.impliedVol,
        };
        if (bsPrice(inputs) < exerciseValue - 0.01) europeanBelow++;
      }
      // Deep in-the-money puts, which European Black–Scholes prices below what exercising pays.
      expect(europeanBelow).toBeGreaterThan(10);
    },
  );

  it("quotes around the American model price, and the bid/ask volatilities reprice bid and ask", () => {
    const spot = market.spot("SPY", instant);
    const expiry = market.expirations("SPY", DATE)[12]!;
    const contracts = market
      .chain("SPY", DATE)
      .filter(
        (contract) => contract.expiry === expiry && contract.right === "P" && contract.strike > spot * 1.02,
      );
    expect(contracts.length).toBeGreaterThan(5);
    for (const contract of contracts) {
      const quote = market.optionQuote(contract, instant);
      const inputs = {
        right: contract.right,
        spot: quote.model.underlyingPrice,
        strike: contract.strike,
        timeYears: (etInstant(contract.expiry, "16:00").getTime() - instant.getTime()) / (365 * 86_400_000),
        rate: RISK_FREE_RATE,
        dividendYield: 0.012,
      };
      const model = americanPrice({ ...inputs, volatility: quote.model.impliedVol }, SIMULATOR_SCHEME);
      expect(quote.model.optionPrice).toBeCloseTo(model, 3);
      expect(quote.bid).toBeLessThanOrEqual(quote.model.optionPrice);
      expect(quote.ask).toBeGreaterThanOrEqual(quote.model.optionPrice);
      for (const side of [quote.bidComputation, quote.askComputation]) {
        if (!side) continue;
        const repriced = americanPrice({ ...inputs, volatility: side.impliedVol }, SIMULATOR_SCHEME);
        expect(repriced).toBeCloseTo(side.optionPrice, 3);
      }
    }
  });
});
