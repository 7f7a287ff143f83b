import { daysBetween } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import type { OptionRight } from "../pricing/black-scholes.ts";

/**
 * Which contracts of a chain a run collects (dynamic strike selection by IV tier). Pure.
 *
 * mode "all": every contract within the expiry horizon.
 *
 * mode "window", per expiry, and per STRIKE: a strike is selected or not as a whole, so the call and the put of a
 * strike are always collected together (where both are listed). Conversions, reversals, synthetics and boxes need
 * both sides of a strike; a filter deciding per contract could keep a liquid call and drop its illiquid put.
 * 1. The IV tier of the underlying picks a window: IV < low_iv_below (20 %) → ±15 % of the underlying price and
 *    at least 11 strikes; up to high_iv_above (40 %, inclusive) → ±25 %, 21; above → ±35 %, 31. An unknown IV uses
 *    the normal tier.
 * 2. Reason "window": a strike in the window that is liquid. The two sides' activity is SUMMED (strikeActivity):
 *    call + put open interest at least etf_min_open_interest (ETFs and indexes) or stock_min_open_interest
 *    (stocks), OR call + put daily volume at least min_daily_volume. Unknown values add nothing; a strike with no
 *    activity known on either side (the first run, before any open interest was stored) is treated as liquid:
 *    then the window alone decides.
 * 3. Reason "min-count": the min_strikes strikes nearest to the money (ties: the lower strike) are always kept,
 *    even if illiquid or outside the window — this is how a window holding too few strikes widens.
 * 4. Reason "unusual-activity": a strike where EITHER side trades at least unusual_activity_multiplier × its own
 *    average volume (and at least min_daily_volume, so that 1 lot against an average of 0.1 is not news) is kept
 *    wherever it is. Per side, not summed: a spike in the calls must not drown in the puts' larger average. Needs
 *    an average volume, i.e. history.
 * Expiries before `asOf` are never selected; max_days_to_expiry (calendar days from asOf) bounds the horizon.
 * For box spreads, which need every strike pair of an expiry, mode "all" is the safe choice.
 */

export type SelectionSettings = Config["selection"];
export type IvTier = "low_iv" | "normal_iv" | "high_iv";
export type SelectionReason = "window" | "min-count" | "unusual-activity" | "all";
export type UnderlyingKind = "STK" | "ETF" | "IND";

export interface ChainContract {
  conId: number;
  expiry: IsoDate;
  strike: number;
  right: OptionRight;
  /** SPX and SPXW list one expiry's strikes separately: a strike's pair is the call and put of one class. */
  tradingClass?: string;
}

/** What the store knows of a contract's trading; any field may be unknown. */
export interface ContractActivity {
  openInterest?: number | null;
  /** The latest daily volume. */
  volume?: number | null;
  /** Average daily volume over the stored history. */
  averageVolume?: number | null;
}

export interface SelectionInput<C extends ChainContract> {
  contracts: readonly C[];
  /** The underlying's price (last, else mid, else close); required in window mode. */
  underlyingPrice: number | null;
  /** The underlying's implied volatility as a decimal (e.g. ATM IV 0.25), or null → normal tier. */
  impliedVolatility: number | null;
  securityType: UnderlyingKind;
  /** Today's New York date: the origin of the expiry horizon. */
  asOf: IsoDate;
  /** Activity by conId; missing entries count as unknown. */
  activity?: ReadonlyMap<number, ContractActivity>;
  settings: SelectionSettings;
}

export interface SelectedContract<C extends ChainContract> {
  contract: C;
  reasons: SelectionReason[];
}

export interface StrikeWindow {
  tier: IvTier;
  /** Half-width as a fraction of the underlying price. */
  range: number;
  minStrikes: number;
  low: number;
  high: number;
}

export interface SelectionResult<C extends ChainContract> {
  /** In the order of the input. */
  selected: SelectedContract<C>[];
  /** null in mode "all". */
  window: StrikeWindow | null;
  /** Contracts not selected, by cause. */
  skipped: { expired: number; beyondHorizon: number; notSelected: number };
}

/** Whether a run takes an expiry: within `selection.max_days_to_expiry` calendar days of the date (null: every expiry). */
export function withinMaxDaysToExpiry(date: IsoDate, expiry: IsoDate, maxDays: number | null): boolean {
  return maxDays === null || daysBetween(date, expiry) <= maxDays;
}

export function ivTier(impliedVolatility: number | null, settings: SelectionSettings): IvTier {
  if (impliedVolatility === null || !Number.isFinite(impliedVolatility)) return "normal_iv";
  if (impliedVolatility < settings.low_iv_below) return "low_iv";
  if (impliedVolatility > settings.high_iv_above) return "high_iv";
  return "normal_iv";
}

export function strikeWindow(
  underlyingPrice: number,
  impliedVolatility: number | null,
  settings: SelectionSettings,
): StrikeWindow {
  const tier = ivTier(impliedVolatility, settings);
  const { range, min_strikes: minStrikes } = settings.tiers[tier];
  return { tier, range, minStrikes, low: underlyingPrice * (1 - range), high: underlyingPrice * (1 + range) };
}

