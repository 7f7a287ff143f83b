/** The simulated clock: starts at a chosen New York date/time and then runs in real time (or stands still). */
export interface SimClock {
  now(): Date;
  /** Jump to an instant; the clock keeps running from there unless paused. */
  set(instant: Date): void;
  pause(): void;
  resume(): void;
}

export function createClock(start: Date, paused = false): SimClock {
  let base = start.getTime();
  let realBase = Date.now();
  let frozen = paused;
  const now = () => new Date(frozen ? base : base + (Date.now() - realBase));
  return {
    now,
    set(instant) {
      base = instant.getTime();
      realBase = Date.now();
    },
    pause() {
      base = now().getTime();
      frozen = true;
    },
    resume() {
      if (!frozen) return;
      realBase = Date.now();
      frozen = false;
    },
  };
}
