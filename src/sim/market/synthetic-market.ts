import { addDays, isMonthlyExpiry, type IsoDate, DAY_MS } from "../../calendar/index.ts";
import { etAt as etInstant, etOf as toEt, sessionOn as sessionOf } from "./et-time.ts";
import { impliedVolNear, optionGreeks, optionPrice, type ModelInputs, type Right } from "./option-pricing.ts";
import { decodeOptionConId, occSymbol, optionConId, type OptionContract } from "./option-contracts.ts";
import { expiriesOn, listingOf, strikesOn } from "./listing.ts";
import { uniform } from "./random.ts";
import { atmVol, surfaceVol } from "./surface.ts";
import { RISK_FREE_RATE, UNDERLYINGS, underlyingSpec, type UnderlyingSpec } from "./underlying-specs.ts";
import { DailyWalk } from "./walk.ts";

const YEAR_MS = 365 * DAY_MS;
const MINUTE_MS = 60_000;
const EQUITY_CLOSE_ET = "16:00";

/** One option computation (IB ticks 10–13): a price and the vol and greeks that go with it. */
export interface OptionComputation {
  impliedVol: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  optionPrice: number;
  pvDividend: number;
  underlyingPrice: number;
}

export interface OptionQuote {
  conId: number;
  /** The instant the quote describes, rounded down to the minute (quotes move once a minute). */
  instant: Date;
  underlyingPrice: number;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  last: number;
  lastSize: number;
  /** Previous session's closing mid, as IB's tick 9. */
  close: number;
  /** The day's open/high/low; undefined before the session opened. */
  open?: number;
  high?: number;
  low?: number;
  /** Contracts traded so far in the day. */
  volume: number;
  /** Daily open interest (as of the previous close). */
  openInterest: number;
  model: OptionComputation;
  bidComputation?: OptionComputation;
  askComputation?: OptionComputation;
  lastComputation?: OptionComputation;
}

export interface UnderlyingQuote {
  symbol: string;
  instant: Date;
  /** Undefined for an index (no bid/ask). */
  bid?: number;
  ask?: number;
  bidSize?: number;
  askSize?: number;
  last: number;
  lastSize?: number;
  close: number;
  open?: number;
  high?: number;
  low?: number;
  volume?: number;
  /** 30-day historical and ATM implied volatility (generic ticks 104/106). */
  historicalVol: number;
  impliedVol: number;
}

export interface DailyBar {
  date: IsoDate;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export type BarKind =
  "TRADES" | "MIDPOINT" | "BID_ASK" | "OPTION_IMPLIED_VOLATILITY" | "HISTORICAL_VOLATILITY";

function roundTo(value: number, tick: number): number {
  return Math.round(value / tick) * tick;
}

const POWERS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/** Rounds to a few decimals (what goes on the wire), cheaply: this runs for every field of every quote. */
function fix(value: number, decimals = 4): number {
  const power = POWERS[decimals] ?? 10 ** decimals;
  return Math.round(value * power) / power;
}

function floorMinute(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / MINUTE_MS) * MINUTE_MS);
}

/**
 * The deterministic option market behind the simulated gateway: for a seed, every chain, quote, greek, open
 * interest and bar is a pure function of the date/instant asked about.
 */
export class SyntheticMarket {
  private readonly walks = new Map<string, DailyWalk>();
  private readonly chainCache = new Map<string, OptionContract[]>();
  private readonly strikeCache = new Map<string, number[]>();
  private readonly spotCache = new Map<string, number>();
  private readonly previousCloseCache = new Map<string, number>();
  /** Quotes move once a minute: a stream's refreshes and repeated snapshots reuse the minute's quote. */
  private readonly quoteCache = new Map<string, OptionQuote>();
  /** Model prices (no greeks) for closes, day ranges and bars, by contract and minute. */
  private readonly priceCache = new Map<
    string,
    { price: number; vol: number; spot: number; years: number }
  >();

  constructor(readonly seed: number) {
    for (const spec of UNDERLYINGS) this.walks.set(spec.symbol, new DailyWalk(seed, spec));
  }

