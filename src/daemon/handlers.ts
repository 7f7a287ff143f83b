import { addDays, etInstant, sessionOf, toEt, DAY_MS } from "../calendar/index.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { Database } from "../store/database.ts";
import type { Logger } from "../logger.ts";
import type { Clock } from "../core/clock.ts";
import {
  ALL_SYMBOLS,
  claimSlot,
  finishSlot,
  isFinal,
  markMissed,
  recordSlotRunStart,
  slotStatus,
} from "./ledger.ts";
import type { HistoricalSession } from "../ib/historical-session.ts";
import { countCollectionsByStatus } from "../store/repositories/collection-status.ts";
import { recordRunEnd, slotFailures } from "../store/repositories/daemon-slot-runs.ts";
import type { RunOutcome } from "../store/repositories/daemon-slot-runs.ts";
import { recordDeadLetter } from "../store/repositories/dead-letters.ts";
import { expiredWithoutExpiryData } from "../store/repositories/lifecycle.ts";
import { DEFAULT_QUALITY_SETTINGS } from "../config/schema.ts";
import {
  collectionGapIssues,
  expiryDayUncollectedIssues,
  expiryNotCollectedIssues,
} from "../quality/index.ts";
import type { QualityIssue, QualitySettings } from "../quality/index.ts";
import { recordQualityIssues } from "../store/repositories/quality-issues.ts";
import type { QualityIssueInput } from "../store/repositories/quality-issues.ts";
import { lastQuotedContracts } from "../store/repositories/quote-history.ts";
import { archiveAndRetain, hasHistoricalFill, processExpiry, storeDailyBar } from "./maintenance.ts";
import type { ArchiveSettings } from "./maintenance.ts";
import type { SlotJob, SlotQueue } from "./queue.ts";
import { queueFor, slotFinished, toJob } from "./slots.ts";
import type { SlotFinished } from "./slots.ts";
import type { Plan } from "./slots.ts";
import { isCollectionType } from "../core/collection.ts";
import type { CollectionRequest, CollectionType } from "../core/collection.ts";
import { errorMessage } from "../core/errors.ts";
import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { newRunId } from "../core/run-id.ts";
import { readInstall } from "../store/repositories/install.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { isDatabaseUnavailable } from "../store/unavailable.ts";

/**
 * What the daemon asks of the collector: one run for one key, always with its date (see src/collect/run.ts),
 * waiting for the gateway no later than `deadline` (the slot's window). It answers with each symbol's status,
 * "busy" when another run holds the key. Once `signal` aborts, the run takes no further contract and records
 * what it stored (RunControl).
 */
export type Collect = (
  request: CollectionRequest & { date: IsoDate; deadline?: Date },
  control?: { signal?: AbortSignal; runId?: string },
) => Promise<{ symbols: readonly { status: string; error?: string }[] }>;

/** Chain discovery alone (no quotes) for the given symbols; absent when the collector offers none. */
export type Discover = (request: { date: IsoDate; symbols: string[] }) => Promise<{ contracts: number }>;

export interface HandlerDeps {
  db: Database;
  queue: SlotQueue;
  plan: Plan;
  clock: Clock;
  logger: Logger;
  daemonId: string;
  symbols: string[];
  /** How many calendar days back the gap check looks. */
  gapCheckDays: number;
  /** The plan's zone (schedule.timezone, else the machine's): the status rows' `timezone`. */
  zone?: string;
  collect: Collect;
  discover?: Discover;
  /** Daily bars for days whose snapshot can no longer be taken; without it such gaps are only reported. */
  openHistorical?: () => Promise<HistoricalSession>;
  /** At most this many contracts per missed day are filled from daily bars (IB paces historical requests). */
  historicalFillLimit?: number;
  /** Aborted when the daemon stops (SIGTERM) or pg-boss takes the job back: the collection stops early. */
  signal?: AbortSignal;
  /** Where each slot's outcome is reported (`slot_finished`) for alerts and metrics. */
  events: EventSink;
  /** The `quality:` settings: which bookkeeping rules run, at what severity. Default: the defaults. */
  quality?: QualitySettings;
  /** Takes a backup (src/store/backup) for the `backup` slot; without it the slot only says so. */
  backup?: () => Promise<{ summary: string; records: number }>;
  /** The archive target and retention.keep_days for the monthly `archive` slot; without them it is skipped. */
  archive?: ArchiveSettings;
}

