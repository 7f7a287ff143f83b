import { addDays, isTradingDay, previousTradingDay, toEt } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import { isCollectionType, slotKey } from "../core/collection.ts";
import { FAILED_OUTCOMES, SLOT_OUTCOMES } from "../core/events.ts";
import type { SlotOutcome } from "../core/events.ts";
import { slotsForDate } from "../schedule/index.ts";
import type { PlanOptions } from "../schedule/index.ts";
import type { Queryable } from "../store/database.ts";
import type { CollectionStatusRow } from "../store/repositories/collection-status.ts";
import { readInstall } from "../store/repositories/install.ts";
import { partStandingsBetween } from "../store/reads/part-reads.ts";
import { aggregateParts } from "../collect/parts.ts";
import type { PartStanding } from "../collect/parts.ts";
import { readStatusFacts } from "../store/status-facts.ts";
import type { SlotKeyFields } from "../store/status-facts.ts";
import { coverageOf, deriveOutcome } from "./outcome.ts";
import type { DerivedOutcome } from "./outcome.ts";
import { qualityScore } from "../quality/score.ts";
import type { QualityFacts } from "../store/status-facts.ts";

/** One planned slot (or one manual run) as `chainvault status` reports it. */
export interface StatusSlot {
  date: IsoDate;
  /** `*` for slots not about one underlying. */
  symbol: string;
  type: string;
  /** A run of a key the plan does not have (a `collect` by hand for another symbol, type or day). */
  manual: boolean;
  plannedAt: Date | null;
  validUntil: Date | null;
  outcome: SlotOutcome;
  runId: string | null;
  /** Contracts listed in the run's window, selected, and quotes stored; null when unknown or not a collection. */
  listed: number | null;
  selected: number | null;
  stored: number | null;
  /** stored / selected; null when nothing was selected. */
  coverage: number | null;
  /** The run's score (src/quality/score.ts) over its stored issues; null for a run that stored nothing. */
  qualityScore: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationSeconds: number | null;
  /** Why the slot failed (or was missed, dead-lettered, partial); null when nothing went wrong. */
  error: string | null;
  /** What a run that went well left to say (a bookkeeping slot's summary, "nothing expires today"). */
  note: string | null;
  /** A split collection's parts: "parts 7/9, missing #3 #8"; null when it was not split. */
  parts: string | null;
}

export interface StatusReport {
  from: IsoDate;
  to: IsoDate;
  installedAt: Date | null;
  slots: StatusSlot[];
  counts: Record<SlotOutcome, number>;
  /** Some planned slot failed, was dead-lettered or missed: data was lost or is at risk (exit 3). */
  failed: boolean;
}

export interface StatusOptions {
  from: IsoDate;
  to: IsoDate;
  /** Only these underlyings (run-wide slots are left out then); default all. */
  symbols?: readonly string[];
  /** The plan the daemon follows: configured symbols and schedule. */
  plan: PlanOptions;
  now: Date;
}

/** The last `tradingDays` New York trading days up to `to` (and `to` itself, traded or not). */
export function rangeEndingAt(to: IsoDate, tradingDays = 10): { from: IsoDate; to: IsoDate } {
  let from = isTradingDay(to) ? to : previousTradingDay(to);
  for (let day = 1; day < tradingDays; day++) from = previousTradingDay(from);
  return { from, to };
}

/** `status` without dates: the last 10 trading days up to today in New York. */
export function defaultStatusRange(now: Date): { from: IsoDate; to: IsoDate } {
  return rangeEndingAt(toEt(now).date);
}

const keyOf = (fields: SlotKeyFields): string =>
  slotKey({ type: fields.type, symbol: fields.symbol, date: fields.date });

function indexBy<T extends SlotKeyFields>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [keyOf(item), item]));
}

