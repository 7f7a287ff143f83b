import type { IssueSeverity } from "../core/events.ts";
import { coverageLow } from "./coverage-rule.ts";
import { contractCountDrop, openInterestMissing, staleQuote, underlyingJump } from "./day-over-day-rules.ts";
import { deltaOutOfRange, ivOutOfRange, negativeGreeks } from "./greek-rules.ts";
import { parityBreachRule } from "./parity-rule.ts";
import { bidWithoutAsk, crossedMarket, negativePrice } from "./quote-rules.ts";
import { qualityScore } from "./score.ts";
import type { CheckInput, CollectionRule, QualityIssue, QualitySettings, RuleName } from "./types.ts";

/** The rules run over every collection after it is stored, in report order. */
export const COLLECTION_RULES: readonly CollectionRule[] = [
  crossedMarket,
  negativePrice,
  bidWithoutAsk,
  ivOutOfRange,
  deltaOutOfRange,
  negativeGreeks,
  parityBreachRule,
  staleQuote,
  openInterestMissing,
  coverageLow,
  contractCountDrop,
  underlyingJump,
];

export interface RuleCount {
  rule: RuleName;
  severity: IssueSeverity;
  count: number;
  /** The first issue's message; "" when the rule found none. */
  message: string;
}

export interface CheckResult {
  issues: QualityIssue[];
  /** Every enabled rule that ran, with its count (0 when clean). */
  rules: RuleCount[];
  /** Rules that threw (a bug, never the data's fault): the others still ran. */
  failed: { rule: RuleName; error: unknown }[];
  /** What the collection should have stored: the score's denominator. */
  contracts: number;
  score: number;
}

/** Runs every enabled collection rule over one stored collection (pure). */
export function checkCollection(input: CheckInput, settings: QualitySettings): CheckResult {
  const issues: QualityIssue[] = [];
  const rules: RuleCount[] = [];
  const failed: CheckResult["failed"] = [];
  for (const rule of COLLECTION_RULES) {
    const { enabled, severity } = settings.rules[rule.name];
    if (!enabled) continue;
    try {
      const found = rule.check(input, settings).map((finding) => ({ ...finding, rule: rule.name, severity }));
      issues.push(...found);
      rules.push({ rule: rule.name, severity, count: found.length, message: found[0]?.message ?? "" });
    } catch (error) {
      failed.push({ rule: rule.name, error });
    }
  }
  const contracts = Math.max(input.selected, input.quotes.length);
  return { issues, rules, failed, contracts, score: qualityScore(contracts, issues) };
}