  /** SPY, PLTR, TSLA, VIX and the index option underlyings (SPX, XSP, NDX, RUT). */
  underlyings(): readonly UnderlyingSpec[] {
    return UNDERLYINGS;
  }

  underlying(symbol: string): UnderlyingSpec | undefined {
    return underlyingSpec(symbol);
  }

  optionSymbols(): string[] {
    return UNDERLYINGS.filter((spec) => spec.options).map((spec) => spec.symbol);
  }

  private walk(symbol: string): DailyWalk {
    const walk = this.walks.get(symbol);
    if (!walk) throw new Error(`unknown underlying ${symbol}`);
    return walk;
  }

  private spec(symbol: string): UnderlyingSpec {
    const spec = underlyingSpec(symbol);
    if (!spec) throw new Error(`unknown underlying ${symbol}`);
    return spec;
  }

  // ---- listings ---------------------------------------------------------------------------------------------

  /** Expiries listed on date, ascending "YYYY-MM-DD". */
  expirations(symbol: string, date: IsoDate): IsoDate[] {
    return expiriesOn(this.spec(symbol), date);
  }

  /** Strikes that exist for one expiry on date. */
  strikes(symbol: string, expiry: IsoDate, date: IsoDate): number[] {
    const key = `${symbol}|${expiry}|${date}`;
    let strikes = this.strikeCache.get(key);
    if (!strikes) {
      strikes = strikesOn(this.spec(symbol), this.walk(symbol), expiry, date);
      if (this.strikeCache.size > 20_000) this.strikeCache.clear();
      this.strikeCache.set(key, strikes);
    }
    return strikes;
  }

  /**
   * The classes that list an expiry: one for equities; for an index with a PM class, the AM class (SPX) lists
   * only the standard monthlies and the PM class (SPXW) every expiry, the third Fridays too.
   */
  classesOf(spec: UnderlyingSpec, expiry: IsoDate): string[] {
    const options = spec.options;
    if (!options) return [];
    if (options.pmClass === undefined) return [options.tradingClass];
    return isMonthlyExpiry(expiry) ? [options.tradingClass, options.pmClass] : [options.pmClass];
  }

  /** Every contract listed on date: expiries ascending, then classes, strikes, calls before puts. */
  chain(symbol: string, date: IsoDate): OptionContract[] {
    const key = `${symbol}|${date}`;
    const cached = this.chainCache.get(key);
    if (cached) return cached;
    const spec = this.spec(symbol);
    const contracts: OptionContract[] = [];
    if (spec.options) {
      for (const expiry of this.expirations(symbol, date)) {
        for (const tradingClass of this.classesOf(spec, expiry))
          for (const strike of this.strikes(symbol, expiry, date)) {
            for (const right of ["C", "P"] as const)
              contracts.push(this.makeContract(spec, expiry, strike, right, tradingClass));
          }
      }
    }
    if (this.chainCache.size > 64) this.chainCache.clear();
    this.chainCache.set(key, contracts);
    return contracts;
  }

  /**
   * SECURITY_DEFINITION_OPTION_PARAMETER content, one entry per trading class (SPX and SPXW for SPX): its
   * expiries, and strikes as the union over them.
   */
  chainParameters(
    symbol: string,
    date: IsoDate,
  ): { tradingClass: string; multiplier: number; expirations: IsoDate[]; strikes: number[] }[] {
    const spec = this.spec(symbol);
    if (!spec.options) return [];
    const classes = [spec.options.tradingClass, ...(spec.options.pmClass ? [spec.options.pmClass] : [])];
    return classes.flatMap((tradingClass) => {
      const expirations = this.expirations(symbol, date).filter((expiry) =>
        this.classesOf(spec, expiry).includes(tradingClass),
      );
      if (expirations.length === 0) return [];
      const strikes = new Set<number>();
      for (const expiry of expirations)
        for (const strike of this.strikes(symbol, expiry, date)) strikes.add(strike);
      return [{ tradingClass, multiplier: 100, expirations, strikes: [...strikes].sort((a, b) => a - b) }];
    });
  }

