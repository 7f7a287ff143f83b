import type { IsoDate } from "../calendar/index.ts";
import type { Config } from "../config/schema.ts";
import type { IssueSeverity } from "../core/events.ts";
import type { OptionRight } from "../pricing/black-scholes.ts";
import type { PricingParameters } from "../pricing/parameters.ts";

/** The `quality:` block of chainvault.yaml. */
export type QualitySettings = Config["quality"];

/** Every rule's stable name: the key of its settings under quality.rules, stored in data_quality_issues.rule. */
export type RuleName = keyof QualitySettings["rules"];

/** One stored option quote as the checks see it (the newest row of its contract in the collection). */
export interface CheckedQuote {
  contractId: number;
  contractSymbol: string;
  right: OptionRight;
  strike: number;
  expiry: IsoDate;
  /** The snapshot's gateway time. */
  time: Date;
  bid: number | null;
  ask: number | null;
  volume: number | null;
  openInterest: number | null;
  impliedVolatility: number | null;
  delta: number | null;
  gamma: number | null;
  /** Per calendar day, as stored. */
  theta: number | null;
  vega: number | null;
  underlyingPrice: number | null;
}

/** One collection (date, symbol, type) as stored, with what it is compared against. */
export interface CheckInput {
  date: IsoDate;
  symbol: string;
  type: string;
  /** Contracts discovery listed (of the expiries it looked at), and the expiries it could not list. */
  listed: number;
  unlistedExpiries: readonly string[];
  /** Contracts the selection chose from the listed chain: what the collection should have stored. */
  selected: number;
  quotes: readonly CheckedQuote[];
  /** The previous trading day's collection of the same type; null when none is stored. */
  previous: { date: IsoDate; quotes: readonly CheckedQuote[] } | null;
  underlying: {
    /** The underlying's price in this collection and in the previous trading day's, null when unknown. */
    price: number | null;
    previousPrice: number | null;
    /** The VIX level the move is judged by (the previous trading day's, else this collection's). */
    vix: number | null;
  };
  pricing: Pick<PricingParameters, "rate" | "dividendYield">;
}

/** What a rule found, before the configured severity is attached. */
export interface Finding {
  /** The contract it is about; null for an issue of the whole collection. */
  contractId: number | null;
  message: string;
  details?: Record<string, unknown>;
  /** How many contracts the issue concerns, for the score (default 1; a coverage gap: the missing ones). */
  affected?: number;
}

/** A finding of a named rule at its configured severity: one data_quality_issues row. */
export interface QualityIssue extends Finding {
  rule: RuleName;
  severity: IssueSeverity;
}

/** A rule checked against one collection after it was stored. */
export interface CollectionRule {
  name: RuleName;
  check(input: CheckInput, settings: QualitySettings): Finding[];
}
