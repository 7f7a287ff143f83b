import type { IsoDate } from "../calendar/index.ts";

/**
 * The market-data collections a run can make for one underlying. The order is the one users read in
 * `--help` and messages; nothing depends on it for scheduling (the schedule orders slots itself).
 */
export const COLLECTION_TYPES = ["eod", "analytics", "pre_market", "pre_expiry", "settlement"] as const;
export type CollectionType = (typeof COLLECTION_TYPES)[number];

export function isCollectionType(type: string): type is CollectionType {
  return (COLLECTION_TYPES as readonly string[]).includes(type);
}

/** Collections that request only the contracts expiring on the collection date. */
export const EXPIRING_ONLY_TYPES: ReadonlySet<CollectionType> = new Set(["pre_expiry", "settlement"]);

/** Collections whose snapshot is a contract's last on its expiry day: storing one marks `expiry_collected`. */
export const FINAL_SNAPSHOT_TYPES: ReadonlySet<CollectionType> = new Set(["eod", "settlement"]);

/**
 * Collections that, taken on a contract's expiry date, count as having captured its last day: the
 * expiry-processing job marks such contracts `expiry_collected` even when no final snapshot exists.
 */
export const EXPIRY_DAY_SNAPSHOT_TYPES: readonly CollectionType[] = [
  "pre_expiry",
  "settlement",
  "eod",
  "analytics",
];

export interface CollectionRequest {
  /** The New York trading date the rows belong to; default: the gateway's New York date (on a closed day, the last trading day). */
  date?: IsoDate;
  symbols: string[];
  type: CollectionType;
  /** Re-run a completed collection, replacing its rows. */
  force?: boolean;
}

/**
 * The identity of one planned run: `type:symbol:date`, symbol `*` for run-wide slots. The daemon's
 * idempotency key and pg-boss job id derive from it, so a slot runs at most once.
 */
export function slotKey(slot: { type: string; symbol: string | null; date: IsoDate }): string {
  return `${slot.type}:${slot.symbol ?? "*"}:${slot.date}`;
}

/**
 * One part of a split collection (src/collect/split.ts), as its job in the queue names it. Plain JSON: it is
 * stored in the job row.
 */
export interface PartJob {
  /** `type:symbol:date#index`: one run at a time per part key. */
  key: string;
  /** The coordinator run that planned it; a job of a replaced plan finds nothing to do. */
  planId: string;
  date: string;
  symbol: string;
  type: string;
  index: number;
}
