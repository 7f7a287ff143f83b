import { EventEmitter } from "node:events";
import { EventName, IBApi, MarketDataType } from "@stoqey/ib";
import type { Contract, ContractDetails } from "@stoqey/ib";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import type { Logger } from "../logger.ts";
import { classifyError } from "./error-codes.ts";
import type { ErrorCategory } from "./error-codes.ts";
import { RequestPacer } from "./pacer.ts";
import { cleanComputation, TickSet } from "./tick-set.ts";
import { errorMessage } from "../core/errors.ts";
import { discardEvents } from "../core/events.ts";
import { selectGateway } from "../core/gateways.ts";
import type { EventSink } from "../core/events.ts";

export { MarketDataType };

export interface IbClientOptions {
  host: string;
  port: number;
  clientId: number;
  maxMessagesPerSecond: number;
  maxMarketDataLines: number;
  /** Handshake (NEXT_VALID_ID + managed accounts) must finish within this. */
  connectTimeoutMs?: number;
  /** Connection attempts of the first connect (exponential backoff) before `connect` gives up. */
  connectAttempts?: number;
  reconnectInitialDelayMs?: number;
  /** The longest pause between two connection attempts (default 30 s). */
  reconnectMaxDelayMs?: number;
  /**
   * After a drop the client reconnects, and requests wait for it, for at most this long (default 300 s);
   * then every waiting and later request fails with GatewayUnavailableError and the client stops trying.
   */
  maxOutageMs?: number;
  /** No request waits for the gateway past this instant, whatever maxOutageMs allows (the daemon: the slot's window). */
  deadline?: Date;
  /** Local and gateway clocks further apart than this get a warning. */
  clockWarnThresholdMs?: number;
  logger?: Logger;
  /** Told of every message sent and every IB error that is not a mere notice (the daemon's metrics). */
  events?: EventSink;
}

/** A failed IB request, with the category that decides what to do next (see error-codes.ts). */
export class IbRequestError extends Error {
  override name = "IbRequestError";
  readonly category: ErrorCategory;
  constructor(
    readonly code: number,
    message: string,
    readonly reqId?: number,
    category?: ErrorCategory,
  ) {
    super(`IB ${code}: ${message}`);
    this.category = category ?? classifyError(code).category;
  }
  get retryable(): boolean {
    return this.category === "transient" || this.category === "pacing" || this.category === "connectivity";
  }
}

/** The gateway did not answer a request in time: the failure a circuit breaker counts. */
export class NoAnswerError extends IbRequestError {
  override name = "NoAnswerError";
  constructor(message: string, reqId?: number) {
    super(-1, message, reqId, "transient");
  }
}

/**
 * The gateway stayed unreachable (or unanswering) longer than the run allows: nothing more can be collected
 * on this connection. Not retryable; a later run resumes what is missing.
 */
export class GatewayUnavailableError extends IbRequestError {
  override name = "GatewayUnavailableError";
  constructor(message: string) {
    super(504, message, undefined, "connectivity");
  }
  override get retryable(): boolean {
    return false;
  }
}

export interface OptionChainParams {
  exchange: string;
  underlyingConId: number;
  tradingClass: string;
  multiplier: number;
  expirations: string[];
  strikes: number[];
}

export interface MarketDataRequest {
  contract: Contract;
  /** e.g. "100,101"; streaming only (IB rejects generic ticks on snapshots with 321). */
  genericTicks?: string;
  snapshot: boolean;
  /** Streaming: the request ends (and is cancelled) as soon as this returns true. */
  isComplete?: (ticks: TickSet) => boolean;
  /** Ends the request with what has arrived (a streaming one is cancelled). */
  timeoutMs: number;
}

export interface MarketDataResult {
  ticks: TickSet;
  timedOut: boolean;
  error?: IbRequestError;
}

interface RequestHandler {
  ticks?: TickSet;
  onTick?(): void;
  onSnapshotEnd?(): void;
  onContractDetails?(details: ContractDetails): void;
  onChainParams?(params: OptionChainParams): void;
  onEnd?(): void;
  onError(error: IbRequestError): void;
}

interface TimeWaiter {
  resolve(epochSeconds: number): void;
  reject(error: IbRequestError): void;
}

/** Codes that arrive with a reqId but leave the request running. */
const NON_ENDING_CODES = new Set([10090, 10091, 10167, 2176]);

/** Client ids tried when the gateway answers 326 (id in use): the configured one and the next few. */
const CLIENT_ID_CHOICES = 5;