  private makeContract(
    spec: UnderlyingSpec,
    expiry: IsoDate,
    strike: number,
    right: Right,
    tradingClass: string = spec.options?.tradingClass ?? spec.symbol,
  ): OptionContract {
    return {
      conId: optionConId(spec.symbol, expiry, strike, right, tradingClass),
      symbol: spec.symbol,
      expiry,
      strike,
      right,
      tradingClass,
      multiplier: 100,
      localSymbol: occSymbol(tradingClass, expiry, strike, right),
    };
  }

  /** The contract behind a conId if it was ever listed (also after expiry); listed on date when date is given. */
  contract(conId: number, date?: IsoDate): OptionContract | undefined {
    const decoded = decodeOptionConId(conId);
    if (!decoded) return undefined;
    const spec = this.spec(decoded.symbol);
    const listing = listingOf(spec, decoded.expiry);
    if (!listing) return undefined;
    const asOf = date ?? decoded.expiry;
    if (date && (date < listing.listed || date > decoded.expiry)) return undefined;
    if (!this.classesOf(spec, decoded.expiry).includes(decoded.tradingClass)) return undefined;
    if (
      !this.strikes(decoded.symbol, decoded.expiry, asOf < decoded.expiry ? asOf : decoded.expiry).includes(
        decoded.strike,
      )
    ) {
      return undefined;
    }
    return this.makeContract(spec, decoded.expiry, decoded.strike, decoded.right, decoded.tradingClass);
  }

  /** Day the expiry of a contract was first listed. */
  listedOn(contract: OptionContract): IsoDate | undefined {
    return listingOf(this.spec(contract.symbol), contract.expiry)?.listed;
  }

  // ---- sessions and the underlying ----------------------------------------------------------------------------

  /** Whether quotes are live at instant: the option session for options, the equity session otherwise. */
  inSession(symbol: string, instant: Date, forOptions: boolean): boolean {
    const { date, time } = toEt(instant);
    const spec = this.spec(symbol);
    const kind =
      forOptions && spec.options?.lateClose ? "broad_etf_option" : forOptions ? "equity_option" : "equity";
    const session = sessionOf(date, spec.secType === "IND" ? "broad_etf_option" : kind);
    return session !== null && time >= session.openEt && time < session.closeEt;
  }

  /** The close of the most recent session that ended at or before instant (for frozen data). */
  lastCloseBefore(symbol: string, instant: Date, forOptions: boolean): Date {
    const spec = this.spec(symbol);
    const kind =
      forOptions && spec.options?.lateClose ? "broad_etf_option" : forOptions ? "equity_option" : "equity";
    let { date } = toEt(instant);
    for (let i = 0; i < 40; i++, date = addDays(date, -1)) {
      const session = sessionOf(date, kind);
      if (!session) continue;
      const close = etInstant(date, session.closeEt);
      if (close.getTime() <= instant.getTime()) return new Date(close.getTime() - MINUTE_MS);
    }
    return instant;
  }

  /** Underlying price at instant (constant within a minute; previous close outside the session). */
  spot(symbol: string, instant: Date): number {
    const minute = Math.floor(instant.getTime() / MINUTE_MS);
    const key = `${symbol}|${minute}`;
    const cached = this.spotCache.get(key);
    if (cached !== undefined) return cached;
    if (this.spotCache.size > 200_000) this.spotCache.clear();
    const value = this.computeSpot(symbol, new Date(minute * MINUTE_MS));
    this.spotCache.set(key, value);
    return value;
  }

  private computeSpot(symbol: string, instant: Date): number {
    if (symbol === "VIX") return this.vixLevel(floorMinute(instant));
    const walk = this.walk(symbol);
    const at = floorMinute(instant);
    const { date } = toEt(at);
    const index = walk.indexOf(date);
    if (walk.dayAt(index) !== date) return walk.closeAt(index);
    const fraction = this.sessionFraction(date, at);
    if (fraction < 0) return walk.closeAt(index - 1);
    return walk.intraday(index, fraction);
  }

