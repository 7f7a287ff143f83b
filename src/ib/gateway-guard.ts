import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
  wrap,
} from "cockatiel";
import type { CircuitBreakerPolicy } from "cockatiel";
import type { Logger } from "../logger.ts";
import { GatewayUnavailableError, IbRequestError, NoAnswerError } from "./client.ts";
import type { IbClient } from "./client.ts";

/**
 * How requests to one gateway are retried and when they stop, as cockatiel policies:
 *
 * - attempts: a transient or pacing failure (no answer, 10197, 101, 322 …) is retried with exponential
 *   backoff, `maxAttempts` in all; then the request fails and its caller dead-letters it.
 * - waits: a request cut by a dropped connection is sent again once the client has reconnected, and a
 *   request refused by an open circuit looks again every half second; neither costs an attempt. A request
 *   waits at most the client's outage limit (and never past its deadline), then fails with
 *   GatewayUnavailableError, which ends the symbol's collection with what it stored.
 * - a circuit breaker per gateway and kind of request: BREAKER_THRESHOLD requests in a row the gateway left
 *   unanswered open it; while open, requests do not go out (a dead gateway costs one probe every few
 *   seconds, not a timeout per contract and attempt); one probe request at a time closes it again.
 *
 * Bulkheads: discovery (contract details, chain parameters) and snapshots (market data) have a breaker
 * each, so timeouts of one kind never hold up the other, and separate concurrency budgets
 * (collect.discovery_concurrency requests; ib.max_market_data_lines lines, which only market data holds).
 * Historical requests use a connection of their own (ib/historical-session.ts, ib.historical_client_id)
 * with their own pacing. Waits are counted per request, not per gateway: when one symbol's requests give
 * up on an open circuit, the next symbol's first request is the probe that can close it again.
 */

export type RequestKind = "discovery" | "snapshots";

export interface GuardedRequest {
  kind: RequestKind;
  /** Attempts for transient and pacing failures; waits for the connection or an open circuit do not count. */
  maxAttempts: number;
}

/** Unanswered requests in a row that open a kind's circuit. */
const BREAKER_THRESHOLD = 10;
/**
 * An open circuit lets a probe through after about 1 s, then 2, 4 … (jittered) while probes fail, up to 30 s
 * and to a quarter of the outage limit: a request that waits for the circuit sees a few probes before it gives up.
 */
const HALF_OPEN_INITIAL_MS = 1000;
const HALF_OPEN_MAX_MS = 30_000;
/** A circuit half-opens only when asked: requests refused by it ask again this often. */
const OPEN_CIRCUIT_POLL_MS = 500;
/** A request cut by this many drops gives up (a gateway that drops every connection right after the handshake). */
const MAX_CONNECTIVITY_RETRIES = 10;
/** Backoff of retried attempts. */
const ATTEMPT_BACKOFF = { initialDelay: 200, maxDelay: 5000 };

export class GatewayGuard {
  private readonly breakers: Record<RequestKind, CircuitBreakerPolicy>;

  private readonly logger: Logger | undefined;

  constructor(private readonly ib: IbClient) {
    this.logger = ib.logger;
    this.breakers = { discovery: this.breaker("discovery"), snapshots: this.breaker("snapshots") };
  }

  /** Runs `attempt` (one request, which throws its IbRequestError) under the gateway's policies. */
  async execute<T>(attempt: () => Promise<T>, request: GuardedRequest): Promise<T> {
    const { maxOutageMs, deadline } = this.ib.outageLimits;
    let waitingSince: number | undefined;
    let connectivityRetries = 0;
    const attempts = retry(handleWhen(isAttemptFailure), {
      maxAttempts: Math.max(0, request.maxAttempts - 1),
      backoff: new ExponentialBackoff(ATTEMPT_BACKOFF),
    });
    const waits = retry(
      handleWhen((error) => {
        if (error instanceof BrokenCircuitError) {
          const now = Date.now();
          waitingSince ??= now;
          return now - waitingSince < maxOutageMs && now < deadline;
        }
        return isCutByDrop(error) && ++connectivityRetries <= MAX_CONNECTIVITY_RETRIES;
      }),
      {
        maxAttempts: Number.POSITIVE_INFINITY,
        // A request cut by a drop goes again at once: it waits for the reconnect in the client.
        backoff: new DelegateBackoff((context) =>
          "error" in context.result && context.result.error instanceof BrokenCircuitError
            ? OPEN_CIRCUIT_POLL_MS
            : 0,
        ),
      },
    );
    try {
      return await wrap(waits, attempts, this.breakers[request.kind]).execute(() => attempt());
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const seconds = Math.round((Date.now() - (waitingSince ?? Date.now())) / 1000);
      throw new GatewayUnavailableError(
        `the gateway at ${this.ib.address} has left ${request.kind} requests unanswered for ${seconds} s` +
          (Date.now() >= deadline ? " and the run's deadline has passed" : "") +
          "; stopped waiting for it",
      );
    }
  }

  private breaker(kind: RequestKind): CircuitBreakerPolicy {
    const maxDelay = Math.min(HALF_OPEN_MAX_MS, Math.max(250, this.ib.outageLimits.maxOutageMs / 4));
    const breaker = circuitBreaker(handleType(NoAnswerError), {
      halfOpenAfter: new ExponentialBackoff({
        initialDelay: Math.min(HALF_OPEN_INITIAL_MS, maxDelay),
        maxDelay,
      }),
      breaker: new ConsecutiveBreaker(BREAKER_THRESHOLD),
    });
    breaker.onBreak(() =>
      this.logger?.warn(
        { kind, gateway: this.ib.address },
        `the gateway left ${BREAKER_THRESHOLD} ${kind} requests in a row unanswered: holding them back, probing with one at a time`,
      ),
    );
    breaker.onReset(() => this.logger?.info({ kind }, `the gateway answers ${kind} requests again`));
    return breaker;
  }
}

/** Transient and pacing failures: worth another attempt after a pause. */
function isAttemptFailure(error: unknown): boolean {
  return error instanceof IbRequestError && error.retryable && error.category !== "connectivity";
}

/** A request in flight when the connection dropped: the client reconnects, the request goes again. */
function isCutByDrop(error: unknown): boolean {
  return error instanceof IbRequestError && error.retryable && error.category === "connectivity";
}

const guards = new WeakMap<IbClient, GatewayGuard>();

/** The one guard of a gateway connection (its breakers are shared by every request on it). */
export function guardOf(ib: IbClient): GatewayGuard {
  let guard = guards.get(ib);
  if (!guard) {
    guard = new GatewayGuard(ib);
    guards.set(ib, guard);
  }
  return guard;
}
