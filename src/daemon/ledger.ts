import type { Queryable } from "../store/database.ts";
import {
  claimCollection,
  finishClaimedCollection,
  getCollection,
  markCollectionMissed,
} from "../store/repositories/collection-status.ts";
import type { CollectionKey } from "../store/repositories/collection-status.ts";
import { recordRunStart } from "../store/repositories/daemon-slot-runs.ts";
import type { RunRecord } from "../store/repositories/daemon-slot-runs.ts";

/**
 * The daemon's slots as the database records them: outcomes in daily_collection_status (one row
 * per run, keyed by date, symbol, type; symbol `*` for slots that are not about one underlying) and
 * one daemon_slot_runs row per attempt. Everything that must survive a restart lives there, never
 * in memory.
 */

export const ALL_SYMBOLS = "*";

export interface SlotRef {
  type: string;
  symbol: string | null;
  date: string;
}

/** Statuses after which a slot is never run again. */
export const FINAL_STATUSES = ["completed", "missed"] as const;

function keyOf(slot: SlotRef): CollectionKey {
  return { collectionDate: slot.date, symbol: slot.symbol ?? ALL_SYMBOLS, collectionType: slot.type };
}

export async function slotStatus(db: Queryable, slot: SlotRef): Promise<string | null> {
  return (await getCollection(db, keyOf(slot)))?.status ?? null;
}

export async function isFinal(db: Queryable, slot: SlotRef): Promise<boolean> {
  const status = await slotStatus(db, slot);
  return status !== null && (FINAL_STATUSES as readonly string[]).includes(status);
}

/** Records a slot not collected in its window as missed, unless it completed or has partial data. */
export function markMissed(
  db: Queryable,
  slot: SlotRef,
  plannedAt: Date,
  reason: string,
  runId?: string,
  timezone?: string,
): Promise<boolean> {
  return markCollectionMissed(db, keyOf(slot), plannedAt, reason, runId, timezone);
}

/**
 * Claims a bookkeeping slot (not a collector run, which keeps its own status row): true when this
 * worker may run it, false when it already completed or was recorded as missed.
 */
export function claimSlot(
  db: Queryable,
  slot: SlotRef,
  plannedAt: Date,
  runId?: string,
  options: { startedAt?: Date; timezone?: string } = {},
): Promise<boolean> {
  return claimCollection(db, keyOf(slot), plannedAt, runId, options);
}

export function finishSlot(
  db: Queryable,
  slot: SlotRef,
  outcome: {
    status: "completed" | "failed" | "partial";
    records?: number;
    message?: string | null;
    completedAt?: Date;
  },
): Promise<void> {
  return finishClaimedCollection(db, keyOf(slot), outcome);
}

/** Records that an attempt of the slot started; returns its id for recordRunEnd. */
export function recordSlotRunStart(
  db: Queryable,
  run: Omit<RunRecord, "symbol"> & { symbol: string | null },
): Promise<number> {
  return recordRunStart(db, { ...run, symbol: run.symbol ?? ALL_SYMBOLS });
}
