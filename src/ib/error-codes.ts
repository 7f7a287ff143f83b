/**
 * Every IB error/notice code chainvault reacts to, in one table, each mapped to a category.
 * Each category has exactly one policy (see ERROR_POLICIES); call sites ask for the category, never the code.
 */
export type ErrorCategory =
  /** Retry the same request after a short backoff. */
  | "transient"
  /** We sent too much: slow down, then retry. */
  | "pacing"
  /** The socket or IB's backbone is gone: reconnect and resume. */
  | "connectivity"
  /** Retrying the same request cannot help: dead-letter it. */
  | "permanent"
  /** The request was served, but the data is incomplete or needs another market-data type: note it. */
  | "data"
  /** A notice that needs no action (farm status, acknowledgements of cancels). */
  | "info";

export interface ErrorPolicy {
  retry: boolean;
  /** What the code does about it, for logs and docs. */
  action: string;
}

export const ERROR_POLICIES: Readonly<Record<ErrorCategory, ErrorPolicy>> = {
  transient: { retry: true, action: "retry with exponential backoff" },
  pacing: { retry: true, action: "slow down (wait for the pacer window), then retry" },
  connectivity: { retry: true, action: "reconnect with backoff and resume the request" },
  permanent: { retry: false, action: "do not retry; dead-letter the request" },
  data: { retry: false, action: "keep what arrived; record a quality issue or switch market-data type" },
  info: { retry: false, action: "ignore (log at debug)" },
};

interface CodeEntry {
  category: ErrorCategory;
  meaning: string;
}

const TABLE: ReadonlyMap<number, CodeEntry> = new Map<number, CodeEntry>([
  [100, { category: "pacing", meaning: "message rate exceeded" }],
  [101, { category: "pacing", meaning: "max number of market-data lines reached" }],
  [102, { category: "permanent", meaning: "duplicate ticker id" }],
  [162, { category: "pacing", meaning: "historical data pacing violation / HMDS error" }],
  [165, { category: "info", meaning: "HMDS query message" }],
  [166, { category: "permanent", meaning: "HMDS expired-contract violation" }],
  [200, { category: "permanent", meaning: "no security definition found" }],
  [300, { category: "info", meaning: "cancel of an unknown or finished request" }],
  [321, { category: "permanent", meaning: "error validating request" }],
  [322, { category: "transient", meaning: "error processing request (capacity)" }],
  [326, { category: "connectivity", meaning: "client id already in use" }],
  [354, { category: "data", meaning: "market data not subscribed: switch to delayed data" }],
  [366, { category: "info", meaning: "no historical query found (cancel of a finished request)" }],
  [478, { category: "permanent", meaning: "request parameters conflict with the contract" }],
  [502, { category: "connectivity", meaning: "could not connect / socket error" }],
  [503, { category: "permanent", meaning: "gateway too old for the request" }],
  [504, { category: "connectivity", meaning: "not connected" }],
  [505, { category: "data", meaning: "client decode error (field layout)" }],
  [506, { category: "permanent", meaning: "unsupported server version" }],
  [1100, { category: "connectivity", meaning: "IB ↔ gateway connectivity lost" }],
  [1101, { category: "connectivity", meaning: "connectivity restored, market data lost: resubscribe" }],
  [1102, { category: "info", meaning: "connectivity restored, data kept" }],
  [2103, { category: "transient", meaning: "market data farm connection broken" }],
  [2104, { category: "info", meaning: "market data farm connection OK" }],
  [2105, { category: "transient", meaning: "HMDS farm connection broken" }],
  [2106, { category: "info", meaning: "HMDS farm connection OK" }],
  [2107, { category: "info", meaning: "HMDS farm inactive, available on demand" }],
  [2108, { category: "info", meaning: "market data farm inactive, available on demand" }],
  [2110, { category: "connectivity", meaning: "gateway ↔ server connectivity broken" }],
  [2119, { category: "info", meaning: "market data farm connecting" }],
  [2157, { category: "transient", meaning: "sec-def data farm connection broken" }],
  [2158, { category: "info", meaning: "sec-def data farm connection OK" }],
  [2176, { category: "info", meaning: "API warning" }],
  [10089, { category: "data", meaning: "needs an additional API subscription (delayed available)" }],
  [10090, { category: "data", meaning: "part of the requested data not subscribed" }],
  [10091, { category: "data", meaning: "part of the data needs an additional subscription" }],
  [10167, { category: "info", meaning: "not subscribed: showing delayed data" }],
  [10168, { category: "transient", meaning: "delayed data not enabled yet: retry after the type switch" }],
  [10186, { category: "transient", meaning: "delayed data not enabled yet: retry after the type switch" }],
  [10197, { category: "transient", meaning: "competing live session: no market data until it logs out" }],
  [10225, { category: "info", meaning: "bust event (real-time bars only)" }],
]);

/** Codes whose answer is "this symbol has no live subscription: use delayed data". */
export const NO_SUBSCRIPTION_CODES: ReadonlySet<number> = new Set([354, 10089, 10168, 10186]);

export interface ClassifiedError {
  code: number;
  category: ErrorCategory;
  meaning: string;
  policy: ErrorPolicy;
}

/** Unknown codes: 2100–2999 are IB's warnings (info); anything else is treated as permanent so it is never retried blindly. */
export function classifyError(code: number): ClassifiedError {
  const entry = TABLE.get(code) ?? {
    category: code >= 2100 && code < 3000 ? ("info" as const) : ("permanent" as const),
    meaning: "unlisted IB code",
  };
  return { code, ...entry, policy: ERROR_POLICIES[entry.category] };
}
