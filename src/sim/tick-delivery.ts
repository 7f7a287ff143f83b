import type { Resolved } from "./contract-lookup.ts";
import { etOf } from "./market/et-time.ts";
import type { OptionComputation, SyntheticMarket } from "./market/synthetic-market.ts";
import type { Field } from "./protocol/framing.ts";
import { GENERIC_TICK, OUT, TICK } from "./protocol/ids.ts";

/** What a market-data request actually delivers, decided from the requested type, the subscription and the hour. */
export interface Delivery {
  /** MARKET_DATA_TYPE sent to the client: 1 live, 2 frozen, 3 delayed, 4 delayed-frozen. */
  marketDataType: 1 | 2 | 3 | 4;
  delayed: boolean;
  /** live: quotes at `instant`; closed: after hours on live data (bid/ask −1, no greeks); frozen: values at the last close. */
  state: "live" | "closed" | "frozen";
  instant: Date;
  /** false: option computations go out as IB's "not computed" values (fault greeklessOptionSymbols). */
  optionComputations: boolean;
}

const NOT_COMPUTED: OptionComputation = {
  impliedVol: -1,
  delta: -2,
  optionPrice: -1,
  pvDividend: -1,
  gamma: -2,
  vega: -2,
  theta: -2,
  underlyingPrice: -1,
};

function id(tick: readonly [number, number], delayed: boolean): number {
  return delayed ? tick[1] : tick[0];
}

function price(
  reqId: number,
  tick: readonly [number, number],
  delayed: boolean,
  value: number,
  size: number | string = 0,
): Field[] {
  return [OUT.TICK_PRICE, 6, reqId, id(tick, delayed), value, size, 0];
}

function size(reqId: number, tickId: number, value: number): Field[] {
  return [OUT.TICK_SIZE, 6, reqId, tickId, value];
}

function computation(reqId: number, tickId: number, value: OptionComputation | undefined): Field[] {
  const c = value ?? NOT_COMPUTED;
  return [
    OUT.TICK_OPTION_COMPUTATION,
    reqId,
    tickId,
    1,
    c.impliedVol,
    c.delta,
    c.optionPrice,
    c.pvDividend,
    c.gamma,
    c.vega,
    c.theta,
    c.underlyingPrice,
  ];
}

/**
 * The tick messages of one market-data answer (a snapshot, or the initial/refreshed state of a stream).
 * `crossed` (a fault) swaps an option's bid and ask.
 */
