import { discardEvents } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";

/**
 * The one request pacer of a gateway connection. IB allows 50 client messages per second and 100
 * market-data lines; going over either costs error 100 (and a disconnect) or 101. Every outgoing message
 * — requests, cancels, type switches — goes through `send`.
 *
 * Messages are spaced evenly (a virtual-scheduling/GCRA pacer on the monotonic clock) rather than sent in
 * bursts of a whole second's allowance: a burst at the edge of a one-second window is what the gateway
 * counts twice when its clock and ours disagree by a few milliseconds. Any one-second window holds at most
 * `messagesPerSecond + 2` messages, and the long-run rate is exactly `messagesPerSecond`.
 * Lines are a counting semaphore: a streaming request holds one until its cancel is sent, a snapshot until
 * TICK_SNAPSHOT_END.
 *
 * The configured rate and line count are ceilings, not promises: a gateway that is slower than configured
 * (error 100) gets half the rate, which then creeps back up (AIMD, as TCP does), so a slow gateway costs
 * time instead of disconnects and dead letters; a gateway with fewer free lines than configured (error 101,
 * e.g. TWS watchlists hold some) gets a smaller line budget.
 */
export interface PacerOptions {
  /** The ceiling: the rate the pacer starts at and climbs back to. */
  messagesPerSecond: number;
  lines: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Additive increase after a slow-down, in messages/s per second. Default: 1 % of the ceiling, at least 0.25. */
  increasePerSecond?: number;
  /** A slow-down never goes below this. Default 1 message/s. */
  minMessagesPerSecond?: number;
  /** Told of every message that went out (`ib_messages_sent`), for the daemon's metrics. */
  events?: EventSink;
}

type Priority = "high" | "normal";

