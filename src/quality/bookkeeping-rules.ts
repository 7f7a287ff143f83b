import type { IsoDate } from "../calendar/index.ts";
import type { QualityIssue, QualitySettings, RuleName } from "./types.ts";

/**
 * The daemon's bookkeeping rules: findings of its gap check and expiry processing, not of one collection's
 * rows. They build issues the same way the collection rules do (name, configured severity, enabled or not),
 * so there is one system of rules; the daemon stores what they return.
 */

/** An issue of `rule` at its configured severity, or nothing when the rule is disabled. */
function issuesOf(
  settings: QualitySettings,
  rule: RuleName,
  findings: readonly Omit<QualityIssue, "rule" | "severity">[],
): QualityIssue[] {
  const { enabled, severity } = settings.rules[rule];
  return enabled ? findings.map((finding) => ({ ...finding, rule, severity })) : [];
}

/**
 * A planned collection whose window closed without it completing: `collection_gap` when nothing or a
 * failure was recorded, `collection_gap_partial` when it stored part of the chain.
 */
export function collectionGapIssues(
  settings: QualitySettings,
  gap: { key: string; status: string | null; validUntil: string },
): QualityIssue[] {
  const rule = gap.status === "partial" ? "collection_gap_partial" : "collection_gap";
  return issuesOf(settings, rule, [
    {
      contractId: null,
      message: `${gap.key} is ${gap.status ?? "missing"} and its window closed at ${gap.validUntil}`,
    },
  ]);
}

/** Contracts that expired on `date` without a quote from that day, seen by that evening's expiry processing. */
export function expiryDayUncollectedIssues(
  settings: QualitySettings,
  date: IsoDate,
  contractIds: readonly number[],
): QualityIssue[] {
  return issuesOf(
    settings,
    "expiry_day_uncollected",
    contractIds.map((contractId) => ({ contractId, message: `no quote stored on the expiry day ${date}` })),
  );
}

/** Contracts still without expiry-day data after their expiry: lost once IB forgets them. */
export function expiryNotCollectedIssues(
  settings: QualitySettings,
  contracts: readonly { contractId: number; expiration: IsoDate }[],
): QualityIssue[] {
  return issuesOf(
    settings,
    "expiry_not_collected",
    contracts.map((contract) => ({
      contractId: contract.contractId,
      message: `expired ${contract.expiration} without expiry-day data; IB drops expired contracts within 30-60 days`,
    })),
  );
}