/** A bookkeeping rule's issue as a data_quality_issues row of (date, symbol, type). */
function issueRow(
  issue: QualityIssue,
  where: { date: IsoDate; symbol: string | null; type: string },
): QualityIssueInput {
  return {
    collectionDate: where.date,
    symbol: where.symbol,
    collectionType: where.type,
    contractId: issue.contractId,
    rule: issue.rule,
    severity: issue.severity,
    message: issue.message,
  };
}

/**
 * A collection stopped by the daemon's shutdown or a lost job claim. Thrown so that pg-boss hands the job
 * back (retry with backoff); the collector resumes from what it stored.
 */
export class SlotInterrupted extends Error {
  override name = "SlotInterrupted";
}

function slotLabel(slot: SlotJob): Record<string, unknown> {
  return { slot: slot.key, type: slot.type, symbol: slot.symbol, date: slot.date };
}

/**
 * Runs one job of the slot queue. A slot already completed (or recorded as missed) is skipped,
 * which is what makes a duplicate job, a retry after a crash, or a second daemon harmless; a slot
 * whose window has passed is recorded as missed instead of run. A throw hands the job back to
 * pg-boss, which retries it with backoff and dead-letters it after the last attempt.
 */
export async function handleSlot(
  slot: SlotJob,
  job: { id: string; retryCount: number },
  given: HandlerDeps,
): Promise<RunOutcome> {
  // One id per attempt: in its log lines, its daemon_slot_runs and status rows, and the collection it runs.
  const runId = newRunId();
  const deps: HandlerDeps = { ...given, logger: given.logger.child({ runId }) };
  const { db, clock, logger } = deps;
  const finished = (outcome: SlotFinished["outcome"], error?: string): void =>
    deps.events.emit(slotFinished(slot, runId, outcome, error));
  const attemptId = await recordSlotRunStart(db, {
    key: slot.key,
    type: slot.type,
    symbol: slot.symbol,
    date: slot.date,
    daemonId: deps.daemonId,
    jobId: job.id,
    attempt: job.retryCount + 1,
    runId,
  });
  if (await isFinal(db, slot)) {
    logger.info(slotLabel(slot), "slot already done; skipped");
    await recordRunEnd(db, attemptId, "skipped", "already completed or missed");
    finished("skipped");
    return "skipped";
  }
  const now = clock.now();
  if (now.getTime() > Date.parse(slot.validUntil)) {
    const reason = `dequeued at ${now.toISOString()}, after its window closed`;
    await markMissed(db, slot, new Date(slot.at), reason, runId);
    logger.warn(
      { ...slotLabel(slot), validUntil: slot.validUntil },
      "slot missed: its window closed before it ran",
    );
    await recordRunEnd(db, attemptId, "missed", "window closed before it ran");
    finished("missed", reason);
    return "missed";
  }
  logger.info({ ...slotLabel(slot), attempt: job.retryCount + 1 }, "slot started");
  const started = performance.now();
  try {
    const detail = isCollectionType(slot.type)
      ? await runCollectionSlot(slot, deps, runId)
      : await runBookkeepingSlot(slot, deps, runId);
    const outcome: RunOutcome = detail === null ? "skipped" : "completed";
    await recordRunEnd(db, attemptId, outcome, detail ?? "claimed elsewhere");
    logger.info(
      { ...slotLabel(slot), outcome, detail, ms: Math.round(performance.now() - started) },
      "slot finished",
    );
    // A collection that kept what it could get is finished, but not complete.
    finished(detail === "partial" ? "partial" : outcome);
    return outcome;
  } catch (error) {
    const message = errorMessage(error);
    if (error instanceof SlotInterrupted) {
      await recordRunEnd(db, attemptId, "interrupted", message).catch(() => undefined);
      logger.warn({ ...slotLabel(slot), reason: message }, "slot interrupted; handed back to the queue");
      finished("interrupted", message);
      throw error;
    }
    await recordRunEnd(db, attemptId, "failed", message).catch(() => undefined);
    if (isDatabaseUnavailable(error) || error instanceof DatabaseOutageError) {
      // Reported once per outage already; the slot is simply tried again once the database is back.
      logger.warn(
        { ...slotLabel(slot), err: message },
        "slot interrupted by a database outage; pg-boss retries it",
      );
    } else logger.error({ ...slotLabel(slot), err: error }, "slot failed; pg-boss retries it with backoff");
    finished("failed", message);
    throw error;
  }
}