/** Every planned slot between two dates with its outcome, and the manual runs beside them. */
export async function statusReport(db: Queryable, options: StatusOptions): Promise<StatusReport> {
  const { from, to, now } = options;
  const facts = await readStatusFacts(db, from, to);
  const installedAt = await readInstall(db);
  const rows = new Map(
    facts.rows.map((row) => [
      slotKey({ type: row.collectionType, symbol: row.symbol, date: row.collectionDate }),
      row,
    ]),
  );
  const deadLetters = indexBy(facts.deadLetters);
  const attempts = indexBy(facts.attempts);
  const held = new Set(facts.held.map(keyOf));
  const quality = indexBy(facts.quality);
  const wanted = options.symbols ? new Set(options.symbols) : null;

  const slots: StatusSlot[] = [];
  const planned = new Set<string>();
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const slot of slotsForDate(date, options.plan)) {
      if (wanted && (slot.symbol === null || !wanted.has(slot.symbol))) continue;
      planned.add(slot.key);
      const row = rows.get(slot.key);
      const deadLetter = deadLetters.get(slot.key);
      const lastAttempt = attempts.get(slot.key);
      const derived = deriveOutcome({
        planned: { at: slot.at, validUntil: slot.validUntil },
        ...(row ? { row } : {}),
        ...(deadLetter ? { deadLetter } : {}),
        ...(lastAttempt ? { lastAttempt } : {}),
        held: held.has(slot.key),
        installedAt,
        now,
      });
      slots.push(
        describe(
          { date, symbol: slot.symbol ?? "*", type: slot.type, manual: false, plannedAt: slot.at },
          slot.validUntil,
          derived,
          row,
          quality.get(slot.key),
        ),
      );
    }
  }
  // Runs the plan has no slot for, e.g. `collect --symbols QQQ`: shown, never counted as the plan's failures.
  for (const [key, row] of rows) {
    if (planned.has(key) || (wanted && !wanted.has(row.symbol))) continue;
    const derived = deriveOutcome({ row, held: held.has(key), installedAt, now });
    const fields = {
      date: row.collectionDate,
      symbol: row.symbol,
      type: row.collectionType,
      manual: true,
      plannedAt: null,
    };
    slots.push(describe(fields, null, derived, row, quality.get(key)));
  }
  slots.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : Number(a.manual) - Number(b.manual)));
  const parts = new Map<string, PartStanding[]>();
  for (const part of await partStandingsBetween(db, from, to)) {
    const key = slotKey({ type: part.type, symbol: part.symbol, date: part.date });
    parts.set(key, [...(parts.get(key) ?? []), part]);
  }
  for (const slot of slots) {
    const standing = parts.get(slotKey({ type: slot.type, symbol: slot.symbol, date: slot.date }));
    if (standing) slot.parts = aggregateParts(standing).text;
  }

  const counts = Object.fromEntries(SLOT_OUTCOMES.map((outcome) => [outcome, 0])) as Record<
    SlotOutcome,
    number
  >;
  for (const slot of slots) counts[slot.outcome] += 1;
  const failed = slots.some((slot) => !slot.manual && FAILED_OUTCOMES.has(slot.outcome));
  return { from, to, installedAt, slots, counts, failed };
}

const NOTE_OUTCOMES: ReadonlySet<SlotOutcome> = new Set(["completed", "skipped", "pending", "running"]);

function describe(
  fields: Pick<StatusSlot, "date" | "symbol" | "type" | "manual" | "plannedAt">,
  validUntil: Date | null,
  derived: DerivedOutcome,
  row: CollectionStatusRow | undefined,
  quality: QualityFacts | undefined,
): StatusSlot {
  // Bookkeeping slots record other things in records_collected (contracts discovered, gaps found).
  const collection = isCollectionType(fields.type);
  const stored = collection ? (row?.recordsCollected ?? null) : null;
  const selected = collection ? (row?.contractsSelected ?? null) : null;
  const finished = derived.outcome !== "running" && row?.completedAt ? row.completedAt : null;
  const started = row?.startedAt ?? null;
  const quiet = NOTE_OUTCOMES.has(derived.outcome);
  return {
    ...fields,
    validUntil,
    outcome: derived.outcome,
    runId: derived.runId,
    listed: collection ? (row?.contractsListed ?? null) : null,
    selected,
    stored,
    coverage: coverageOf(stored, selected),
    qualityScore: collection ? runQualityScore(quality, selected, stored) : null,
    startedAt: started,
    finishedAt: finished,
    durationSeconds:
      started && finished ? Math.round((finished.getTime() - started.getTime()) / 100) / 10 : null,
    error: quiet ? null : derived.error,
    note: quiet ? derived.error : null,
    parts: null,
  };
}

/** The score of a run that stored something: against what it selected (what it should have stored). */
function runQualityScore(
  quality: QualityFacts | undefined,
  selected: number | null,
  stored: number | null,
): number | null {
  if (stored === null || stored <= 0) return null;
  const issues = quality
    ? [
        { severity: "error" as const, affected: quality.errorsAffected },
        { severity: "warning" as const, affected: quality.warningsAffected },
      ]
    : [];
  return Math.round(qualityScore(selected ?? stored, issues) * 1000) / 1000;
}
