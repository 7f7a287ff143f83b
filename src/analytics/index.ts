/** Chain analytics: pure functions over one chain at one snapshot (docs/analytics.md). */
export { analyzeChain } from "./analyze-chain.ts";
export type { ChainAnalyticsOptions, ExpiryAnalytics, ParityReference } from "./analyze-chain.ts";
export { boxQuote, boxRates, rateFromPrice, STANDARD_BOX_WIDTHS } from "./box.ts";
export type { BoxQuote, BoxRateSummary, BoxWidth } from "./box.ts";
export { DEFAULT_MIN_EDGE, parityBreaches } from "./breaches.ts";
export type { BreachKind, BreachReference, ParityBreach } from "./breaches.ts";
export { exerciseStyleOf, groupByExpiry, midOf, twoSided } from "./chain.ts";
export type { AnalyticsQuote, ExerciseStyle, ExpiryChain, StrikeQuotes, TwoSided } from "./chain.ts";
export { chainRate, fitParity, forwardAtDiscount, nearTheMoney } from "./parity.ts";
export type { ParityFit, ParityFitOptions } from "./parity.ts";
export { fitRobustLine, median } from "./robust-line.ts";
export type { LinePoint, RobustLine } from "./robust-line.ts";