async function runCollectionSlot(slot: SlotJob, deps: HandlerDeps, runId: string): Promise<string> {
  const symbol = slot.symbol;
  if (symbol === null) throw new Error(`collection slot ${slot.key} names no symbol: the plan must give one`);
  // The gateway client waits on the real clock, the daemon's may be virtual (tests): hand over what is
  // left of the window.
  const windowLeftMs = Date.parse(slot.validUntil) - deps.clock.now().getTime();
  const summary = await deps.collect(
    {
      date: slot.date,
      symbols: [symbol],
      type: slot.type as CollectionType,
      deadline: new Date(Date.now() + windowLeftMs),
    },
    { signal: deps.signal, runId },
  );
  // The collector keeps the status row; it is the judge of whether the run is done.
  const status = await slotStatus(deps.db, slot);
  if (status === "completed") return status;
  // A run cut short reads `partial` too, but unlike a partial collection it is not finished.
  if (deps.signal?.aborted) {
    throw new SlotInterrupted(
      `collection ${slot.key} interrupted (${stopReason(deps.signal)}) with status ${status ?? "none"}; ` +
        "its stored quotes are kept and the retry resumes",
    );
  }
  if (status === "partial") return status;
  const busy = summary.symbols.find((entry) => entry.status === "busy");
  // Another run (a manual `collect`, a second daemon) holds the key: pg-boss retries after its backoff,
  // by when that run has finished and the retry finds the slot done.
  if (busy)
    throw new Error(`${busy.error ?? `collection ${slot.key} is held by another run`}; retried with backoff`);
  // The run is for this one symbol. Its cause goes with it: after the last retry this message is the dead
  // letter's, which `status` shows.
  const cause = summary.symbols.find((entry) => entry.error !== undefined)?.error;
  throw new Error(`collection ${slot.key} ended with status ${status ?? "none"}${cause ? `: ${cause}` : ""}`);
}

function stopReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === "string") return reason;
  return reason instanceof Error ? reason.message : "stop requested";
}

/** Returns a one-line summary, or null when another worker holds or finished the slot. */
async function runBookkeepingSlot(slot: SlotJob, deps: HandlerDeps, runId: string): Promise<string | null> {
  const { db } = deps;
  // The row's times are the daemon's clock, like the plan that made the slot.
  const claimed = await claimSlot(db, slot, new Date(slot.at), runId, {
    startedAt: deps.clock.now(),
    ...(deps.zone === undefined ? {} : { timezone: deps.zone }),
  });
  if (!claimed) return null;
  try {
    const { summary, records } = await bookkeeping(slot, deps);
    await finishSlot(db, slot, {
      status: "completed",
      records,
      message: summary,
      completedAt: deps.clock.now(),
    });
    return summary;
  } catch (error) {
    await finishSlot(db, slot, {
      status: "failed",
      message: errorMessage(error),
    });
    throw error;
  }
}

async function bookkeeping(slot: SlotJob, deps: HandlerDeps): Promise<{ summary: string; records: number }> {
  const symbols = slot.symbol === null ? deps.symbols : [slot.symbol];
  switch (slot.type) {
    case "weekly_discovery":
    case "monthly_discovery": {
      if (!deps.discover) {
        // Discovery also happens inside every collection run; this slot only refreshes it early.
        return {
          summary: "no stand-alone discovery available; chains are discovered by the next collection",
          records: 0,
        };
      }
      const { contracts } = await deps.discover({ date: slot.date, symbols });
      return { summary: `discovered ${contracts} contracts for ${symbols.join(",")}`, records: contracts };
    }
    case "expiry_processing": {
      const check = await processExpiry(deps.db, slot.date);
      await recordQualityIssues(
        deps.db,
        expiryDayUncollectedIssues(
          deps.quality ?? DEFAULT_QUALITY_SETTINGS,
          slot.date,
          check.uncollected.slice(0, 1000),
        ).map((issue) => issueRow(issue, { date: slot.date, symbol: null, type: "expiry_processing" })),
      );
      return {
        summary: `${check.expired} contracts expired, ${check.collected} with expiry-day data, ${check.uncollected.length} without`,
        records: check.expired,
      };
    }
    case "post_expiry":
      return postExpiry(slot, deps);
    case "archive":
      if (!deps.archive) return { summary: "no archive configured; nothing archived or dropped", records: 0 };
      return archiveAndRetain(deps.db, deps.archive, { now: deps.clock.now(), logger: deps.logger });
    case "gap_check":
      return gapCheck(slot, deps);
    case "backup":
      return deps.backup ? deps.backup() : { summary: "no backup configured for this daemon", records: 0 };
    case "weekend_review": {
      const counts = await countCollectionsByStatus(deps.db, addDays(slot.date, -7), slot.date, ALL_SYMBOLS);
      const total = counts.reduce((sum, row) => sum + row.count, 0);
      const completed = counts
        .filter((row) => row.status === "completed")
        .reduce((sum, row) => sum + row.count, 0);
      deps.logger.info({ counts, completed, total }, "weekly review");
      return {
        summary: `${completed}/${total} collections completed in the 7 days to ${slot.date}`,
        records: total,
      };
    }
    case "weekend_prep": {
      const now = deps.clock.now();
      const coming = deps.plan(now, new Date(now.getTime() + 7 * DAY_MS));
      deps.logger.info(
        { slots: coming.length, first: coming[0] && toJob(coming[0]).key },
        "the coming week's plan",
      );
      return { summary: `${coming.length} slots planned for the coming week`, records: coming.length };
    }
    default:
      throw new Error(`no handler for slot type "${slot.type}"; it is dead-lettered after its retries`);
  }
}