  /** Fraction of the equity session elapsed at instant: <0 before the open, 1 after the close. */
  private sessionFraction(date: IsoDate, instant: Date): number {
    const session = sessionOf(date, "equity");
    if (!session) return 1;
    const open = etInstant(date, session.openEt).getTime();
    const close = etInstant(
      date,
      session.closeEt < EQUITY_CLOSE_ET ? session.closeEt : EQUITY_CLOSE_ET,
    ).getTime();
    if (instant.getTime() < open) return -1;
    return Math.min(1, (instant.getTime() - open) / (close - open));
  }

  /** VIX: 30-day SPY ATM vol in points, drifting from yesterday's level to today's over the session. */
  private vixLevel(instant: Date): number {
    const spy = this.spec("SPY");
    const walk = this.walk("SPY");
    const { date } = toEt(instant);
    const index = walk.indexOf(date);
    const levelAt = (i: number) => 100 * 1.12 * atmVol(spy, 30 / 365, walk.regimeOn(walk.dayAt(i)));
    if (walk.dayAt(index) !== date) return fix(levelAt(index), 2);
    const fraction = this.sessionFraction(date, instant);
    if (fraction < 0) return fix(levelAt(index - 1), 2);
    return fix(levelAt(index - 1) + (levelAt(index) - levelAt(index - 1)) * fraction, 2);
  }

  underlyingQuote(symbol: string, instant: Date): UnderlyingQuote {
    const spec = this.spec(symbol);
    const at = floorMinute(instant);
    const { date } = toEt(at);
    const walk = this.walk(symbol === "VIX" ? "SPY" : symbol);
    const index = walk.indexOf(date);
    const tradingToday = walk.dayAt(index) === date;
    const fraction = tradingToday ? this.sessionFraction(date, at) : 1;
    const last = fix(this.spot(symbol, at), 2);
    const previousDay = tradingToday ? walk.dayAt(index - 1) : walk.dayAt(index - 1);
    const closeInstant = (day: IsoDate) =>
      etInstant(day, sessionOf(day, "equity")?.closeEt ?? EQUITY_CLOSE_ET);
    const close = fix(
      this.spot(
        symbol,
        new Date(closeInstant(tradingToday ? previousDay : walk.dayAt(index - 1)).getTime() + 1),
      ),
      2,
    );
    const dayRange = fraction >= 0 && tradingToday ? this.underlyingRange(symbol, date, at) : undefined;
    const historicalVol = fix(walk.historicalVol(index), 4);
    const impliedVolLevel = fix(
      atmVol(this.spec(symbol === "VIX" ? "SPY" : symbol), 30 / 365, walk.regimeOn(date)),
      4,
    );
    const quote: UnderlyingQuote = {
      symbol,
      instant: at,
      last,
      close,
      historicalVol,
      impliedVol: impliedVolLevel,
      ...dayRange,
    };
    if (spec.secType === "IND") return quote;
    const key = `${symbol}|${at.toISOString()}`;
    const tick = 0.01;
    const halfSpread = symbol === "TSLA" ? 0.02 : 0.01;
    quote.bid = fix(roundTo(last - halfSpread, tick), 2);
    quote.ask = fix(roundTo(last + halfSpread, tick), 2);
    quote.bidSize = 100 * (1 + Math.floor(uniform(this.seed, `ubs|${key}`) * 30));
    quote.askSize = 100 * (1 + Math.floor(uniform(this.seed, `uas|${key}`) * 30));
    quote.lastSize = 100 * (1 + Math.floor(uniform(this.seed, `uls|${key}`) * 5));
    quote.volume = Math.round(
      spec.dailyVolume * Math.max(0, fraction) * (0.7 + 0.6 * uniform(this.seed, `uvol|${symbol}|${date}`)),
    );
    return quote;
  }

  private underlyingRange(
    symbol: string,
    date: IsoDate,
    at: Date,
  ): { open: number; high: number; low: number } {
    const session = sessionOf(date, "equity");
    const open = etInstant(date, session?.openEt ?? "09:30").getTime();
    const openPrice = this.spot(symbol, new Date(open));
    let high = openPrice;
    let low = openPrice;
    for (let t = open; t <= at.getTime(); t += 15 * MINUTE_MS) {
      const price = this.spot(symbol, new Date(t));
      high = Math.max(high, price);
      low = Math.min(low, price);
    }
    const now = this.spot(symbol, at);
    return { open: fix(openPrice, 2), high: fix(Math.max(high, now), 2), low: fix(Math.min(low, now), 2) };
  }

