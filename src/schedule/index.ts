/** The collection plan: which slot runs when, in exchange time. Pure; time comes from an injected clock. */
export { LOCAL_TIME_TYPES, PER_SYMBOL_TYPES, SLOT_TYPES, type Slot, type SlotType } from "./slot.ts";
export {
  dueSlots,
  isWithinWindow,
  lastSlotOf,
  nextSlotAfter,
  slotsBetween,
  slotsForDate,
  type PlanOptions,
  type ScheduleConfig,
} from "./plan.ts";
export { checkZone, machineZone, planZone, zoneGapNote } from "./zones.ts";