/** The next trading day after an expiry: every contract that expired since the last check has its data. */
async function postExpiry(slot: SlotJob, deps: HandlerDeps): Promise<{ summary: string; records: number }> {
  const from = addDays(slot.date, -7);
  const to = addDays(slot.date, -1);
  // Contracts expiring on days with no expiry_processing slot (weeklies) are processed here too.
  for (let date = from; date <= to; date = addDays(date, 1)) await processExpiry(deps.db, date);
  const missing = await expiredWithoutExpiryData(deps.db, from, to);
  const quality = deps.quality ?? DEFAULT_QUALITY_SETTINGS;
  await recordQualityIssues(
    deps.db,
    missing
      .slice(0, 1000)
      .flatMap((contract) =>
        expiryNotCollectedIssues(quality, [contract]).map((issue) =>
          issueRow(issue, { date: contract.expiration, symbol: contract.symbol, type: "post_expiry" }),
        ),
      ),
  );
  return {
    summary: `${missing.length} contracts expired ${from}..${to} without expiry-day data`,
    records: missing.length,
  };
}

/**
 * Looks back `gapCheckDays` for planned collections that did not complete. Those still inside
 * their window are queued again (once per gap check); the rest are recorded as data-quality
 * issues, since a snapshot cannot be taken after the fact.
 */
async function gapCheck(slot: SlotJob, deps: HandlerDeps): Promise<{ summary: string; records: number }> {
  const { db, queue, clock, logger } = deps;
  const events = deps.events ?? discardEvents;
  const now = clock.now();
  const installedAt = (await readInstall(db)) ?? now;
  const expected = deps
    .plan(new Date(now.getTime() - deps.gapCheckDays * DAY_MS), now)
    .filter((planned) => isCollectionType(planned.type) && planned.symbol !== null);
  let requeued = 0;
  const gaps: { key: string; status: string }[] = [];
  const unrecoverable = new Map<string, { symbol: string; date: string }>();
  const issues: QualityIssueInput[] = [];
  for (const planned of expected) {
    const status = await slotStatus(db, planned);
    if (status === "completed") continue;
    const job = toJob(planned);
    const jobState = await queue.jobState(queueFor(planned.type), job.key);
    if (jobState === "created" || jobState === "retry" || jobState === "active") continue; // still on its way
    // A slot whose window had closed before chainvault first started here was never expected of it: no gap,
    // no issue, no day for daily bars. (One still open then is recovered and reported like any other.)
    if (planned.validUntil <= installedAt) continue;
    gaps.push({ key: job.key, status: status ?? "none" });
    const gap = {
      date: planned.date,
      symbol: planned.symbol!,
      type: planned.type,
      status: status ?? "missing",
    };
    if (now <= planned.validUntil && status !== "partial") {
      if (await queue.enqueueRecovery(queueFor(planned.type), job, `gap:${slot.date}`)) requeued += 1;
      events.emit({
        kind: "gap_found",
        ...gap,
        recoverable: true,
        detail: `${job.key} is ${gap.status}; re-queued while its window is open (until ${job.validUntil})`,
      });
      continue;
    }
    events.emit({
      kind: "gap_found",
      ...gap,
      recoverable: false,
      detail: `${job.key} is ${gap.status} and its window closed at ${job.validUntil}; its snapshot cannot be taken afterwards`,
    });
    // The EOD is the day's record; a day without it is what daily bars can partly make up for.
    if (planned.type === "eod" && status !== "partial") {
      unrecoverable.set(`${planned.symbol}:${planned.date}`, { symbol: planned.symbol!, date: planned.date });
    }
    issues.push(
      ...collectionGapIssues(deps.quality ?? DEFAULT_QUALITY_SETTINGS, {
        key: job.key,
        status,
        validUntil: job.validUntil,
      }).map((issue) => issueRow(issue, { date: planned.date, symbol: planned.symbol, type: planned.type })),
    );
  }
  await recordQualityIssues(db, issues);
  const days = [...new Set(gaps.map((gap) => gap.key.split(":")[2]))];
  if (gaps.length > 0) logger.warn({ days, gaps }, "gap check found missing or partial collections");
  const filled = await fillFromDailyBars([...unrecoverable.values()], deps);
  return {
    summary:
      `${gaps.length} gaps on ${days.length} trading days (${days.join(", ") || "none"}); ${requeued} re-queued` +
      (deps.openHistorical ? `; ${filled} daily bars stored` : ""),
    records: gaps.length,
  };
}