  // ---- options ------------------------------------------------------------------------------------------------

  private years(contract: OptionContract, instant: Date): number {
    const expiryClose = etInstant(contract.expiry, EQUITY_CLOSE_ET).getTime();
    return Math.max(0, (expiryClose - instant.getTime()) / YEAR_MS);
  }

  private volFor(
    spec: UnderlyingSpec,
    contract: OptionContract,
    spot: number,
    years: number,
    date: IsoDate,
  ): number {
    const forward = spot * Math.exp((RISK_FREE_RATE - spec.dividendYield) * years);
    return surfaceVol(spec, contract.strike, forward, years, this.walk(spec.symbol).regimeOn(date));
  }

  /** Model value and greeks of a contract at instant (the model computation, IB tick 13). */
  modelComputation(contract: OptionContract, instant: Date): OptionComputation {
    const spec = this.spec(contract.symbol);
    const at = floorMinute(instant);
    const spot = this.spot(contract.symbol, at);
    const years = this.years(contract, at);
    const vol = this.volFor(spec, contract, spot, years, toEt(at).date);
    return this.computation(spec, contract, spot, years, vol);
  }

  /** The model's inputs for a contract, without the volatility. */
  private modelInputs(
    spec: UnderlyingSpec,
    contract: OptionContract,
    spot: number,
    years: number,
  ): Omit<ModelInputs, "vol"> {
    return {
      right: contract.right,
      spot,
      strike: contract.strike,
      years,
      rate: RISK_FREE_RATE,
      dividendYield: spec.dividendYield,
      exercise: spec.options?.exercise ?? "american",
    };
  }

  /** The model price alone (the mid of closes, day ranges and bars), cached by contract and minute. */
  private modelPrice(
    contract: OptionContract,
    instant: Date,
  ): { price: number; vol: number; spot: number; years: number } {
    const at = floorMinute(instant);
    const key = `${contract.conId}|${at.getTime()}`;
    const cached = this.priceCache.get(key);
    if (cached) return cached;
    const spec = this.spec(contract.symbol);
    const spot = this.spot(contract.symbol, at);
    const years = this.years(contract, at);
    const vol = this.volFor(spec, contract, spot, years, toEt(at).date);
    const price = fix(optionPrice({ ...this.modelInputs(spec, contract, spot, years), vol }), 6);
    const value = { price, vol, spot, years };
    if (this.priceCache.size > 200_000) this.priceCache.clear();
    this.priceCache.set(key, value);
    return value;
  }

  private computation(
    spec: UnderlyingSpec,
    contract: OptionContract,
    spot: number,
    years: number,
    vol: number,
  ): OptionComputation {
    const greeks = optionGreeks({ ...this.modelInputs(spec, contract, spot, years), vol });
    return {
      impliedVol: fix(vol, 6),
      delta: fix(greeks.delta, 6),
      gamma: fix(greeks.gamma, 6),
      vega: fix(greeks.vega, 6),
      theta: fix(greeks.theta, 6),
      optionPrice: fix(greeks.price, 6),
      pvDividend: fix(spot * (1 - Math.exp(-spec.dividendYield * years)), 6),
      underlyingPrice: fix(spot, 4),
    };
  }

  private priceTick(symbol: string, price: number): number {
    return symbol === "SPY" || price < 3 ? 0.01 : 0.05;
  }

  /** Bid and ask around the model mid: wider away from the money and with time to expiry. */
  private bidAsk(
    contract: OptionContract,
    mid: number,
    spot: number,
    vol: number,
    years: number,
  ): { bid: number; ask: number } {
    const tick = this.priceTick(contract.symbol, mid);
    const moneyness = Math.min(
      4,
      Math.abs(Math.log(contract.strike / spot)) / (vol * Math.sqrt(Math.max(years, 1 / 365))),
    );
    const width = Math.max(tick, 0.01 + mid * (0.012 + 0.02 * moneyness) * (1 + 0.6 * Math.min(years, 2)));
    const bid = Math.max(0, Math.floor((mid - width / 2) / tick + 1e-9) * tick);
    const ask = Math.max(tick, Math.ceil((mid + width / 2) / tick - 1e-9) * tick);
    return { bid: fix(bid, 2), ask: fix(ask, 2) };
  }