interface PendingSend {
  send: () => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The gateway warns about its rate at most once a second, and a warning can still be about messages sent
 * before the last slow-down for up to a second: later warnings inside that time do not halve again.
 */
const DECREASE_COOLDOWN_MS = 1000;
/** After error 100 nothing is sent for this long, so the gateway's one-second window empties. */
const PACING_PAUSE_MS = 1000;

export class RequestPacer {
  /** The configured ceilings. */
  readonly maxMessagesPerSecond: number;
  readonly maxLines: number;
  private readonly minRate: number;
  private readonly increasePerSecond: number;
  private readonly now: () => number;
  private readonly events: EventSink;
  /** The rate at `rateSince`; it grows by increasePerSecond from there up to the ceiling. */
  private rateBase: number;
  private rateSince = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** The theoretical time of the next message; a message may go up to one interval before it. */
  private nextAt = Number.NEGATIVE_INFINITY;
  private readonly high: PendingSend[] = [];
  private readonly normal: PendingSend[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  private lineBudget: number;
  private linesInUse = 0;
  private readonly lineWaiters: Array<() => void> = [];
  /** Messages sent through this pacer since it was created. */
  messagesSent = 0;
  /** How often the rate was halved (error 100) and the line budget shrunk (error 101). */
  slowDowns = 0;
  lineShrinks = 0;
  /** The rate the last slow-down set: one the gateway accepted. */
  rateAfterSlowDown: number | undefined;

  constructor(options: PacerOptions) {
    if (!(options.messagesPerSecond > 0)) throw new Error("messagesPerSecond must be positive");
    if (!(options.lines >= 1)) throw new Error("lines must be at least 1");
    this.maxMessagesPerSecond = options.messagesPerSecond;
    this.maxLines = Math.floor(options.lines);
    this.lineBudget = this.maxLines;
    this.now = options.now ?? (() => performance.now());
    this.events = options.events ?? discardEvents;
    this.minRate = Math.min(options.minMessagesPerSecond ?? 1, options.messagesPerSecond);
    this.increasePerSecond = options.increasePerSecond ?? Math.max(0.25, options.messagesPerSecond / 100);
    this.rateBase = options.messagesPerSecond;
  }

  /** The rate messages go out at now: the ceiling, or less after a pacing violation. */
  get messagesPerSecond(): number {
    return this.rateAt(this.now());
  }

  /** Market-data lines requests may hold at once: the configured count, or less after error 101. */
  get lines(): number {
    return this.lineBudget;
  }

  /**
   * Runs `send` (which must write exactly one message) as soon as the rate allows. Cancels use
   * priority "high" so lines are freed before new requests go out.
   */
  send(send: () => void, priority: Priority = "normal"): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      (priority === "high" ? this.high : this.normal).push({ send, resolve, reject });
      this.pump();
    });
  }

  /** Holds all sending for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.reschedule();
  }

  /**
   * Error 100: the gateway counts more messages than it allows. Holds sending for a second, halves the
   * rate (once per second at most) and lets it grow again from there. Returns the new rate, or undefined
   * when this warning was still about the rate before the last slow-down.
   */
  slowDown(): number | undefined {
    const now = this.now();
    this.pause(PACING_PAUSE_MS);
    if (now - this.lastDecreaseAt < DECREASE_COOLDOWN_MS) return undefined;
    this.rateBase = Math.max(this.minRate, this.rateAt(now) / 2);
    this.rateSince = now;
    this.lastDecreaseAt = now;
    this.rateAfterSlowDown = this.rateBase;
    this.slowDowns++;
    return this.rateBase;
  }

  /**
   * Starts from `rate` (what this gateway allowed last time) instead of the ceiling, climbing back to it as
   * after error 100. A rate at or above the ceiling changes nothing.
   */
  resumeAt(rate: number): void {
    const now = this.now();
    this.rateBase = Math.min(this.rateAt(now), Math.max(this.minRate, rate));
    this.rateSince = now;
  }

  /**
   * Error 101: the gateway has no line for a request although we held fewer than our budget. The lines it
   * did grant (those in use, less the one refused) become the budget. Returns the new budget.
   */
  shrinkLines(): number {
    const granted = Math.max(1, this.linesInUse - 1);
    if (granted < this.lineBudget) {
      this.lineBudget = granted;
      this.lineShrinks++;
    }
    return this.lineBudget;
  }

  /** A new connection starts with no lines at the gateway: the configured budget applies again. */
  restoreLines(): void {
    this.lineBudget = this.maxLines;
    this.grantLines();
  }

  /** Waits for a free market-data line. Pair every acquire with exactly one release. */
  acquireLine(): Promise<void> {
    if (this.linesInUse < this.lineBudget && this.lineWaiters.length === 0) {
      this.linesInUse++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.lineWaiters.push(resolve));
  }

  releaseLine(): void {
    if (this.linesInUse > 0) this.linesInUse--;
    this.grantLines();
  }

  get linesHeld(): number {
    return this.linesInUse;
  }

  get queued(): number {
    return this.high.length + this.normal.length;
  }

  /** Rejects everything still queued (the connection is gone). Lines are left to their holders to release. */
  failQueued(error: Error): void {
    for (const pending of [...this.high.splice(0), ...this.normal.splice(0)]) pending.reject(error);
  }

  private grantLines(): void {
    while (this.linesInUse < this.lineBudget) {
      const next = this.lineWaiters.shift();
      if (!next) return;
      this.linesInUse++;
      next();
    }
  }

  private rateAt(now: number): number {
    const grown = this.rateBase + (this.increasePerSecond * Math.max(0, now - this.rateSince)) / 1000;
    return Math.min(this.maxMessagesPerSecond, grown);
  }

  /** A pause set while a timer waits for an earlier moment: wait for the later one instead. */
  private reschedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
  }

  private pump(): void {
    if (this.timer) return;
    for (;;) {
      const pending = this.high[0] ?? this.normal[0];
      if (!pending) return;
      const now = this.now();
      const intervalMs = 1000 / this.rateAt(now);
      const readyAt = Math.max(this.nextAt - intervalMs, this.pausedUntil);
      if (readyAt > now) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.ceil(readyAt - now),
        );
        return;
      }
      (this.high[0] ? this.high : this.normal).shift();
      this.nextAt = Math.max(this.nextAt, now) + intervalMs;
      this.messagesSent++;
      try {
        pending.send();
        this.events.emit({ kind: "ib_messages_sent", count: 1 });
        pending.resolve();
      } catch (error) {
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