export function tickMessages(
  reqId: number,
  target: Resolved,
  market: SyntheticMarket,
  delivery: Delivery,
  generic: ReadonlySet<string>,
  crossed = false,
): Field[][] {
  const delayed = delivery.delayed;
  const closed = delivery.state === "closed";
  const messages: Field[][] = [];
  const timestamp = Math.floor(delivery.instant.getTime() / 1000) - 60;
  messages.push([OUT.TICK_STRING, 6, reqId, id(TICK.LAST_TIMESTAMP, delayed), timestamp]);
  const quotePair = (
    bid: number | undefined,
    bidSize: number | undefined,
    ask: number | undefined,
    askSize: number | undefined,
  ) => {
    if (bid === undefined || ask === undefined) return;
    const b = closed ? -1 : bid;
    const a = closed ? -1 : ask;
    const bs = closed ? 0 : (bidSize ?? 0);
    const as = closed ? 0 : (askSize ?? 0);
    messages.push(price(reqId, TICK.BID, delayed, b, bs), size(reqId, id(TICK.BID_SIZE, delayed), bs));
    messages.push(price(reqId, TICK.ASK, delayed, a, as), size(reqId, id(TICK.ASK_SIZE, delayed), as));
  };
  if (target.kind === "option") {
    const contract = target.contract;
    const quote = market.optionQuote(contract, delivery.instant);
    if (crossed) quotePair(quote.ask, quote.askSize, quote.bid, quote.bidSize);
    else quotePair(quote.bid, quote.bidSize, quote.ask, quote.askSize);
    messages.push(
      price(reqId, TICK.LAST, delayed, quote.last, quote.lastSize),
      size(reqId, id(TICK.LAST_SIZE, delayed), quote.lastSize),
    );
    messages.push(size(reqId, id(TICK.VOLUME, delayed), quote.volume));
    messages.push(price(reqId, TICK.CLOSE, delayed, quote.close));
    if (quote.high !== undefined) messages.push(price(reqId, TICK.HIGH, delayed, quote.high));
    if (quote.low !== undefined) messages.push(price(reqId, TICK.LOW, delayed, quote.low));
    if (quote.open !== undefined) messages.push(price(reqId, TICK.OPEN, delayed, quote.open));
    if (!closed) {
      const computed = delivery.optionComputations;
      messages.push(
        computation(reqId, id(TICK.BID_OPTION, delayed), computed ? quote.bidComputation : undefined),
      );
      messages.push(
        computation(reqId, id(TICK.ASK_OPTION, delayed), computed ? quote.askComputation : undefined),
      );
      messages.push(
        computation(reqId, id(TICK.LAST_OPTION, delayed), computed ? quote.lastComputation : undefined),
      );
      messages.push(computation(reqId, id(TICK.MODEL_OPTION, delayed), computed ? quote.model : undefined));
    }
    const isCall = contract.right === "C";
    if (generic.has("101"))
      messages.push(
        size(
          reqId,
          isCall ? GENERIC_TICK.OPTION_CALL_OPEN_INTEREST : GENERIC_TICK.OPTION_PUT_OPEN_INTEREST,
          quote.openInterest,
        ),
      );
    if (generic.has("100"))
      messages.push(
        size(reqId, isCall ? GENERIC_TICK.OPTION_CALL_VOLUME : GENERIC_TICK.OPTION_PUT_VOLUME, quote.volume),
      );
    return messages;
  }
  const spec = target.spec;
  const quote = market.underlyingQuote(spec.symbol, delivery.instant);
  quotePair(quote.bid, quote.bidSize, quote.ask, quote.askSize);
  messages.push(price(reqId, TICK.LAST, delayed, quote.last, quote.lastSize ?? 0));
  if (quote.lastSize !== undefined) messages.push(size(reqId, id(TICK.LAST_SIZE, delayed), quote.lastSize));
  if (quote.volume !== undefined)
    messages.push(size(reqId, id(TICK.VOLUME, delayed), Math.round(quote.volume / 100)));
  messages.push(price(reqId, TICK.CLOSE, delayed, quote.close));
  if (quote.high !== undefined) messages.push(price(reqId, TICK.HIGH, delayed, quote.high));
  if (quote.low !== undefined) messages.push(price(reqId, TICK.LOW, delayed, quote.low));
  if (quote.open !== undefined) messages.push(price(reqId, TICK.OPEN, delayed, quote.open));
  if (spec.options && (generic.has("100") || generic.has("101"))) {
    const totals = chainTotals(market, spec.symbol, delivery.instant);
    if (generic.has("100"))
      messages.push(
        size(reqId, GENERIC_TICK.OPTION_CALL_VOLUME, totals.callVolume),
        size(reqId, GENERIC_TICK.OPTION_PUT_VOLUME, totals.putVolume),
      );
    if (generic.has("101"))
      messages.push(
        size(reqId, GENERIC_TICK.OPTION_CALL_OPEN_INTEREST, totals.callOpenInterest),
        size(reqId, GENERIC_TICK.OPTION_PUT_OPEN_INTEREST, totals.putOpenInterest),
      );
  }
  if (generic.has("104"))
    messages.push([OUT.TICK_GENERIC, 6, reqId, GENERIC_TICK.OPTION_HISTORICAL_VOL, quote.historicalVol]);
  if (generic.has("106"))
    messages.push([OUT.TICK_GENERIC, 6, reqId, GENERIC_TICK.OPTION_IMPLIED_VOL, quote.impliedVol]);
  return messages;
}

function chainTotals(market: SyntheticMarket, symbol: string, instant: Date) {
  const { date } = etOf(instant);
  const totals = { callVolume: 0, putVolume: 0, callOpenInterest: 0, putOpenInterest: 0 };
  for (const contract of market.chain(symbol, date)) {
    const oi = market.openInterest(contract, date);
    const volume = market.volume(contract, instant);
    if (contract.right === "C") {
      totals.callOpenInterest += oi;
      totals.callVolume += volume;
    } else {
      totals.putOpenInterest += oi;
      totals.putVolume += volume;
    }
  }
  return totals;
}
