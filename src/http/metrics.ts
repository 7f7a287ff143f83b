import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Clock } from "../core/clock.ts";
import { FAILED_OUTCOMES } from "../core/events.ts";
import type { ChainvaultEvent, EventBus } from "../core/events.ts";
import { SLOT_TYPES } from "../schedule/index.ts";
import type { Queryable } from "../store/database.ts";
import { lastCompletedCollections } from "../store/repositories/collection-status.ts";
import type { ReadinessReport } from "./readiness.ts";

export interface MetricsOptions {
  /** The daemon's clock: a success is stamped with its time. */
  clock: Clock;
  /** Node's process metrics (CPU, memory, event loop, …); off only where a test wants a short page. */
  defaultMetrics?: boolean;
  /** When the scheduler loop last went round (`chainvault_scheduler_last_loop_timestamp_seconds`). */
  lastLoopAt?: () => Date | null;
  /** The cached readiness checks (`chainvault_ready{check}`): a scrape never checks more than once per tick. */
  readiness?: () => Promise<ReadinessReport>;
}

/**
 * A collection run takes seconds (a small chain) to an hour (every contract of three symbols at IB's 50
 * messages/s); buckets cover that range.
 */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

const seconds = (date: Date): number => date.getTime() / 1000;

/**
 * The daemon's Prometheus metrics, fed by its events. One registry per daemon (never prom-client's global
 * one), so two daemons or two tests in one process never share a counter.
 */
export class ChainvaultMetrics {
  readonly registry = new Registry();
  readonly #clock: Clock;
  readonly #lastSuccess: Gauge<"symbol" | "type">;
  readonly #coverage: Gauge<"symbol" | "type">;
  readonly #quotesStored: Counter;
  readonly #slotRuns: Counter<"type" | "outcome">;
  readonly #duration: Histogram;
  readonly #ibMessages: Counter;
  readonly #ibErrors: Counter<"code">;
  readonly #qualityIssues: Counter<"rule" | "severity">;
  /** What the last-success gauge holds, so a late read of the database never moves it back. */
  readonly #successes = new Map<string, number>();

  constructor(options: MetricsOptions) {
    this.#clock = options.clock;
    const registers = [this.registry];
    this.#lastSuccess = new Gauge({
      name: "chainvault_collection_last_success_timestamp_seconds",
      help: "When the collection of a symbol and type last completed (Unix time).",
      labelNames: ["symbol", "type"],
      registers,
    });
    this.#coverage = new Gauge({
      name: "chainvault_collection_coverage_ratio",
      help: "Quotes stored / contracts selected in the last run of a symbol and type (0..1).",
      labelNames: ["symbol", "type"],
      registers,
    });
    this.#quotesStored = new Counter({
      name: "chainvault_quotes_stored_total",
      help: "Option quotes stored by collection runs.",
      registers,
    });
    this.#slotRuns = new Counter({
      name: "chainvault_slot_runs_total",
      help: "Daemon slots that finished, by slot type and outcome.",
      labelNames: ["type", "outcome"],
      registers,
    });
    this.#duration = new Histogram({
      name: "chainvault_collection_duration_seconds",
      help: "How long a symbol's collection run took.",
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#ibMessages = new Counter({
      name: "chainvault_ib_messages_sent_total",
      help: "Messages sent to the IB gateway through the pacer.",
      registers,
    });
    this.#ibErrors = new Counter({
      name: "chainvault_ib_errors_total",
      help: "Errors the IB gateway reported (notices such as farm status left out), by IB code.",
      labelNames: ["code"],
      registers,
    });
    this.#qualityIssues = new Counter({
      name: "chainvault_quality_issues_total",
      help: "Data-quality issues found after collections, by rule and severity.",
      labelNames: ["rule", "severity"],
      registers,
    });
    // A failure series that first appears at 1 is invisible to increase(): start each at 0.
    for (const type of SLOT_TYPES)
      for (const outcome of FAILED_OUTCOMES) this.#slotRuns.inc({ type, outcome }, 0);

    const { lastLoopAt, readiness } = options;
    if (lastLoopAt) {
      new Gauge({
        name: "chainvault_scheduler_last_loop_timestamp_seconds",
        help: "When the daemon's scheduler loop last looked at the plan (Unix time).",
        registers,
        collect() {
          const at = lastLoopAt();
          if (at) this.set(seconds(at));
        },
      });
    }
    if (readiness) {
      new Gauge({
        name: "chainvault_ready",
        help: "1 when a readiness check (database, queue, gateway) passed at its last run, else 0.",
        labelNames: ["check"],
        registers,
        async collect() {
          const report = await readiness();
          for (const [check, result] of Object.entries(report.checks))
            this.set({ check }, result.ready ? 1 : 0);
        },
      });
    }
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Subscribes to the bus; returns the unsubscribe function. */
  attach(bus: EventBus): () => void {
    return bus.on((event) => this.observe(event));
  }

  observe(event: ChainvaultEvent): void {
    switch (event.kind) {
      case "collection_finished": {
        // "skipped" (already completed) and "busy" (another run has it) did no collecting of their own.
        if (event.status === "skipped" || event.status === "busy") return;
        const labels = { symbol: event.symbol, type: event.type };
        if (event.status === "completed") this.#markSuccess(labels, seconds(this.#clock.now()));
        this.#coverage.set(labels, event.coverage);
        this.#quotesStored.inc(event.stored);
        this.#duration.observe(event.durationSeconds);
        return;
      }
      case "slot_finished":
        this.#slotRuns.inc({ type: event.type, outcome: event.outcome });
        return;
      case "quality_checked":
        for (const issue of event.issues)
          this.#qualityIssues.inc({ rule: issue.rule, severity: issue.severity }, issue.count);
        return;
      case "ib_messages_sent":
        this.#ibMessages.inc(event.count);
        return;
      case "ib_error":
        this.#ibErrors.inc({ code: String(event.code) });
        return;
      default:
        return;
    }
  }

  /**
   * Sets each last-success gauge from the database, so after a restart a symbol that succeeded yesterday
   * still shows when, instead of no series at all (which an alert on its age would never see).
   */
  async loadLastSuccesses(db: Queryable): Promise<number> {
    const rows = await lastCompletedCollections(db);
    for (const row of rows)
      this.#markSuccess({ symbol: row.symbol, type: row.collectionType }, seconds(row.completedAt));
    return rows.length;
  }

  #markSuccess(labels: { symbol: string; type: string }, at: number): void {
    const key = `${labels.symbol}\u0000${labels.type}`;
    if ((this.#successes.get(key) ?? -Infinity) >= at) return;
    this.#successes.set(key, at);
    this.#lastSuccess.set(labels, at);
  }

  /** The page Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
