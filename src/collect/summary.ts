import type { IsoDate } from "../calendar/index.ts";
import type { CollectionType } from "../core/collection.ts";
import { IB_MARKET_DATA_LINES, IB_MESSAGES_PER_SECOND } from "../ib/limits.ts";

export interface CollectionProgress {
  symbol: string;
  phase: "discovery" | "snapshots" | "done";
  /** Contracts finished (stored or failed) / to request in this symbol's snapshot phase. */
  done: number;
  total: number;
}

/** "busy": another live run holds the (date, symbol, type); this run wrote nothing for it. */
export type SymbolStatus = "completed" | "partial" | "failed" | "skipped" | "busy";

export interface SymbolSummary {
  symbol: string;
  status: SymbolStatus;
  contracts_discovered: number;
  contracts_selected: number;
  /** Quotes stored for this (date, symbol, type), including those of an interrupted earlier attempt. */
  quotes_stored: number;
  /** quotes_stored / contracts_selected (1 when nothing was selected). */
  coverage: number;
  new_listings: number;
  duration_s: number;
  error?: string;
  /** A split collection's parts: "parts 7/9, missing #3 #8" (src/collect/split.ts). */
  parts?: string;
}

export interface CollectionSummary {
  /** The run's correlation id: the runId of its log lines, the run_id of its rows (core/run-id.ts). */
  run_id: string;
  date: IsoDate;
  type: CollectionType;
  symbols: SymbolSummary[];
  duration_s: number;
  /** The least time IB's limits allow for what the run sent (see pacingLowerBoundSeconds). */
  pacing_lower_bound_s: number;
  messages_sent: number;
  /** Why the run stopped taking contracts by itself (no disk space left), if it did. */
  stopped?: string;
}

/** A symbol's summary before anything is known: a failure unless a step says otherwise. */
export function emptySymbolSummary(symbol: string): SymbolSummary {
  return {
    symbol,
    status: "failed",
    contracts_discovered: 0,
    contracts_selected: 0,
    quotes_stored: 0,
    coverage: 0,
    new_listings: 0,
    duration_s: 0,
  };
}

/** Fills in the figures derived from the others: coverage, and the duration since `startedMs` (Date.now()). */
export function finishSymbolSummary(summary: SymbolSummary, startedMs: number): SymbolSummary {
  if (summary.contracts_selected > 0)
    summary.coverage = round(summary.quotes_stored / summary.contracts_selected, 4);
  // Nothing selected: nothing to miss, unless the symbol failed, was busy, or was stopped before its selection.
  else
    summary.coverage =
      summary.status === "failed" || summary.status === "busy" || summary.status === "partial" ? 0 : 1;
  summary.duration_s = secondsSince(startedMs);
  return summary;
}

export function secondsSince(startedMs: number): number {
  return round((Date.now() - startedMs) / 1000, 3);
}

/**
 * The least time IB's limits allow for what a run sent: its messages at IB_MESSAGES_PER_SECOND, or the time
 * its lines were open at the gateway (request to cancel: the snapshot latency) over IB_MARKET_DATA_LINES,
 * whichever is larger.
 */
export function pacingLowerBoundSeconds(messages: number, lineMilliseconds: number): number {
  return round(
    Math.max(messages / IB_MESSAGES_PER_SECOND, lineMilliseconds / 1000 / IB_MARKET_DATA_LINES),
    3,
  );
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
