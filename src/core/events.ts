import type { IsoDate } from "../calendar/index.ts";
import type { Logger } from "../logger.ts";

/**
 * What a planned slot (date, symbol, type) came to, as `status` reports it. "skipped" is a slot whose window
 * closed before chainvault first started on the database: nothing was expected of it.
 */
export const SLOT_OUTCOMES = [
  "completed",
  "partial",
  "failed",
  "dead_lettered",
  "missed",
  "running",
  "pending",
  "skipped",
] as const;
export type SlotOutcome = (typeof SLOT_OUTCOMES)[number];

/** Outcomes that mean data was lost or is at risk: `status` exits 3 and an alert is raised. */
export const FAILED_OUTCOMES: ReadonlySet<SlotOutcome> = new Set(["failed", "dead_lettered", "missed"]);

/** How bad a data-quality issue is; `error` makes `chainvault quality` exit 3 and raises an alert. */
export const ISSUE_SEVERITIES = ["info", "warning", "error"] as const;
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number];

/**
 * Facts the collector and the daemon report as they happen, for whoever observes them (alerts,
 * metrics, progress). A producer never waits on an observer and never fails because of one.
 */
export type ChainvaultEvent =
  | {
      kind: "collection_finished";
      runId: string;
      date: IsoDate;
      symbol: string;
      type: string;
      status: "completed" | "partial" | "failed" | "skipped" | "busy";
      listed: number;
      selected: number;
      stored: number;
      /** stored / selected, 0..1. */
      coverage: number;
      durationSeconds: number;
      error?: string;
    }
  | {
      kind: "slot_finished";
      runId: string;
      slotKey: string;
      date: IsoDate;
      /** "*" for slots not about one underlying. */
      symbol: string;
      type: string;
      outcome: "completed" | "partial" | "failed" | "dead_lettered" | "missed" | "skipped" | "interrupted";
      error?: string;
    }
  | {
      kind: "quality_checked";
      runId: string;
      date: IsoDate;
      symbol: string;
      type: string;
      /**
       * The status the checked run recorded. A failed run is retried, then dead-lettered: its thin coverage is
       * that slot's failure (slot_failed), not a second alert.
       */
      status?: "completed" | "partial" | "failed";
      /** Every rule that ran, with how many issues it found (0 when clean) and the first one's message. */
      issues: readonly { rule: string; severity: IssueSeverity; count: number; message: string }[];
      /** The run's quality score, 0..1 (src/quality/score.ts), over `contracts` expected contracts. */
      score: number;
      contracts: number;
    }
  | {
      kind: "collection_progress";
      runId: string;
      date: IsoDate;
      symbol: string;
      type: string;
      phase: "discovery" | "snapshots" | "done";
      /** Contracts finished / to request in this symbol's snapshot phase. */
      done: number;
      total: number;
      /** Market-data lines the run's gateway connection holds now, and may hold at once. */
      linesInUse: number;
      lines: number;
    }
  | { kind: "ib_messages_sent"; count: number }
  | { kind: "ib_error"; code: number }
  | {
      kind: "gateway_unreachable";
      date: IsoDate;
      symbol: string;
      type: string;
      runId: string;
      error: string;
      /** Which of the configured gateways (a fleet's worker names its own); absent: the one gateway. */
      gateway?: string;
    }
  | { kind: "gateway_reachable" }
  | {
      kind: "gap_found";
      date: IsoDate;
      symbol: string;
      type: string;
      /** False when IB can no longer give the day back (its contracts expired or were dropped). */
      recoverable: boolean;
      /** The slot's status row: missing (none), failed, missed or partial. A partial day has most of its data. */
      status?: string;
      detail: string;
    };

export type EventKind = ChainvaultEvent["kind"];
export type EventListener = (event: ChainvaultEvent) => void | Promise<void>;

/** Where producers report events. Passed in, never global, so tests observe exactly their own run. */
export interface EventSink {
  emit(event: ChainvaultEvent): void;
}

export const discardEvents: EventSink = { emit: () => {} };

/**
 * Fans events out to listeners. A listener that throws or rejects is logged and skipped; the
 * producer carries on. `settled()` resolves when every listener started so far has finished, so a
 * daemon can flush alerts before it exits and a test can wait for them.
 */
export class EventBus implements EventSink {
  readonly #listeners = new Set<EventListener>();
  readonly #pending = new Set<Promise<void>>();
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  on(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ChainvaultEvent): void {
    for (const listener of this.#listeners) {
      let result: void | Promise<void>;
      try {
        result = listener(event);
      } catch (error) {
        this.#logger?.warn({ err: error, event: event.kind }, "an event listener failed; carrying on");
        continue;
      }
      if (result instanceof Promise) {
        const tracked: Promise<void> = result
          .catch((error: unknown) => {
            this.#logger?.warn({ err: error, event: event.kind }, "an event listener failed; carrying on");
          })
          .finally(() => this.#pending.delete(tracked));
        this.#pending.add(tracked);
      }
    }
  }

  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
