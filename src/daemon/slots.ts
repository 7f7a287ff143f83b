import type { IsoDate } from "../calendar/index.ts";
import { isCollectionType, slotKey } from "../core/collection.ts";
import type { ChainvaultEvent } from "../core/events.ts";
import { ALL_SYMBOLS } from "./ledger.ts";
import { COLLECT_QUEUE, MAINTAIN_QUEUE } from "./queue.ts";
import type { SlotJob, WorkQueue } from "./queue.ts";

/** One slot of the collection plan, as the daemon consumes it. */
export interface PlannedSlot {
  type: string;
  symbol: string | null;
  /** The trading date (New York) it belongs to. */
  date: IsoDate;
  at: Date;
  /** After this instant the slot is no longer worth running and is recorded as missed. */
  validUntil: Date;
  note?: string | null;
}

/** The plan between two instants: slots with `from < at <= to`, in time order. */
export type Plan = (from: Date, to: Date) => PlannedSlot[];

export const DISCOVERY_TYPES = ["weekly_discovery", "monthly_discovery"] as const;

/** Anything that talks to IB shares the collect queue (one IB connection, one run at a time). */
export function queueFor(type: string): WorkQueue {
  return isCollectionType(type) || (DISCOVERY_TYPES as readonly string[]).includes(type)
    ? COLLECT_QUEUE
    : MAINTAIN_QUEUE;
}

export function toJob(slot: PlannedSlot): SlotJob {
  return {
    key: slotKey(slot),
    type: slot.type,
    symbol: slot.symbol,
    date: slot.date,
    at: slot.at.toISOString(),
    validUntil: slot.validUntil.toISOString(),
    note: slot.note ?? null,
  };
}

export type SlotFinished = Extract<ChainvaultEvent, { kind: "slot_finished" }>;

/** The `slot_finished` event of one slot attempt (or of a slot the scheduler found missed). */
export function slotFinished(
  slot: { key: string; type: string; symbol: string | null; date: IsoDate },
  runId: string,
  outcome: SlotFinished["outcome"],
  error?: string,
): SlotFinished {
  return {
    kind: "slot_finished",
    runId,
    slotKey: slot.key,
    date: slot.date,
    symbol: slot.symbol ?? ALL_SYMBOLS,
    type: slot.type,
    outcome,
    ...(error === undefined ? {} : { error }),
  };
}
