import type { Clock } from "../core/clock.ts";
import type { ChainvaultEvent, EventBus } from "../core/events.ts";

/** One symbol's run as the dashboard shows it while it goes: its latest progress event and when it came. */
export type RunProgress = Omit<Extract<ChainvaultEvent, { kind: "collection_progress" }>, "kind"> & {
  updatedAt: Date;
};

export interface ProgressSnapshot {
  /** Where the figures come from: this process's collector ("live"), or nothing running here. */
  runs: RunProgress[];
  /** Messages sent to the gateway per second over the last RATE_WINDOW_MS. */
  messagesPerSecond: number;
}

/** Long enough to smooth the pacer's bursts, short enough that a stop shows within seconds. */
const RATE_WINDOW_MS = 5000;
/** A finished run stays on the page this long, so a short one is seen at all. */
const KEEP_FINISHED_MS = 60_000;

/**
 * The runs of this process (the daemon's collector) from its events: contracts done / total, lines in use,
 * and the message rate. Kept in memory only; the page polls it.
 */
export class LiveProgress {
  readonly #clock: Clock;
  readonly #runs = new Map<string, RunProgress>();
  readonly #sent: { at: number; count: number }[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  attach(events: EventBus): () => void {
    return events.on((event) => this.observe(event));
  }

  observe(event: ChainvaultEvent): void {
    const now = this.#clock.now();
    if (event.kind === "collection_progress") {
      const { kind: _kind, ...fields } = event;
      this.#runs.set(`${event.runId}:${event.symbol}`, { ...fields, updatedAt: now });
    } else if (event.kind === "collection_finished") {
      const run = this.#runs.get(`${event.runId}:${event.symbol}`);
      if (run)
        this.#runs.set(`${event.runId}:${event.symbol}`, {
          ...run,
          phase: "done",
          linesInUse: 0,
          updatedAt: now,
        });
    } else if (event.kind === "ib_messages_sent") {
      this.#sent.push({ at: now.getTime(), count: event.count });
      this.#trim(now.getTime());
    }
  }

  snapshot(): ProgressSnapshot {
    const now = this.#clock.now().getTime();
    this.#trim(now);
    for (const [key, run] of this.#runs)
      if (run.phase === "done" && now - run.updatedAt.getTime() > KEEP_FINISHED_MS) this.#runs.delete(key);
    const sent = this.#sent.reduce((sum, entry) => sum + entry.count, 0);
    return {
      runs: [...this.#runs.values()],
      messagesPerSecond: Math.round((sent / (RATE_WINDOW_MS / 1000)) * 10) / 10,
    };
  }

  #trim(now: number): void {
    while (this.#sent.length > 0 && now - this.#sent[0]!.at > RATE_WINDOW_MS) this.#sent.shift();
  }
}