  private previousClose(symbol: string, date: IsoDate): number {
    const key = `${symbol}|${date}`;
    let close = this.previousCloseCache.get(key);
    if (close === undefined) {
      close = this.walk(symbol).closeOn(addDays(date, -1));
      if (this.previousCloseCache.size > 10_000) this.previousCloseCache.clear();
      this.previousCloseCache.set(key, close);
    }
    return close;
  }

  /** Open interest of a contract on date (a daily figure, as of the previous close). */
  openInterest(contract: OptionContract, date: IsoDate): number {
    const spec = this.spec(contract.symbol);
    const listing = listingOf(spec, contract.expiry);
    if (!listing || date < listing.listed || date > contract.expiry) return 0;
    const previousClose = this.previousClose(contract.symbol, date);
    const years = Math.max((Date.parse(contract.expiry) - Date.parse(date)) / YEAR_MS, 1 / 365);
    const vol = atmVol(spec, years, 1);
    const standardized =
      Math.log(contract.strike / previousClose) / (vol * Math.sqrt(Math.max(years, 7 / 365)));
    const nearMoney = Math.exp(-(standardized * standardized) / 2.9) + 0.02;
    const kindWeight = { daily: 0.5, weekly: 1, monthly: 2.5, quarterly: 3, leaps: 2 }[listing.kind];
    const nearExpiry = 1 / (1 + 2 * years);
    const ageDays = (Date.parse(date) - Date.parse(listing.listed)) / DAY_MS;
    const ramp = Math.min(1, 0.05 + ageDays / 20);
    const roundStrike = contract.strike % 10 === 0 ? 1.5 : contract.strike % 5 === 0 ? 1.2 : 1;
    const noise = 0.6 + 0.8 * uniform(this.seed, `oi|${contract.conId}|${date}`);
    return Math.round(
      spec.openInterestScale * nearMoney * kindWeight * nearExpiry * ramp * roundStrike * noise,
    );
  }

  /** Contracts traded on date by instant (full day after the close). */
  volume(contract: OptionContract, instant: Date): number {
    const { date } = toEt(instant);
    const fraction = this.sessionFraction(date, instant);
    if (fraction <= 0 || sessionOf(date, "equity") === null) return 0;
    const years = Math.max((Date.parse(contract.expiry) - Date.parse(date)) / YEAR_MS, 0);
    const daily =
      this.openInterest(contract, date) *
      (0.08 + 1.2 * Math.exp(-years * 52)) *
      (0.5 + uniform(this.seed, `vol|${contract.conId}|${date}`));
    return Math.round(daily * fraction);
  }

  /** The model quote (prices, sizes, OI, volume, IV and greeks) of a conId at instant; undefined if never listed. */
  quote(conId: number, instant: Date): OptionQuote | undefined {
    const contract = this.contract(conId);
    return contract ? this.optionQuote(contract, instant) : undefined;
  }

  /** Everything IB sends for an option at instant (the server decides what is visible for the data type). */
  optionQuote(contract: OptionContract, instant: Date): OptionQuote {
    const key = `${contract.conId}|${floorMinute(instant).getTime()}`;
    const cached = this.quoteCache.get(key);
    if (cached) return cached;
    const quote = this.computeOptionQuote(contract, instant);
    if (this.quoteCache.size > 50_000) this.quoteCache.clear();
    this.quoteCache.set(key, quote);
    return quote;
  }