export function selectContracts<C extends ChainContract>(input: SelectionInput<C>): SelectionResult<C> {
  const { settings, asOf } = input;
  const skipped = { expired: 0, beyondHorizon: 0, notSelected: 0 };
  // Per expiry and class: on a third Friday SPX and SPXW each list their own pairs.
  const byExpiry = new Map<string, C[]>();
  for (const contract of input.contracts) {
    if (daysBetween(asOf, contract.expiry) < 0) skipped.expired++;
    else if (!withinMaxDaysToExpiry(asOf, contract.expiry, settings.max_days_to_expiry))
      skipped.beyondHorizon++;
    else {
      const key = `${contract.expiry}|${contract.tradingClass ?? ""}`;
      const sameExpiry = byExpiry.get(key);
      if (sameExpiry) sameExpiry.push(contract);
      else byExpiry.set(key, [contract]);
    }
  }

  const reasonsOf = new Map<C, SelectionReason[]>();
  let window: StrikeWindow | null = null;
  if (settings.mode === "all") {
    for (const contracts of byExpiry.values())
      for (const contract of contracts) reasonsOf.set(contract, ["all"]);
  } else {
    const price = input.underlyingPrice;
    if (price === null || !(price > 0) || !Number.isFinite(price)) {
      throw new RangeError(
        `strike selection needs the underlying's price, got ${String(price)}: quote the underlying first or use selection mode "all"`,
      );
    }
    window = strikeWindow(price, input.impliedVolatility, settings);
    const minOpenInterest =
      input.securityType === "STK" ? settings.stock_min_open_interest : settings.etf_min_open_interest;
    // 100 × (1 + 0.15) is 114.99999999999999 in binary: a strike on the edge of the window belongs to it.
    const tolerance = price * 1e-9;
    for (const contracts of byExpiry.values()) {
      const nearest = nearestStrikes(contracts, price, window.minStrikes);
      for (const sides of byStrike(contracts)) {
        const strike = sides[0]!.strike;
        const activities = sides.map((contract) => input.activity?.get(contract.conId));
        const reasons: SelectionReason[] = [];
        const inWindow = strike >= window.low - tolerance && strike <= window.high + tolerance;
        if (inWindow && isLiquid(strikeActivity(activities), minOpenInterest, settings.min_daily_volume))
          reasons.push("window");
        else if (nearest.has(strike)) reasons.push("min-count");
        if (activities.some((activity) => isUnusual(activity, settings))) reasons.push("unusual-activity");
        if (reasons.length > 0) for (const contract of sides) reasonsOf.set(contract, [...reasons]);
      }
    }
  }

  const selected: SelectedContract<C>[] = [];
  for (const contract of input.contracts) {
    const reasons = reasonsOf.get(contract);
    if (reasons) selected.push({ contract, reasons });
  }
  skipped.notSelected = input.contracts.length - selected.length - skipped.expired - skipped.beyondHorizon;
  return { selected, window, skipped };
}

/** The contracts of one expiry grouped by strike (the call and the put, or the one side listed). */
function byStrike<C extends ChainContract>(contracts: readonly C[]): C[][] {
  const groups = new Map<number, C[]>();
  for (const contract of contracts) {
    const group = groups.get(contract.strike);
    if (group) group.push(contract);
    else groups.set(contract.strike, [contract]);
  }
  return [...groups.values()];
}

/**
 * The activity of a strike from its sides': open interest, volume and average volume each summed over the sides
 * where it is known, and unknown (null) only when no side knows it.
 */
export function strikeActivity(sides: readonly (ContractActivity | undefined)[]): ContractActivity {
  const sum = (pick: (activity: ContractActivity) => number | null | undefined): number | null => {
    let total: number | null = null;
    for (const activity of sides) {
      const value = activity ? pick(activity) : undefined;
      if (known(value)) total = (total ?? 0) + value;
    }
    return total;
  };
  return {
    openInterest: sum((activity) => activity.openInterest),
    volume: sum((activity) => activity.volume),
    averageVolume: sum((activity) => activity.averageVolume),
  };
}

/** The `count` distinct strikes closest to the price (ties: the lower strike). */
function nearestStrikes(contracts: readonly ChainContract[], price: number, count: number): Set<number> {
  const strikes = [...new Set(contracts.map((contract) => contract.strike))];
  strikes.sort((a, b) => Math.abs(a - price) - Math.abs(b - price) || a - b);
  return new Set(strikes.slice(0, count));
}

function known(value: number | null | undefined): value is number {
  return value !== null && value !== undefined && Number.isFinite(value);
}

function isLiquid(
  activity: ContractActivity | undefined,
  minOpenInterest: number,
  minVolume: number,
): boolean {
  const openInterest = activity?.openInterest;
  const volume = activity?.volume;
  if (!known(openInterest) && !known(volume)) return true; // nothing known yet: the window decides
  return (known(openInterest) && openInterest >= minOpenInterest) || (known(volume) && volume >= minVolume);
}

function isUnusual(activity: ContractActivity | undefined, settings: SelectionSettings): boolean {
  const volume = activity?.volume;
  const average = activity?.averageVolume;
  if (!known(volume) || !known(average) || average <= 0) return false;
  return volume >= settings.unusual_activity_multiplier * average && volume >= settings.min_daily_volume;
}
