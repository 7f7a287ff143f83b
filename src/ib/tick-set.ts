/**
 * What one market-data request delivered, keyed by IB tick id, and its reading as a quote.
 * Live/frozen data use the normal tick ids; delayed data (types 3/4) the delayed ones — both are read.
 */
export interface OptionComputation {
  impliedVolatility: number | null;
  delta: number | null;
  optionPrice: number | null;
  pvDividend: number | null;
  gamma: number | null;
  vega: number | null;
  theta: number | null;
  underlyingPrice: number | null;
}

export class TickSet {
  readonly prices = new Map<number, number>();
  readonly sizes = new Map<number, number>();
  readonly generics = new Map<number, number>();
  readonly strings = new Map<number, string>();
  readonly computations = new Map<number, OptionComputation>();
  /** What the gateway says it is delivering (MARKET_DATA_TYPE), 1–4. */
  marketDataType: number | undefined;
}

export const TICK = {
  bidSize: [0, 69],
  bid: [1, 66],
  ask: [2, 67],
  askSize: [3, 70],
  last: [4, 68],
  volume: [8, 74],
  close: [9, 75],
  callOpenInterest: [27],
  putOpenInterest: [28],
  optionHistoricalVolatility: [23],
  optionImpliedVolatility: [24],
  /** Model first: it is IB's own fair value and carries the greeks even without a quote. */
  computation: [13, 83, 12, 82, 10, 80, 11, 81],
} as const;

/** Java's Double.MAX_VALUE / Integer.MAX_VALUE and IB's -1/-2 "not computed" values mean "unset". */
export function cleanNumber(
  value: number | undefined | null,
  sentinels: readonly number[] = [],
): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  if (Math.abs(value) >= 1.7e308 || value === 2147483647) return null;
  if (sentinels.includes(value)) return null;
  return value;
}

/** A price: -1 is IB's "no quote". Zero is a real price (a zero bid). */
export function cleanPrice(value: number | undefined | null): number | null {
  const cleaned = cleanNumber(value);
  return cleaned === null || cleaned < 0 ? null : cleaned;
}

export function cleanSize(value: number | undefined | null): number | null {
  const cleaned = cleanNumber(value);
  return cleaned === null || cleaned < 0 ? null : Math.round(cleaned);
}

export function cleanComputation(raw: {
  impliedVolatility?: number;
  delta?: number;
  optPrice?: number;
  pvDividend?: number;
  gamma?: number;
  vega?: number;
  theta?: number;
  undPrice?: number;
}): OptionComputation {
  return {
    impliedVolatility: positiveOrNull(cleanNumber(raw.impliedVolatility, [-1])),
    delta: cleanNumber(raw.delta, [-2]),
    optionPrice: cleanPrice(cleanNumber(raw.optPrice, [-1])),
    pvDividend: cleanNumber(raw.pvDividend, [-1]),
    gamma: cleanNumber(raw.gamma, [-2]),
    vega: cleanNumber(raw.vega, [-2]),
    theta: cleanNumber(raw.theta, [-2]),
    underlyingPrice: positiveOrNull(cleanNumber(raw.undPrice, [-1])),
  };
}

function positiveOrNull(value: number | null): number | null {
  return value !== null && value > 0 ? value : null;
}

function first<T>(map: ReadonlyMap<number, T>, ids: readonly number[]): T | undefined {
  for (const id of ids) {
    const value = map.get(id);
    if (value !== undefined) return value;
  }
  return undefined;
}

export interface QuoteFields {
  bid: number | null;
  ask: number | null;
  bidSize: number | null;
  askSize: number | null;
  last: number | null;
  close: number | null;
  volume: number | null;
  openInterest: number | null;
  computation: OptionComputation | null;
  optionImpliedVolatility: number | null;
  optionHistoricalVolatility: number | null;
  marketDataType: number | null;
}

export function readQuote(ticks: TickSet): QuoteFields {
  const bid = cleanPrice(first(ticks.prices, TICK.bid));
  const ask = cleanPrice(first(ticks.prices, TICK.ask));
  // IB sends size 0 with a -1 ("no quote") price; a size without a price is not a size.
  const bidSize = bid === null ? null : cleanSize(first(ticks.sizes, TICK.bidSize));
  const askSize = ask === null ? null : cleanSize(first(ticks.sizes, TICK.askSize));
  const callOi = first(ticks.sizes, TICK.callOpenInterest);
  const putOi = first(ticks.sizes, TICK.putOpenInterest);
  return {
    bid,
    ask,
    bidSize,
    askSize,
    last: cleanPrice(first(ticks.prices, TICK.last)),
    close: cleanPrice(first(ticks.prices, TICK.close)),
    volume: cleanSize(first(ticks.sizes, TICK.volume)),
    openInterest: cleanSize(callOi ?? putOi),
    computation: first(ticks.computations, TICK.computation) ?? null,
    optionImpliedVolatility: positiveOrNull(cleanNumber(ticks.generics.get(24))),
    optionHistoricalVolatility: positiveOrNull(cleanNumber(ticks.generics.get(23))),
    marketDataType: ticks.marketDataType ?? null,
  };
}

export function hasAny(
  ticks: TickSet,
  ids: readonly number[],
  map: "prices" | "sizes" | "computations",
): boolean {
  const source: ReadonlyMap<number, unknown> = ticks[map];
  return ids.some((id) => source.has(id));
}