/**
 * A missed day cannot be snapshotted afterwards, but IB still has daily bars for contracts that
 * have not expired: their close and volume are stored as hist_daily rows at the 16:00 ET close.
 */
async function fillFromDailyBars(
  missedDays: { symbol: string; date: string }[],
  deps: HandlerDeps,
): Promise<number> {
  if (!deps.openHistorical || missedDays.length === 0) return 0;
  const { db, logger } = deps;
  const today = toEt(deps.clock.now()).date;
  let stored = 0;
  let session: HistoricalSession | null = null;
  try {
    for (const day of missedDays) {
      if (await hasHistoricalFill(db, day.symbol, day.date)) continue;
      const contracts = await lastQuotedContracts(
        db,
        day.symbol,
        day.date,
        today,
        deps.historicalFillLimit ?? 20,
      );
      if (contracts.length === 0) continue;
      session ??= await deps.openHistorical();
      const close = etInstant(day.date, sessionOf(day.date, "equity")?.closeEt ?? "16:00");
      for (const contract of contracts) {
        try {
          const bars = await session.dailyBars(contract.conId, day.date, 1);
          const bar = bars.find((candidate) => candidate.date === day.date);
          if (!bar) continue;
          await storeDailyBar(db, {
            contractId: contract.contractId,
            date: day.date,
            time: close,
            close: bar.close,
            volume: bar.volume,
          });
          stored += 1;
        } catch (error) {
          logger.warn({ err: error, conId: contract.conId, date: day.date }, "no daily bar for a missed day");
        }
      }
      logger.info(
        { symbol: day.symbol, date: day.date, contracts: contracts.length },
        "missed day filled from daily bars",
      );
    }
  } finally {
    await session?.close();
  }
  return stored;
}

/**
 * A slot whose retries ran out: recorded in collection_dead_letters (the table `chainvault status`
 * and the alerts read) with the last error, for a person to look at or replay.
 */
export async function recordSlotDeadLetter(
  slot: SlotJob,
  deps: Pick<HandlerDeps, "db" | "logger" | "events">,
): Promise<void> {
  const failures = await slotFailures(deps.db, slot.key);
  // The last attempt's id: its log lines and status row tell why the slot was given up.
  const runId = failures.lastRunId ?? newRunId();
  const message = `retries exhausted: ${failures.lastDetail ?? "no error recorded"}`;
  await recordDeadLetter(deps.db, {
    collectionDate: slot.date,
    symbol: slot.symbol ?? ALL_SYMBOLS,
    collectionType: slot.type,
    category: "permanent",
    errorMessage: message,
    attempts: failures.attempts,
    payload: slot,
    runId,
  });
  deps.logger.error(
    { runId, slot: slot.key, attempts: failures.attempts, lastError: failures.lastDetail },
    "slot dead-lettered: its retries ran out (see collection_dead_letters and `chainvault status`; run it by hand with `chainvault collect`)",
  );
  deps.events.emit(slotFinished(slot, runId, "dead_lettered", message));
}
