import type { IsoDate } from "../calendar/index.ts";

/**
 * Every kind of scheduled slot, in the order slots sharing an instant are listed
 * (and should be queued): discovery before snapshots, snapshots before the processing that reads them.
 */
export const SLOT_TYPES = [
  "backup",
  "monthly_discovery",
  "pre_market",
  "post_expiry",
  "gap_check",
  "pre_expiry",
  "analytics",
  "settlement",
  "eod",
  "expiry_processing",
  "weekly_discovery",
  "weekend_review",
  "weekend_prep",
  "archive",
] as const;
export type SlotType = (typeof SLOT_TYPES)[number];

/** Slots that collect one underlying each get one slot per configured symbol; the rest run once for the run. */
export const PER_SYMBOL_TYPES: ReadonlySet<SlotType> = new Set<SlotType>([
  "monthly_discovery",
  "pre_market",
  "pre_expiry",
  "analytics",
  "settlement",
  "eod",
  "weekly_discovery",
]);

/** Slots set in the user's local time (schedule.timezone); all others are set in New York time. */
export const LOCAL_TIME_TYPES: ReadonlySet<SlotType> = new Set<SlotType>([
  "gap_check",
  "weekend_review",
  "weekend_prep",
  "archive",
]);

/**
 * One planned run. Its identity — and the daemon's idempotency key — is (date, symbol, type): a slot is run at
 * most once whatever restarts, clock jumps or second daemons happen.
 */
export interface Slot {
  /** `type:symbol:date`, symbol `*` for run-wide slots (see slotKey). */
  key: string;
  type: SlotType;
  /** The underlying, or null for a slot that is not about one underlying. */
  symbol: string | null;
  /** The New York trading date the slot belongs to (for weekend slots: the local Saturday or Sunday). */
  date: IsoDate;
  /** When it should run. */
  at: Date;
  /** It may still run before this instant; at or after it, it is missed (e.g. an EOD after the next open). */
  validUntil: Date;
  /** Why the slot is not where the rule table alone puts it (early close, holiday, Thursday expiry), else null. */
  note: string | null;
}
