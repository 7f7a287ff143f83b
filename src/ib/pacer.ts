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
 */
export interface PacerOptions {
  messagesPerSecond: number;
  lines: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

type Priority = "high" | "normal";

interface PendingSend {
  send: () => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class RequestPacer {
  readonly messagesPerSecond: number;
  readonly lines: number;
  private readonly now: () => number;
  /** Milliseconds between two messages at the configured rate. */
  private readonly intervalMs: number;
  /** The theoretical time of the next message; a message may go up to one interval before it. */
  private nextAt = Number.NEGATIVE_INFINITY;
  private readonly high: PendingSend[] = [];
  private readonly normal: PendingSend[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  private linesInUse = 0;
  private readonly lineWaiters: Array<() => void> = [];
  /** Messages sent through this pacer since it was created. */
  messagesSent = 0;

  constructor(options: PacerOptions) {
    if (!(options.messagesPerSecond > 0)) throw new Error("messagesPerSecond must be positive");
    if (!(options.lines >= 1)) throw new Error("lines must be at least 1");
    this.messagesPerSecond = options.messagesPerSecond;
    this.lines = Math.floor(options.lines);
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = 1000 / options.messagesPerSecond;
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

  /** Holds all sending for `ms` (after error 100: IB asks us to slow down). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.pump();
  }

  /** Waits for a free market-data line. Pair every acquire with exactly one release. */
  acquireLine(): Promise<void> {
    if (this.linesInUse < this.lines) {
      this.linesInUse++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.lineWaiters.push(resolve));
  }

  releaseLine(): void {
    const next = this.lineWaiters.shift();
    if (next) next();
    else if (this.linesInUse > 0) this.linesInUse--;
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

  private pump(): void {
    if (this.timer) return;
    for (;;) {
      const pending = this.high[0] ?? this.normal[0];
      if (!pending) return;
      const now = this.now();
      const readyAt = Math.max(this.nextAt - this.intervalMs, this.pausedUntil);
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
      this.nextAt = Math.max(this.nextAt, now) + this.intervalMs;
      this.messagesSent++;
      try {
        pending.send();
        pending.resolve();
      } catch (error) {
        pending.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
