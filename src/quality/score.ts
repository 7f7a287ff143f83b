import type { IssueSeverity } from "../core/events.ts";

/** How much one issue weighs in the score, per contract it concerns. */
export const SEVERITY_WEIGHTS: Readonly<Record<IssueSeverity, number>> = { error: 1, warning: 0.25, info: 0 };

/**
 * A run's quality score, 0..1: 1 − Σ weight(severity) × affected / contracts, floored at 0, where
 * `contracts` is what the run should have stored (the contracts selected from the listed chain) and each
 * issue concerns `affected` contracts (1 for an issue about one contract; a coverage gap: the contracts
 * missing; a contract-count drop: the drop; an underlying jump: every contract, since all were priced off
 * it). Errors weigh 1, warnings 0.25, info 0. So a run missing 5 % of its chain scores 0.95, and one with a
 * stale quote on 40 of 1,000 contracts 0.99. A run expected to store nothing scores 1 unless something
 * weighed against it (then 0).
 */
export function qualityScore(
  contracts: number,
  issues: readonly { severity: IssueSeverity; affected?: number }[],
): number {
  const weighed = issues.reduce(
    (sum, issue) => sum + SEVERITY_WEIGHTS[issue.severity] * Math.max(0, issue.affected ?? 1),
    0,
  );
  if (contracts <= 0) return weighed > 0 ? 0 : 1;
  return Math.max(0, 1 - weighed / contracts);
}
