/** Scheduler ticks the loop may miss before the daemon counts as stalled. */
export const LIVENESS_TICKS = 3;

export interface LivenessReport {
  alive: boolean;
  /** When the scheduler loop last looked at the plan; null before its first look. */
  lastLoopAt: string | null;
  /** Seconds since then (since the daemon started, before the first look). */
  silentSeconds: number;
  limitSeconds: number;
}

/**
 * Whether the scheduler loop still goes round: it looks at the plan at least once per tick (sooner when a
 * slot is due), whether the database answers or not, so a silence of several ticks means it is stuck.
 */
export function liveness(options: {
  now: Date;
  lastLoopAt: Date | null;
  startedAt: Date;
  tickMs: number;
  ticks?: number;
}): LivenessReport {
  const since = options.lastLoopAt ?? options.startedAt;
  const silentMs = Math.max(0, options.now.getTime() - since.getTime());
  const limitMs = (options.ticks ?? LIVENESS_TICKS) * options.tickMs;
  return {
    alive: silentMs <= limitMs,
    lastLoopAt: options.lastLoopAt?.toISOString() ?? null,
    silentSeconds: Math.round(silentMs / 100) / 10,
    limitSeconds: limitMs / 1000,
  };
}
