/**
 * Data-quality rules: pure functions over stored rows (no I/O). The collector runs the collection rules
 * after every run (src/collect/check-quality.ts); the daemon builds its bookkeeping issues here too.
 */
export { checkCollection, COLLECTION_RULES } from "./check.ts";
export type { CheckResult, RuleCount } from "./check.ts";
export {
  collectionGapIssues,
  expiryDayUncollectedIssues,
  expiryNotCollectedIssues,
} from "./bookkeeping-rules.ts";
export { qualityScore, SEVERITY_WEIGHTS } from "./score.ts";
export type {
  CheckedQuote,
  CheckInput,
  CollectionRule,
  Finding,
  QualityIssue,
  QualitySettings,
  RuleName,
} from "./types.ts";