/**
 * One paced connection to TWS / IB Gateway over @stoqey/ib's IBApi. Every request waits for the connection,
 * goes through the one RequestPacer (stoqey's own limiter is set out of the way) and resolves or rejects
 * with an IbRequestError carrying its category.
 *
 * Outages: a dropped socket is reconnected with capped exponential backoff for as long as `maxOutageMs`
 * (and `deadline`) allow. Requests in flight fail as "connectivity" so their callers send them again; those
 * sent meanwhile wait for the reconnect. When the outage outlasts the limit, every waiting and later request
 * fails with GatewayUnavailableError (not retryable), so a run ends with what it has instead of hanging.
 */
export class IbClient extends EventEmitter {
  private readonly pacer: RequestPacer;
  private readonly options: Required<Omit<IbClientOptions, "logger" | "deadline" | "events">>;
  private readonly events: EventSink;
  /** Epoch ms no wait for the gateway may pass (Infinity: none). */
  private readonly deadline: number;
  /** Where the client (and the policies guarding its requests) log. */
  readonly logger: Logger | undefined;
  private api: IBApi | undefined;
  private connected = false;
  private closing = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private reconnecting: Promise<void> | undefined;
  /** When the current outage began (Date.now()); undefined while connected. */
  private outageSince: number | undefined;
  private outageTimer: NodeJS.Timeout | undefined;
  private unavailableError: GatewayUnavailableError | undefined;
  /** Ends the connection attempt in progress, or the pause before the next one (close, give-up). */
  private abortAttempt: (() => void) | undefined;
  private wakeReconnect: (() => void) | undefined;
  private nextReqId = 1;
  private readonly handlers = new Map<number, RequestHandler>();
  private readonly timeWaiters: TimeWaiter[] = [];
  private marketDataType: MarketDataType | undefined;
  clientId: number;
  accounts: string[] = [];
  serverVersion: number | undefined;
  /** Farm name → OK, from the 2104/2106/2158 (OK) and 2103/2105/2157 (broken) notices. */
  readonly farms = new Map<string, boolean>();
  /** gateway clock − local clock, from REQ_CURRENT_TIME. */
  clockOffsetMs = 0;
  /** How often each IB error/notice code arrived on this client (for run reports and tests). */
  readonly errorCounts = new Map<number, number>();
  private warnedOffsetMs = 0;
  private lineMsAtGateway = 0;
  private readonly outgoing = new Set<Promise<void>>();

  private constructor(options: IbClientOptions) {
    super();
    this.logger = options.logger;
    this.options = {
      host: options.host,
      port: options.port,
      clientId: options.clientId,
      maxMessagesPerSecond: options.maxMessagesPerSecond,
      maxMarketDataLines: options.maxMarketDataLines,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      connectAttempts: options.connectAttempts ?? 5,
      reconnectInitialDelayMs: options.reconnectInitialDelayMs ?? 500,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
      maxOutageMs: options.maxOutageMs ?? 300_000,
      clockWarnThresholdMs: options.clockWarnThresholdMs ?? 5_000,
    };
    this.deadline = options.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    this.clientId = options.clientId;
    this.events = options.events ?? discardEvents;
    this.pacer = new RequestPacer({
      messagesPerSecond: options.maxMessagesPerSecond,
      lines: options.maxMarketDataLines,
      events: this.events,
    });
  }