  private computeOptionQuote(contract: OptionContract, instant: Date): OptionQuote {
    const spec = this.spec(contract.symbol);
    const at = floorMinute(instant);
    const { date } = toEt(at);
    const spot = this.spot(contract.symbol, at);
    const years = this.years(contract, at);
    const vol = this.volFor(spec, contract, spot, years, date);
    const model = this.computation(spec, contract, spot, years, vol);
    const { bid, ask } = this.bidAsk(contract, model.optionPrice, spot, vol, years);
    const key = `${contract.conId}|${at.toISOString()}`;
    const tick = this.priceTick(contract.symbol, model.optionPrice);
    const last = fix(
      Math.min(ask, Math.max(bid, roundTo(bid + (ask - bid) * uniform(this.seed, `last|${key}`), tick))),
      2,
    );
    const nearMoney = Math.exp(-Math.abs(Math.log(contract.strike / spot)) * 10);
    const size = (name: string) =>
      1 + Math.floor(uniform(this.seed, `${name}|${key}`) * (5 + 300 * nearMoney));
    const walk = this.walk(contract.symbol);
    const index = walk.indexOf(date);
    const previousDay = walk.dayAt(walk.dayAt(index) === date ? index - 1 : index);
    const close = fix(roundTo(this.closingMid(contract, previousDay), 0.01), 2);
    const quote: OptionQuote = {
      conId: contract.conId,
      instant: at,
      underlyingPrice: model.underlyingPrice,
      bid,
      ask,
      bidSize: size("bs"),
      askSize: size("as"),
      last,
      lastSize: 1 + Math.floor(uniform(this.seed, `ls|${key}`) * 10),
      close,
      volume: this.volume(contract, at),
      openInterest: this.openInterest(contract, date),
      model,
    };
    const inputs = this.modelInputs(spec, contract, spot, years);
    // IB's bid, ask and last computations: the volatility of that price, with the model's greeks (recomputing
    // the greeks at each volatility would triple the cost of a quote for values the collector does not read).
    const at_ = (price: number): OptionComputation | undefined => {
      const near = { vol, price: model.optionPrice, vega: model.vega };
      const iv = price > 0 && years > 0 ? impliedVolNear(price, inputs, near) : undefined;
      if (iv === undefined) return undefined;
      return { ...model, impliedVol: fix(iv, 6), optionPrice: price };
    };
    quote.bidComputation = at_(bid);
    quote.askComputation = at_(ask);
    quote.lastComputation = at_(last);
    if (walk.dayAt(index) === date && this.sessionFraction(date, at) >= 0) {
      const range = this.optionRange(contract, date, at, {
        price: model.optionPrice,
        vol,
        spot,
        years,
      });
      quote.open = range.open;
      quote.high = range.high;
      quote.low = range.low;
    }
    return quote;
  }

  private closingMid(contract: OptionContract, day: IsoDate): number {
    const close = etInstant(day, sessionOf(day, "equity")?.closeEt ?? EQUITY_CLOSE_ET);
    return this.modelPrice(contract, new Date(close.getTime() - MINUTE_MS)).price;
  }

  /**
   * The day's open/high/low, sampled hourly. Each sample is the European price plus the early-exercise premium
   * of the quote's own minute, floored at the exercise value: the premium moves little within a day, and an
   * American valuation per sample would cost more than the rest of the quote.
   */
  private optionRange(
    contract: OptionContract,
    date: IsoDate,
    at: Date,
    current: { price: number; vol: number; spot: number; years: number },
  ): { open: number; high: number; low: number } {
    const spec = this.spec(contract.symbol);
    const european = (spot: number, years: number, vol: number) =>
      optionPrice({ ...this.modelInputs(spec, contract, spot, years), exercise: "european", vol });
    const premium = current.price - european(current.spot, current.years, current.vol);
    const sign = contract.right === "C" ? 1 : -1;
    const open = etInstant(date, sessionOf(date, "equity")?.openEt ?? "09:30").getTime();
    let high = -Infinity;
    let low = Infinity;
    let first = 0;
    for (let t = open; t <= at.getTime(); t += 60 * MINUTE_MS) {
      const instant = new Date(t);
      const spot = this.spot(contract.symbol, instant);
      const years = this.years(contract, instant);
      const vol = this.volFor(spec, contract, spot, years, date);
      const price = Math.max(sign * (spot - contract.strike), european(spot, years, vol) + premium);
      if (t === open) first = price;
      high = Math.max(high, price);
      low = Math.min(low, price);
    }
    const now = current.price;
    return {
      open: fix(roundTo(first, 0.01), 2),
      high: fix(roundTo(Math.max(high, now), 0.01), 2),
      low: fix(roundTo(Math.min(low, now), 0.01), 2),
    };
  }

