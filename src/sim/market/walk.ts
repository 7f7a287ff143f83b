import { isTradingDay, nextTradingDay, previousTradingDay, type IsoDate } from "../../calendar/index.ts";
import { gaussian, uniform } from "./random.ts";
import type { UnderlyingSpec } from "./underlying-specs.ts";

/** The first simulated trading day; earlier dates read as this one. */
export const WALK_EPOCH: IsoDate = "2022-01-03";

/** Daily mean reversion of log price (and of the volatility regime) towards its reference, so any date is plausible. */
const PRICE_REVERSION = 0.01;
const REGIME_REVERSION = 0.05;
const REGIME_DAILY_SHOCK = 0.06;

/**
 * A seeded, mean-reverting random walk of daily closes and of a volatility regime (a multiplier of implied vols),
 * one step per trading day from WALK_EPOCH, extended lazily as later dates are asked for.
 */
export class DailyWalk {
  private readonly days: IsoDate[] = [];
  private readonly indexByDay = new Map<IsoDate, number>();
  private readonly logCloses: number[] = [];
  private readonly regimes: number[] = [];

  constructor(
    private readonly seed: number,
    private readonly spec: UnderlyingSpec,
  ) {
    this.push(WALK_EPOCH, Math.log(spec.referencePrice), 0);
  }

  private push(day: IsoDate, logClose: number, regime: number): void {
    this.indexByDay.set(day, this.days.length);
    this.days.push(day);
    this.logCloses.push(logClose);
    this.regimes.push(regime);
  }

  private extendTo(date: IsoDate): void {
    const dailyVol = this.spec.realizedVol / Math.sqrt(252);
    const reference = Math.log(this.spec.referencePrice);
    while ((this.days.at(-1) as IsoDate) < date) {
      const last = this.days.length - 1;
      const day = nextTradingDay(this.days[last] as IsoDate);
      const key = `${this.spec.symbol}|${day}`;
      const regime =
        (this.regimes[last] as number) * (1 - REGIME_REVERSION) +
        REGIME_DAILY_SHOCK * gaussian(this.seed, `regime|${key}`);
      const previous = this.logCloses[last] as number;
      const shock = dailyVol * Math.exp(regime) * gaussian(this.seed, `close|${key}`);
      this.push(
        day,
        previous + PRICE_REVERSION * (reference - previous) + shock - 0.5 * dailyVol * dailyVol,
        regime,
      );
    }
  }

  /** Index of the last trading day on or before date. */
  indexOf(date: IsoDate): number {
    if (date <= WALK_EPOCH) return 0;
    const known = this.indexByDay.get(date);
    if (known !== undefined) return known;
    this.extendTo(date);
    let day = date;
    while (!isTradingDay(day)) day = previousTradingDay(day);
    const index = this.indexByDay.get(day) as number;
    this.indexByDay.set(date, index);
    return index;
  }

  dayAt(index: number): IsoDate {
    return this.days[Math.max(0, index)] as IsoDate;
  }

  closeAt(index: number): number {
    return Math.exp(this.logCloses[Math.max(0, index)] as number);
  }

  /** Close of the last trading day on or before date. */
  closeOn(date: IsoDate): number {
    return this.closeAt(this.indexOf(date));
  }

  /** Implied-vol multiplier of the last trading day on or before date (around 1). */
  regimeOn(date: IsoDate): number {
    return Math.exp(this.regimes[this.indexOf(date)] as number);
  }

  /** Lowest and highest close over trading days in [from, to]. */
  rangeOf(from: IsoDate, to: IsoDate): { low: number; high: number } {
    const last = this.indexOf(to);
    let first = this.indexOf(from);
    if (this.dayAt(first) < from && first < last) first += 1;
    let low = Infinity;
    let high = -Infinity;
    for (let i = first; i <= last; i++) {
      const close = this.closeAt(i);
      low = Math.min(low, close);
      high = Math.max(high, close);
    }
    return { low, high };
  }

  /**
   * Price during the trading day `index`, at fraction f ∈ [0, 1] of the session: it opens with a small gap from
   * the previous close, wanders, and ends exactly at the day's close.
   */
  intraday(index: number, fraction: number): number {
    const f = Math.min(1, Math.max(0, fraction));
    const day = this.dayAt(index);
    const previous = this.closeAt(index - 1);
    const close = this.closeAt(index);
    const dailyVol = this.spec.realizedVol / Math.sqrt(252);
    const key = `${this.spec.symbol}|${day}`;
    const open = previous * Math.exp(0.3 * dailyVol * gaussian(this.seed, `gap|${key}`));
    const phase1 = uniform(this.seed, `phase1|${key}`);
    const phase2 = uniform(this.seed, `phase2|${key}`);
    const wiggle =
      0.5 *
      dailyVol *
      Math.sin(Math.PI * f) *
      (0.6 * Math.sin(2 * Math.PI * (2 * f + phase1)) + 0.4 * Math.sin(2 * Math.PI * (7 * f + phase2)));
    return open * Math.pow(close / open, f) * Math.exp(wiggle);
  }

  /** Annualised realised volatility of the 30 trading days up to index. */
  historicalVol(index: number): number {
    const first = Math.max(1, index - 29);
    let sum = 0;
    let sumSq = 0;
    let n = 0;
    for (let i = first; i <= index; i++) {
      const r = Math.log(this.closeAt(i) / this.closeAt(i - 1));
      sum += r;
      sumSq += r * r;
      n++;
    }
    if (n < 2) return this.spec.realizedVol;
    const variance = (sumSq - (sum * sum) / n) / (n - 1);
    return Math.sqrt(Math.max(variance, 0) * 252);
  }
}
