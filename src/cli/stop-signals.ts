import os from "node:os";

/** 128 + the signal's number, as a shell reports a process ended by it: 143 for SIGTERM, 130 for SIGINT. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

/**
 * SIGTERM and SIGINT as an AbortSignal for a command's work, listened for from the moment it is made so a
 * signal during start-up is not lost to Node's default of dying on the spot. The first signal aborts and
 * starts the grace period (`setGrace`); at its end, or on a second signal, `onDeadline` runs (it ends the
 * process).
 */
export class StopSignals {
  readonly #controller = new AbortController();
  readonly #onDeadline: (signal: NodeJS.Signals, graceMs: number) => void;
  #graceMs: number;
  #timer: NodeJS.Timeout | undefined;
  #received: NodeJS.Signals | null = null;
  readonly #listener = (signal: NodeJS.Signals): void => this.#receive(signal);

  constructor(options: { graceMs: number; onDeadline: (signal: NodeJS.Signals, graceMs: number) => void }) {
    this.#graceMs = options.graceMs;
    this.#onDeadline = options.onDeadline;
    process.on("SIGTERM", this.#listener);
    process.on("SIGINT", this.#listener);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The first signal received, or null. */
  get received(): NodeJS.Signals | null {
    return this.#received;
  }

  /** The grace period once the configuration is known; applies to a signal not yet received. */
  setGrace(graceMs: number): void {
    this.#graceMs = graceMs;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    process.off("SIGTERM", this.#listener);
    process.off("SIGINT", this.#listener);
  }

  #receive(signal: NodeJS.Signals): void {
    if (this.#received !== null) {
      this.#onDeadline(this.#received, 0);
      return;
    }
    this.#received = signal;
    this.#controller.abort(signal);
    const graceMs = this.#graceMs;
    this.#timer = setTimeout(() => this.#onDeadline(signal, graceMs), graceMs);
    // The deadline alone must not keep a finished command alive.
    this.#timer.unref();
  }
}
