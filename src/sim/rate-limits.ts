/**
 * IB's pacing rules as the gateway enforces them: client messages per second, and historical-data pacing.
 * Infinity lifts a limit.
 */
export class MessageRateLimiter {
  private readonly accepted: number[] = [];
  private readonly rejected: number[] = [];
  private lastWarning = -Infinity;

  constructor(private readonly perSecond: number) {}

  /** "ok", "exceeded" (drop the message, warn at most once a second) or "abusive" (disconnect). */
  check(now: number): { verdict: "ok" | "exceeded" | "abusive"; warn: boolean; count: number } {
    if (!Number.isFinite(this.perSecond)) return { verdict: "ok", warn: false, count: 0 };
    while (this.accepted.length > 0 && (this.accepted[0] as number) <= now - 1000) this.accepted.shift();
    while (this.rejected.length > 0 && (this.rejected[0] as number) <= now - 5000) this.rejected.shift();
    if (this.accepted.length < this.perSecond) {
      this.accepted.push(now);
      return { verdict: "ok", warn: false, count: this.accepted.length };
    }
    this.rejected.push(now);
    // Sustained abuse: as many rejected messages within 5 s as one second's allowance.
    if (this.rejected.length > this.perSecond)
      return { verdict: "abusive", warn: false, count: this.accepted.length + 1 };
    const warn = now - this.lastWarning >= 1000;
    if (warn) this.lastWarning = now;
    return { verdict: "exceeded", warn, count: this.accepted.length + 1 };
  }
}

export interface HistoricalPacingOptions {
  /** Identical requests closer than this violate pacing (IB: 15 s). */
  identicalWindowMs: number;
  /** Requests allowed in any 10 minutes (IB: 60). */
  perTenMinutes: number;
}

export const IB_HISTORICAL_PACING: HistoricalPacingOptions = { identicalWindowMs: 15_000, perTenMinutes: 60 };

export class HistoricalPacer {
  private readonly recent: { at: number; key: string }[] = [];

  constructor(private readonly options: HistoricalPacingOptions) {}

  /** Records the request and says whether it violates pacing. */
  violates(key: string, now: number): boolean {
    while (this.recent.length > 0 && (this.recent[0] as { at: number }).at <= now - 600_000)
      this.recent.shift();
    const identical = this.recent.some(
      (entry) => entry.key === key && now - entry.at < this.options.identicalWindowMs,
    );
    const tooMany = this.recent.length >= this.options.perTenMinutes;
    if (identical || tooMany) return true;
    this.recent.push({ at: now, key });
    return false;
  }
}
