import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";

/** One dependency's check: resolves (optionally with details for the JSON body) when it is ready. */
export type ReadinessCheck = () => Promise<Record<string, unknown> | void>;

export interface CheckResult {
  ready: boolean;
  /** Real milliseconds the check took. */
  latencyMs: number;
  error?: string;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  /** The daemon's clock when the checks ran. */
  checkedAt: string;
  checks: Record<string, CheckResult>;
}

export interface ReadinessOptions {
  checks: Record<string, ReadinessCheck>;
  clock: Clock;
  /** The scheduler's tick: a report is reused for at most this long, so it is never older than one tick. */
  maxAgeMs: number;
  /** A check that has not answered within this (real) time counts as not ready. */
  timeoutMs?: number;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The daemon's readiness: its checks run at most once per scheduler tick, however often /readyz and
 * /metrics are asked, and all at once, each with its own result. A probe that asks after a tick has passed
 * gets fresh checks, so the answer turns within one tick when a dependency goes away or comes back.
 */
export class Readiness {
  readonly #options: ReadinessOptions;
  #cached: { at: number; report: ReadinessReport } | null = null;
  #running: Promise<ReadinessReport> | null = null;

  constructor(options: ReadinessOptions) {
    this.#options = options;
  }

  report(): Promise<ReadinessReport> {
    const now = this.#options.clock.now().getTime();
    const cached = this.#cached;
    // A clock that went back makes the cached report's age unknowable: check again.
    if (cached && now >= cached.at && now - cached.at < this.#options.maxAgeMs)
      return Promise.resolve(cached.report);
    this.#running ??= this.#check(now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #check(at: number): Promise<ReadinessReport> {
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    const entries = await Promise.all(
      Object.entries(this.#options.checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
        const started = performance.now();
        const latency = () => Math.round((performance.now() - started) * 10) / 10;
        try {
          const detail = await withTimeout(check(), timeoutMs, name);
          return [name, { ready: true, latencyMs: latency(), ...(detail ?? {}) }];
        } catch (error) {
          return [name, { ready: false, latencyMs: latency(), error: errorMessage(error) }];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const report: ReadinessReport = {
      ready: entries.every(([, result]) => result.ready),
      checkedAt: new Date(at).toISOString(),
      checks,
    };
    this.#cached = { at, report };
    return report;
  }
}