  /** Connects (with backoff), waits for NEXT_VALID_ID and the account list, then reads the gateway's clock. */
  static async connect(options: IbClientOptions): Promise<IbClient> {
    const client = new IbClient(options);
    try {
      await client.connectWithRetry();
      await client.waitForFarms(1000);
      await client.syncClock();
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /**
   * Gateways report their data farms (2104/2106/2158) right after NEXT_VALID_ID; a request sent before the
   * market-data farm is up may go unanswered. Waits briefly for that notice; only warns when it does not come.
   */
  private async waitForFarms(timeoutMs: number): Promise<void> {
    if ([...this.farms.values()].some(Boolean)) return;
    const arrived = await new Promise<boolean>((resolve) => {
      const onNotice = (notice: { code: number }) => {
        if (notice.code !== 2104 && notice.code !== 2158) return;
        clearTimeout(timer);
        this.off("notice", onNotice);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.off("notice", onNotice);
        resolve(false);
      }, timeoutMs);
      this.on("notice", onNotice);
    });
    if (!arrived) this.logger?.warn("the gateway reported no market-data farm; requests may wait for it");
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Set once the client gave up on the gateway (an outage outlasted its limit): every request fails with it. */
  get unavailable(): GatewayUnavailableError | undefined {
    return this.unavailableError;
  }

  /** How long a request may wait for this gateway in one outage, and the instant (epoch ms) no wait may pass. */
  get outageLimits(): { maxOutageMs: number; deadline: number } {
    return { maxOutageMs: this.options.maxOutageMs, deadline: this.deadline };
  }

  /** Where the gateway is, for messages. */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** The gateway's clock (a simulator may run on another date). */
  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  async syncClock(): Promise<Date> {
    const before = Date.now();
    const epochSeconds = await this.currentTime();
    const after = Date.now();
    // CURRENT_TIME is whole seconds: its midpoint is the best estimate.
    this.clockOffsetMs = epochSeconds * 1000 + 500 - (before + after) / 2;
    const threshold = this.options.clockWarnThresholdMs;
    // Warn once per distinct offset, not on every run of a long-lived connection.
    if (
      Math.abs(this.clockOffsetMs) > threshold &&
      Math.abs(this.clockOffsetMs - this.warnedOffsetMs) > threshold
    ) {
      this.warnedOffsetMs = this.clockOffsetMs;
      this.logger?.warn(
        { offsetSeconds: Math.round(this.clockOffsetMs / 1000), gatewayTime: new Date(epochSeconds * 1000) },
        "the local clock differs from the gateway's by more than 5 s; collection uses the gateway's clock",
      );
    }
    return this.now();
  }

  /** The gateway's clock in epoch seconds; the timeout counts from the request on the wire, not from a wait for the connection. */
  currentTime(timeoutMs = 10_000): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        if (timer) clearTimeout(timer);
        const index = this.timeWaiters.indexOf(waiter);
        if (index >= 0) this.timeWaiters.splice(index, 1);
        return true;
      };
      const waiter: TimeWaiter = {
        resolve: (epochSeconds) => {
          if (settle()) resolve(epochSeconds);
        },
        reject: (error) => {
          if (settle()) reject(error);
        },
      };
      this.send((api) => {
        this.timeWaiters.push(waiter);
        api.reqCurrentTime();
      }).then(
        () => {
          if (!settled)
            timer = setTimeout(
              () => waiter.reject(new NoAnswerError(`no CURRENT_TIME answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
        },
        (error: unknown) => waiter.reject(asIbError(error)),
      );
    });
  }

  /** Sets the market-data type for later requests; a no-op when it is already set (it costs a message). */
  async setMarketDataType(type: MarketDataType): Promise<void> {
    if (this.marketDataType === type) return;
    this.marketDataType = type;
    await this.send((api) => api.reqMarketDataType(type), "high");
  }

  get currentMarketDataType(): MarketDataType | undefined {
    return this.marketDataType;
  }

  secDefOptParams(
    symbol: string,
    secType: string,
    conId: number,
    timeoutMs = 30_000,
  ): Promise<OptionChainParams[]> {
    const rows: OptionChainParams[] = [];
    return this.collect<OptionChainParams[]>(
      timeoutMs,
      (api, reqId) => api.reqSecDefOptParams(reqId, symbol, "", secType, conId),
      (finish) => ({
        onChainParams: (params) => rows.push(params),
        onEnd: () => finish(undefined, rows),
        onError: (error) => finish(error),
      }),
    );
  }

  /** One CONTRACT_DATA request; for an option with strike unset it lists a whole expiry and right. */
  contractDetails(contract: Contract, timeoutMs = 60_000): Promise<ContractDetails[]> {
    const rows: ContractDetails[] = [];
    return this.collect<ContractDetails[]>(
      timeoutMs,
      (api, reqId) => api.reqContractDetails(reqId, contract),
      (finish) => ({
        onContractDetails: (details) => rows.push(details),
        onEnd: () => finish(undefined, rows),
        onError: (error) => finish(error),
      }),
    );
  }

  /**
   * One market-data request holding one line: a snapshot until TICK_SNAPSHOT_END, a streaming request until
   * `isComplete` or the timeout, then it is cancelled. Never rejects: errors come back in the result.
   */
  async marketData(request: MarketDataRequest): Promise<MarketDataResult> {
    await this.pacer.acquireLine();
    const reqId = this.nextReqId++;
    const ticks = new TickSet();
    return new Promise<MarketDataResult>((resolve) => {
      let settled = false;
      let completing = false;
      let timer: NodeJS.Timeout | undefined;
      let sentAt: number | undefined;
      const finish = (outcome: { error?: IbRequestError; timedOut?: boolean; cancel: boolean }): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.handlers.delete(reqId);
        if (outcome.cancel && this.connected) {
          // The line stays held until the cancel is on the wire.
          this.send((api) => {
            api.cancelMktData(reqId);
            this.accountGatewayLine(sentAt);
          }, "high")
            .catch(() => undefined)
            .finally(() => this.pacer.releaseLine());
        } else {
          this.accountGatewayLine(sentAt);
          this.pacer.releaseLine();
        }
        resolve({
          ticks,
          timedOut: outcome.timedOut ?? false,
          ...(outcome.error ? { error: outcome.error } : {}),
        });
      };
      this.handlers.set(reqId, {
        ticks,
        onTick: () => {
          if (request.snapshot || completing || !request.isComplete?.(ticks)) return;
          // Let the rest of the gateway's burst (same socket read) land before cancelling.
          completing = true;
          setImmediate(() => finish({ cancel: true }));
        },
        onSnapshotEnd: () => finish({ cancel: false }),
        onError: (error) => {
          if (NON_ENDING_CODES.has(error.code)) return;
          // IB ends a request it answered with an error; after 1101 the subscription is gone too.
          finish({ error, cancel: error.code === 1101 });
        },
      });
      this.send((api) => {
        api.reqMktData(reqId, request.contract, request.genericTicks ?? "", request.snapshot, false);
        sentAt = performance.now();
      }).then(
        () => {
          if (!settled) timer = setTimeout(() => finish({ timedOut: true, cancel: true }), request.timeoutMs);
        },
        (error: unknown) => finish({ error: asIbError(error), cancel: false }),
      );
    });
  }

  /** Market-data lines this connection may hold at once: as many requests can be in flight. */
  get marketDataLines(): number {
    return this.pacer.lines;
  }

  /** Market-data lines held now (requests in flight). */
  get marketDataLinesInUse(): number {
    return this.pacer.linesHeld;
  }

  /** The pacer's rate now: the configured one, or less while it recovers from error 100. */
  get messagesPerSecond(): number {
    return this.pacer.messagesPerSecond;
  }

  /** The ceiling the pacer climbs back to: ib.max_messages_per_second. */
  get maxMessagesPerSecond(): number {
    return this.pacer.maxMessagesPerSecond;
  }

  /** The rate the last error 100 halved the pacer to, if one did: a rate this gateway accepted. */
  get rateAfterSlowDown(): number | undefined {
    return this.pacer.rateAfterSlowDown;
  }

  /** Starts pacing at `rate` (a rate this gateway allowed before), climbing back to the ceiling from there. */
  resumePacingAt(rate: number): void {
    this.pacer.resumeAt(rate);
  }

  /** How often error 100 halved the rate and error 101 shrank the line budget on this client. */
  get pacingAdjustments(): { slowDowns: number; lineShrinks: number } {
    return { slowDowns: this.pacer.slowDowns, lineShrinks: this.pacer.lineShrinks };
  }

  get marketDataLinesHeld(): number {
    return this.pacer.linesHeld;
  }

  /** Messages sent on this connection (requests, cancels, type switches) since the client was created. */
  get messagesSent(): number {
    return this.pacer.messagesSent;
  }

  /** Milliseconds market-data lines were open at the gateway: from each request to its cancel or end. */
  get gatewayLineMilliseconds(): number {
    return this.lineMsAtGateway;
  }

  private accountGatewayLine(sentAt: number | undefined): void {
    if (sentAt !== undefined) this.lineMsAtGateway += performance.now() - sentAt;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.outageTimer);
    this.abortAttempt?.();
    this.wakeReconnect?.();
    const error = new GatewayUnavailableError("the gateway client was closed");
    this.failAll(error);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
    const api = this.api;
    this.api = undefined;
    this.connected = false;
    if (api) {
      api.removeAllListeners();
      api.on(EventName.error, () => undefined);
      api.disconnect();
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private collect<T>(
    timeoutMs: number,
    write: (api: IBApi, reqId: number) => void,
    handler: (finish: (error?: IbRequestError, value?: T) => void) => RequestHandler,
  ): Promise<T> {
    const reqId = this.nextReqId++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: IbRequestError, value?: T): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.handlers.delete(reqId);
        if (error) reject(error);
        else resolve(value as T);
      };
      this.handlers.set(reqId, handler(finish));
      // The timeout counts from the request on the wire: waiting for a reconnect is not the gateway's silence.
      this.send((api) => write(api, reqId)).then(
        () => {
          if (!settled)
            timer = setTimeout(
              () => finish(new NoAnswerError(`no answer within ${timeoutMs} ms`, reqId)),
              timeoutMs,
            );
        },
        (error: unknown) => finish(asIbError(error)),
      );
    });
  }

  /** Waits for the connection, then for the pacer, then writes exactly one message. */
  private send(write: (api: IBApi) => void, priority: "high" | "normal" = "normal"): Promise<void> {
    const sending = this.ready().then(() =>
      this.pacer.send(() => {
        const api = this.api;
        if (!api || !this.connected)
          throw new IbRequestError(504, "not connected", undefined, "connectivity");
        write(api);
      }, priority),
    );
    this.outgoing.add(sending);
    const forget = () => this.outgoing.delete(sending);
    sending.then(forget, forget);
    return sending;
  }

  /** Resolves once every message queued so far (cancels included) is on the wire or has failed. */
  async idle(): Promise<void> {
    while (this.outgoing.size > 0) await Promise.allSettled([...this.outgoing]);
  }

  private ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.unavailableError) return Promise.reject(this.unavailableError);
    if (this.closing) return Promise.reject(new GatewayUnavailableError("the gateway client was closed"));
    return new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** The first connection: a few attempts with backoff, so a wrong host or port fails in seconds. */
  private async connectWithRetry(): Promise<void> {
    const policy = retry(
      handleWhen(
        (error) => !this.closing && !(error instanceof IbRequestError && error.category === "permanent"),
      ),
      {
        // cockatiel counts retries: attempts - 1 of them after the first.
        maxAttempts: Math.max(0, this.options.connectAttempts - 1),
        backoff: new ExponentialBackoff({
          initialDelay: this.options.reconnectInitialDelayMs,
          maxDelay: this.options.reconnectMaxDelayMs,
        }),
      },
    );
    policy.onRetry((event) =>
      this.logger?.warn(
        { host: this.options.host, port: this.options.port, delayMs: Math.round(event.delay) },
        `cannot reach the gateway (${"error" in event ? errorMessage(event.error) : "no answer"}); retrying`,
      ),
    );
    await policy.execute(() => this.connectWithFreeId());
  }

  /**
   * One connection attempt per client id: IB refuses a second connection with an id in use (326, e.g. TWS
   * or another chainvault holds it), so the next ids are tried before giving up, and the id used is logged.
   */
  private async connectWithFreeId(): Promise<void> {
    const first = this.options.clientId;
    for (let offset = 0; offset < CLIENT_ID_CHOICES; offset++) {
      const id = first + offset;
      try {
        await this.attemptConnect(id);
        if (id !== first)
          this.logger?.warn(
            { clientId: id, configuredClientId: first },
            `connected as client id ${id} because client id ${first} is in use by another API connection; set ib.client_id (IB_CLIENT_ID) to a free id to keep it fixed`,
          );
        return;
      } catch (error) {
        if (!(error instanceof IbRequestError && error.code === 326)) throw error;
        if (offset + 1 < CLIENT_ID_CHOICES)
          this.logger?.warn(
            { clientId: id },
            `client id ${id} is in use (IB 326); trying client id ${id + 1}`,
          );
      }
    }
    throw new IbRequestError(
      326,
      `client ids ${first}–${first + CLIENT_ID_CHOICES - 1} are all in use by other API connections to ${this.address}; ` +
        "close one of them (TWS: Configure › API › active connections) or set ib.client_id (IB_CLIENT_ID) to a free id",
      undefined,
      "permanent",
    );
  }

  private attemptConnect(clientId: number): Promise<void> {
    const api = new IBApi({
      host: this.options.host,
      port: this.options.port,
      // Our pacer is the only limiter: stoqey's (default 40/s) would add a second, slower one.
      maxReqPerSec: 100_000,
    });
    let gotId = false;
    let gotAccounts = false;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const fail = (error: IbRequestError): void => {
        if (done) return;
        done = true;
        this.abortAttempt = undefined;
        clearTimeout(timer);
        api.removeAllListeners();
        api.on(EventName.error, () => undefined);
        api.disconnect();
        reject(error);
      };
      this.abortAttempt = () => fail(new GatewayUnavailableError("the connection attempt was abandoned"));
      const succeed = (): void => {
        if (done || !gotId || !gotAccounts) return;
        if (this.closing || this.unavailableError) {
          fail(new GatewayUnavailableError("the connection came after the client gave up"));
          return;
        }
        done = true;
        this.abortAttempt = undefined;
        clearTimeout(timer);
        this.api = api;
        this.connected = true;
        this.clientId = clientId;
        // A new connection holds no lines at the gateway; an earlier 101 was about the old one.
        this.pacer.restoreLines();
        // The market-data type is per connection: restore it before anything else goes out.
        const type = this.marketDataType;
        if (type !== undefined) {
          void this.pacer.send(() => api.reqMarketDataType(type), "high").catch(() => undefined);
        }
        this.logger?.info(
          {
            host: this.options.host,
            port: this.options.port,
            clientId,
            accounts: this.accounts,
          },
          "connected to the gateway",
        );
        this.endOutage();
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        resolve();
      };
      const timer = setTimeout(
        () =>
          fail(
            new IbRequestError(
              502,
              `no NEXT_VALID_ID from ${this.address} within ${this.options.connectTimeoutMs} ms; is the API enabled in TWS/IB Gateway?`,
              undefined,
              "connectivity",
            ),
          ),
        this.options.connectTimeoutMs,
      );
      // stoqey reports 326 as an error or as a notice (info) depending on its version; either ends the attempt.
      const clientIdInUse = (message: string): void =>
        fail(new IbRequestError(326, message, undefined, "connectivity"));
      api.on(EventName.server, (version: number) => {
        this.serverVersion = version;
      });
      api.on(EventName.nextValidId, () => {
        gotId = true;
        succeed();
      });
      api.on(EventName.managedAccounts, (list: string) => {
        this.accounts = list
          .split(",")
          .map((account) => account.trim())
          .filter(Boolean);
        gotAccounts = true;
        succeed();
      });
      api.on(EventName.disconnected, () => {
        if (!done) {
          fail(new IbRequestError(502, "the gateway closed the connection during the handshake"));
          return;
        }
        if (this.api === api) this.onDrop();
      });
      api.on(EventName.error, (error: Error, code: number, reqId: number) => {
        if (!done && code === 326) {
          this.reportError(code);
          return clientIdInUse(error.message);
        }
        if (!done && (code === 502 || code === 506 || code === 504)) {
          this.reportError(code);
          fail(new IbRequestError(code, error.message, reqId));
          return;
        }
        this.onError(code, error.message, reqId);
      });
      // stoqey turns every error without a request id (100 among them) into an info event.
      api.on(EventName.info, (message: string, code: number) => {
        if (!done && code === 326) {
          this.reportError(code);
          return clientIdInUse(message);
        }
        this.onError(code, message, -1);
      });
      this.bindData(api);
      try {
        api.connect(clientId);
      } catch (error) {
        fail(new IbRequestError(502, errorMessage(error)));
      }
    });
  }

  private bindData(api: IBApi): void {
    const tickSet = (reqId: number): RequestHandler | undefined => this.handlers.get(reqId);
    api.on(EventName.tickPrice, (reqId: number, field: number, value: number) => {
      const handler = tickSet(reqId);
      if (!handler?.ticks || value === undefined) return;
      handler.ticks.prices.set(field, value);
      handler.onTick?.();
    });
    api.on(EventName.tickSize, (reqId: number, field?: number, value?: number) => {
      const handler = tickSet(reqId);
      if (!handler?.ticks || field === undefined || value === undefined) return;
      handler.ticks.sizes.set(field, value);
      handler.onTick?.();
    });
    api.on(EventName.tickGeneric, (reqId: number, field: number, value: number) => {
      const handler = tickSet(reqId);
      if (!handler?.ticks) return;
      handler.ticks.generics.set(field, value);
      handler.onTick?.();
    });
    api.on(EventName.tickString, (reqId: number, field: number, value: string) => {
      const handler = tickSet(reqId);
      if (!handler?.ticks) return;
      handler.ticks.strings.set(field, value);
      handler.onTick?.();
    });
    api.on(
      EventName.tickOptionComputation,
      (
        reqId: number,
        field: number,
        _tickAttrib: number | undefined,
        impliedVolatility?: number,
        delta?: number,
        optPrice?: number,
        pvDividend?: number,
        gamma?: number,
        vega?: number,
        theta?: number,
        undPrice?: number,
      ) => {
        const handler = tickSet(reqId);
        if (!handler?.ticks) return;
        handler.ticks.computations.set(
          field,
          cleanComputation({ impliedVolatility, delta, optPrice, pvDividend, gamma, vega, theta, undPrice }),
        );
        handler.onTick?.();
      },
    );
    api.on(EventName.marketDataType, (reqId: number, type: number) => {
      const handler = tickSet(reqId);
      if (handler?.ticks) handler.ticks.marketDataType = type;
    });
    api.on(EventName.tickSnapshotEnd, (reqId: number) => this.handlers.get(reqId)?.onSnapshotEnd?.());
    api.on(EventName.contractDetails, (reqId: number, details: ContractDetails) =>
      this.handlers.get(reqId)?.onContractDetails?.(details),
    );
    api.on(EventName.contractDetailsEnd, (reqId: number) => this.handlers.get(reqId)?.onEnd?.());
    api.on(
      EventName.securityDefinitionOptionParameter,
      (
        reqId: number,
        exchange: string,
        underlyingConId: number,
        tradingClass: string,
        multiplier: string | number,
        expirations: string[],
        strikes: number[],
      ) =>
        this.handlers.get(reqId)?.onChainParams?.({
          exchange,
          underlyingConId,
          tradingClass,
          // stoqey parses it as a number although its d.ts says string.
          multiplier: Number(multiplier),
          expirations: [...expirations],
          strikes: [...strikes],
        }),
    );
    api.on(EventName.securityDefinitionOptionParameterEnd, (reqId: number) =>
      this.handlers.get(reqId)?.onEnd?.(),
    );
    api.on(EventName.currentTime, (epochSeconds: number) => this.timeWaiters[0]?.resolve(epochSeconds));
  }

  /** Notices (farm OK, cancel acknowledgements) are routine; everything else is worth counting outside. */
  private reportError(code: number): void {
    if (classifyError(code).category !== "info") this.events.emit({ kind: "ib_error", code });
  }

  private onError(code: number, message: string, reqId: number): void {
    this.errorCounts.set(code, (this.errorCounts.get(code) ?? 0) + 1);
    this.reportError(code);
    // Before the request's handler releases its line: 101's line count includes it.
    if (code === 100) this.onPacingViolation();
    if (code === 101) this.onLineLimit();
    const classified = classifyError(code);
    const handler = reqId >= 0 ? this.handlers.get(reqId) : undefined;
    if (handler) {
      handler.onError(new IbRequestError(code, message, reqId));
      return;
    }
    this.onNotice(code, message, classified.category);
  }

  private onPacingViolation(): void {
    const rate = this.pacer.slowDown();
    if (rate === undefined) return;
    this.logger?.warn(
      {
        messagesPerSecond: Math.round(rate * 10) / 10,
        configured: this.pacer.maxMessagesPerSecond,
      },
      "the gateway allows fewer messages per second than ib.max_messages_per_second (error 100): rate halved; it rises back slowly",
    );
  }

  private onLineLimit(): void {
    const before = this.pacer.lines;
    const lines = this.pacer.shrinkLines();
    if (lines < before)
      this.logger?.warn(
        { lines, configured: this.pacer.maxLines },
        "the gateway has fewer free market-data lines than ib.max_market_data_lines (error 101): using fewer",
      );
  }

  private onNotice(code: number, message: string, category = classifyError(code).category): void {
    const farm = /:\s*([\w.]+)\s*$/.exec(message)?.[1];
    if (farm && [2104, 2106, 2158].includes(code)) this.farms.set(farm, true);
    if (farm && [2103, 2105, 2157].includes(code)) this.farms.set(farm, false);
    if (code === 1101) {
      // Subscriptions were lost: fail the open market-data requests so their callers request them again.
      for (const handler of [...this.handlers.values()]) {
        if (handler.ticks) handler.onError(new IbRequestError(1101, message, undefined, "transient"));
      }
    }
    const level = category === "info" ? "debug" : "warn";
    this.logger?.[level]({ code, category }, `gateway notice: ${message}`);
    this.emit("notice", { code, message, category });
  }

  private onDrop(): void {
    if (this.closing) return;
    this.connected = false;
    const api = this.api;
    this.api = undefined;
    api?.removeAllListeners();
    api?.on(EventName.error, () => undefined);
    this.failAll(new IbRequestError(504, "the gateway connection dropped", undefined, "connectivity"));
    this.emit("disconnected");
    if (this.unavailableError) return;
    this.startOutage();
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  /** Starts the outage clock: at its limit (or the deadline) the client gives up. */
  private startOutage(): void {
    const now = Date.now();
    this.outageSince = now;
    const giveUpAt = Math.min(now + this.options.maxOutageMs, this.deadline);
    this.logger?.warn(
      { host: this.options.host, port: this.options.port, giveUpAt: new Date(giveUpAt).toISOString() },
      "the gateway connection dropped; reconnecting (requests wait for it)",
    );
    clearTimeout(this.outageTimer);
    // Which limit ends the wait is known now: a timer may fire a millisecond before the wall clock agrees.
    const endedByDeadline = giveUpAt === this.deadline;
    this.outageTimer = setTimeout(() => this.giveUp(undefined, endedByDeadline), Math.max(0, giveUpAt - now));
  }

  /** Reconnects with capped exponential backoff until it works, the outage limit passes or the client closes. */
  private async reconnect(): Promise<void> {
    let delay = this.options.reconnectInitialDelayMs;
    // Until connected: a connection that drops again before this loop ends keeps it going.
    for (let attempt = 1; !this.connected && !this.closing && !this.unavailableError; attempt++) {
      try {
        await this.connectWithFreeId();
      } catch (error) {
        if (this.closing || this.unavailableError) return;
        const failure = asIbError(error);
        if (failure.category === "permanent") {
          this.giveUp(new GatewayUnavailableError(failure.message));
          return;
        }
        this.logger?.warn(
          { attempt, retryInMs: Math.round(delay), err: failure.message },
          "cannot reach the gateway yet; retrying",
        );
        await this.pauseReconnect(delay);
        delay = Math.min(delay * 2, this.options.reconnectMaxDelayMs);
      }
    }
  }

  /** A connection is up again: the outage clock stops. */
  private endOutage(): void {
    const since = this.outageSince;
    if (since === undefined) return;
    clearTimeout(this.outageTimer);
    this.outageSince = undefined;
    this.logger?.info(
      { outageSeconds: Math.round((Date.now() - since) / 100) / 10 },
      "reconnected to the gateway; requests resume",
    );
    this.emit("reconnected");
  }

  private pauseReconnect(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReconnect = wake;
    }).finally(() => {
      this.wakeReconnect = undefined;
    });
  }

  /** The outage outlasted its limit (or `error` says why else): everything waiting and everything later fails. */
  private giveUp(error?: GatewayUnavailableError, endedByDeadline = Date.now() >= this.deadline): void {
    if (this.unavailableError || this.closing) return;
    const since = this.outageSince;
    const reason =
      error ??
      new GatewayUnavailableError(
        `the gateway at ${this.address} has been unreachable since ${since === undefined ? "now" : new Date(since).toISOString()}` +
          (endedByDeadline
            ? " and the run's deadline has passed"
            : ` (${Math.round(this.options.maxOutageMs / 1000)} s, the longest outage this run waits out)`) +
          "; stopped waiting for it",
      );
    this.unavailableError = reason;
    clearTimeout(this.outageTimer);
    this.abortAttempt?.();
    this.wakeReconnect?.();
    this.failAll(reason);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(reason);
    this.logger?.error({ host: this.options.host, port: this.options.port }, reason.message);
    this.emit("unavailable", reason);
  }

  private failAll(error: IbRequestError): void {
    this.pacer.failQueued(error);
    for (const handler of [...this.handlers.values()]) handler.onError(error);
    this.handlers.clear();
    for (const waiter of [...this.timeWaiters]) waiter.reject(error);
  }
}

function asIbError(error: unknown): IbRequestError {
  if (error instanceof IbRequestError) return error;
  return new IbRequestError(-1, errorMessage(error), undefined, "transient");
}

/**
 * The client options a configuration describes (host, port, client id, pacing limits, connect attempts) for one of
 * its gateways: the one named, else the first (the `ib:` block's); its pacer gets that connection's share of its
 * login's budgets (src/core/gateways.ts).
 */
export function clientOptionsFromConfig(
  config: Parameters<typeof selectGateway>[0] & {
    collect: { connect_attempts: number; max_gateway_outage_seconds: number };
  },
  logger?: Logger,
  events?: EventSink,
  gatewayName?: string,
): IbClientOptions {
  const gateway = selectGateway(config, gatewayName);
  return {
    ...(events ? { events } : {}),
    host: gateway.host,
    port: gateway.port,
    clientId: gateway.clientId,
    maxMessagesPerSecond: gateway.maxMessagesPerSecond,
    maxMarketDataLines: gateway.maxMarketDataLines,
    connectAttempts: config.collect.connect_attempts,
    maxOutageMs: config.collect.max_gateway_outage_seconds * 1000,
    ...(logger ? { logger } : {}),
  };
}
