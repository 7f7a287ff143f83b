import { DEFAULT_QUALITY_SETTINGS } from "../../src/config/schema.ts";
import type { CheckedQuote, CheckInput, QualitySettings } from "../../src/quality/index.ts";

export const DATE = "2026-03-10";
export const PREVIOUS = "2026-03-09";
/** The EOD snapshot instant of DATE (16:45 New York). */
export const SNAPSHOT = new Date("2026-03-10T20:45:00Z");

let nextId = 1;

/** A sane quote of a call 30 days out, at the money of a 100 underlying; overrides make it otherwise. */
export function quote(overrides: Partial<CheckedQuote> = {}): CheckedQuote {
  const contractId = overrides.contractId ?? nextId++;
  const right = overrides.right ?? "C";
  const strike = overrides.strike ?? 100;
  return {
    contractId,
    contractSymbol: `XYZ   260409${right}${String(strike * 1000).padStart(8, "0")}`,
    right,
    strike,
    expiry: "2026-04-09",
    time: SNAPSHOT,
    bid: 4.9,
    ask: 5.1,
    volume: 10,
    openInterest: 500,
    impliedVolatility: 0.3,
    delta: right === "C" ? 0.52 : -0.48,
    gamma: 0.045,
    theta: -0.05,
    vega: 0.11,
    underlyingPrice: 100,
    ...overrides,
  };
}

/** A collection of `quotes` with every contract selected and stored, no previous day, no underlying data. */
export function input(overrides: Partial<CheckInput> = {}): CheckInput {
  const quotes = overrides.quotes ?? [quote()];
  return {
    date: DATE,
    symbol: "XYZ",
    type: "eod",
    listed: quotes.length,
    unlistedExpiries: [],
    selected: quotes.length,
    previous: null,
    underlying: { price: 100, previousPrice: null, vix: null },
    pricing: { rate: 0.04, dividendYield: 0 },
    ...overrides,
    quotes,
  };
}

type RuleOverrides = { [K in keyof QualitySettings["rules"]]?: Partial<QualitySettings["rules"][K]> };

/** The default quality settings with some top-level keys or rule settings replaced. */
export function settings(
  overrides: Partial<Omit<QualitySettings, "rules">> & { rules?: RuleOverrides } = {},
): QualitySettings {
  const { rules = {}, ...top } = overrides;
  const merged = { ...DEFAULT_QUALITY_SETTINGS.rules } as Record<string, unknown>;
  for (const [name, rule] of Object.entries(rules))
    merged[name] = { ...(merged[name] as object), ...(rule as object) };
  return { ...DEFAULT_QUALITY_SETTINGS, ...top, rules: merged as QualitySettings["rules"] };
}