  // ---- history ------------------------------------------------------------------------------------------------

  /** Daily bars for an underlying (conId of a stock/index) or an option, over trading days in [from, to]. */
  dailyBars(
    target: { symbol: string; contract?: OptionContract },
    kind: BarKind,
    from: IsoDate,
    to: IsoDate,
  ): DailyBar[] {
    const walk = this.walk(target.symbol === "VIX" ? "SPY" : target.symbol);
    const bars: DailyBar[] = [];
    const first = walk.indexOf(from);
    const last = walk.indexOf(to);
    for (let index = walk.dayAt(first) < from ? first + 1 : first; index <= last; index++) {
      const day = walk.dayAt(index);
      if (target.contract) {
        const listed = this.listedOn(target.contract);
        if ((listed && day < listed) || day > target.contract.expiry) continue;
      }
      bars.push(this.dailyBar(target, kind, day));
    }
    return bars;
  }

  private dailyBar(
    target: { symbol: string; contract?: OptionContract },
    kind: BarKind,
    day: IsoDate,
  ): DailyBar {
    const session = sessionOf(day, "equity");
    const open = etInstant(day, session?.openEt ?? "09:30").getTime();
    const close = etInstant(day, session?.closeEt ?? EQUITY_CLOSE_ET).getTime() - MINUTE_MS;
    const samples: { mid: number; bid: number; ask: number; iv: number }[] = [];
    for (let t = open; t < close + 30 * MINUTE_MS; t += 30 * MINUTE_MS) {
      const instant = new Date(Math.min(t, close));
      if (target.contract) {
        const model = this.modelPrice(target.contract, instant);
        const { bid, ask } = this.bidAsk(target.contract, model.price, model.spot, model.vol, model.years);
        samples.push({ mid: model.price, bid, ask, iv: fix(model.vol, 6) });
      } else {
        const q = this.underlyingQuote(target.symbol, instant);
        samples.push({
          mid: q.last,
          bid: q.bid ?? q.last,
          ask: q.ask ?? q.last,
          iv: kind === "HISTORICAL_VOLATILITY" ? q.historicalVol : q.impliedVol,
        });
      }
    }
    const pick = (value: (s: { mid: number; bid: number; ask: number; iv: number }) => number) =>
      samples.map(value);
    const series =
      kind === "OPTION_IMPLIED_VOLATILITY" || kind === "HISTORICAL_VOLATILITY"
        ? pick((s) => s.iv)
        : kind === "BID_ASK"
          ? null
          : pick((s) => s.mid);
    const volume = target.contract
      ? this.volume(target.contract, new Date(close + MINUTE_MS))
      : Math.round(
          (this.spec(target.symbol).dailyVolume || 0) *
            (0.7 + 0.6 * uniform(this.seed, `uvol|${target.symbol}|${day}`)),
        );
    const decimals =
      series && (kind === "OPTION_IMPLIED_VOLATILITY" || kind === "HISTORICAL_VOLATILITY") ? 6 : 2;
    if (!series) {
      // IB's BID_ASK bars: open = average bid, high = max ask, low = min bid, close = average ask.
      const bids = pick((s) => s.bid);
      const asks = pick((s) => s.ask);
      const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      return {
        date: day,
        open: fix(average(bids), 4),
        high: fix(Math.max(...asks), 2),
        low: fix(Math.min(...bids), 2),
        close: fix(average(asks), 4),
        volume: kind === "TRADES" ? volume : -1,
      };
    }
    return {
      date: day,
      open: fix(series[0] as number, decimals),
      high: fix(Math.max(...series), decimals),
      low: fix(Math.min(...series), decimals),
      close: fix(series.at(-1) as number, decimals),
      volume: kind === "TRADES" ? volume : -1,
    };
  }
}
