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

export { MarketDataType };

export interface IbClientOptions {
  host: string;
  port: number;
  clientId: number;
  maxMessagesPerSecond: number;
  maxMarketDataLines: number;
  /** Handshake (NEXT_VALID_ID + managed accounts) must finish within this. */
  connectTimeoutMs?: number;
  /** Connection attempts before `connect` gives up, and again after every drop. */
  reconnectAttempts?: number;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Local and gateway clocks further apart than this get a warning. */
  clockWarnThresholdMs?: number;
  logger?: Logger;
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

/** Codes that arrive with a reqId but leave the request running. */
const NON_ENDING_CODES = new Set([10090, 10091, 10167, 2176]);

/**
 * One paced connection to TWS / IB Gateway over @stoqey/ib's IBApi. Every request waits for the connection,
 * goes through the one RequestPacer (stoqey's own limiter is set out of the way) and resolves or rejects
 * with an IbRequestError carrying its category. A dropped socket is reconnected with backoff; requests in
 * flight fail as "connectivity" so their callers resume them.
 */
export class IbClient extends EventEmitter {
  private readonly pacer: RequestPacer;
  private readonly options: Required<Omit<IbClientOptions, "logger">>;
  private readonly logger: Logger | undefined;
  private api: IBApi | undefined;
  private connected = false;
  private closing = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private reconnecting: Promise<void> | undefined;
  private nextReqId = 1;
  private readonly handlers = new Map<number, RequestHandler>();
  private readonly timeWaiters: Array<(epochSeconds: number) => void> = [];
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
      reconnectAttempts: options.reconnectAttempts ?? 5,
      reconnectInitialDelayMs: options.reconnectInitialDelayMs ?? 500,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
      clockWarnThresholdMs: options.clockWarnThresholdMs ?? 5_000,
    };
    this.clientId = options.clientId;
    this.pacer = new RequestPacer({
      messagesPerSecond: options.maxMessagesPerSecond,
      lines: options.maxMarketDataLines,
    });
  }

  /** Connects (with backoff), waits for NEXT_VALID_ID and the account list, then reads the gateway's clock. */
  static async connect(options: IbClientOptions): Promise<IbClient> {
    const client = new IbClient(options);
    await client.connectWithRetry();
    await client.waitForFarms(1000);
    await client.syncClock();
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

  currentTime(timeoutMs = 10_000): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let done = false;
      const waiter = (epochSeconds: number): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(epochSeconds);
      };
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        this.timeWaiters.splice(this.timeWaiters.indexOf(waiter), 1);
        reject(new IbRequestError(-1, "no CURRENT_TIME answer", undefined, "transient"));
      }, timeoutMs);
      this.timeWaiters.push(waiter);
      this.send((api) => api.reqCurrentTime()).catch((error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.timeWaiters.splice(this.timeWaiters.indexOf(waiter), 1);
        reject(asIbError(error));
      });
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

  /** Holds every outgoing message for `ms`: IB answers a pace it finds too fast with a pacing error. */
  pauseRequests(ms: number): void {
    this.pacer.pause(ms);
  }

  /** Market-data lines this connection may hold at once: as many requests can be in flight. */
  get marketDataLines(): number {
    return this.pacer.lines;
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
    const error = new IbRequestError(504, "client closed", undefined, "connectivity");
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
      const finish = (error?: IbRequestError, value?: T): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.handlers.delete(reqId);
        if (error) reject(error);
        else resolve(value as T);
      };
      const timer = setTimeout(
        () => finish(new IbRequestError(-1, `no answer within ${timeoutMs} ms`, reqId, "transient")),
        timeoutMs,
      );
      this.handlers.set(reqId, handler(finish));
      this.send((api) => write(api, reqId)).catch((error: unknown) => finish(asIbError(error)));
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
    if (this.closing)
      return Promise.reject(new IbRequestError(504, "client closed", undefined, "connectivity"));
    return new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private async connectWithRetry(): Promise<void> {
    const policy = retry(
      handleWhen(
        (error) => !this.closing && !(error instanceof IbRequestError && error.category === "permanent"),
      ),
      {
        maxAttempts: this.options.reconnectAttempts,
        backoff: new ExponentialBackoff({
          initialDelay: this.options.reconnectInitialDelayMs,
          maxDelay: this.options.reconnectMaxDelayMs,
        }),
      },
    );
    policy.onRetry((event) =>
      this.logger?.warn(
        { host: this.options.host, port: this.options.port, delayMs: event.delay },
        `cannot reach the gateway (${"error" in event ? String(event.error) : "no answer"}); retrying`,
      ),
    );
    await policy.execute(() => this.attemptConnect());
  }

  private attemptConnect(): Promise<void> {
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
        clearTimeout(timer);
        api.removeAllListeners();
        api.on(EventName.error, () => undefined);
        api.disconnect();
        reject(error);
      };
      const succeed = (): void => {
        if (done || !gotId || !gotAccounts) return;
        done = true;
        clearTimeout(timer);
        this.api = api;
        this.connected = true;
        // The market-data type is per connection: restore it before anything else goes out.
        const type = this.marketDataType;
        if (type !== undefined) {
          void this.pacer.send(() => api.reqMarketDataType(type), "high").catch(() => undefined);
        }
        this.logger?.info(
          {
            host: this.options.host,
            port: this.options.port,
            clientId: this.clientId,
            accounts: this.accounts,
          },
          "connected to the gateway",
        );
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        resolve();
      };
      const timer = setTimeout(
        () =>
          fail(
            new IbRequestError(
              502,
              `no NEXT_VALID_ID from ${this.options.host}:${this.options.port} within ${this.options.connectTimeoutMs} ms; is the API enabled in TWS/IB Gateway?`,
              undefined,
              "connectivity",
            ),
          ),
        this.options.connectTimeoutMs,
      );
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
        if (!done && (code === 502 || code === 506 || code === 326 || code === 504)) {
          if (code === 326) this.clientId++; // IB: "reconnect with another id"
          fail(new IbRequestError(code, error.message, reqId, code === 326 ? "connectivity" : undefined));
          return;
        }
        this.onError(code, error.message, reqId);
      });
      api.on(EventName.info, (message: string, code: number) => {
        this.errorCounts.set(code, (this.errorCounts.get(code) ?? 0) + 1);
        this.onNotice(code, message);
      });
      this.bindData(api);
      try {
        api.connect(this.clientId);
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
    api.on(EventName.currentTime, (epochSeconds: number) => this.timeWaiters.shift()?.(epochSeconds));
  }

  private onError(code: number, message: string, reqId: number): void {
    this.errorCounts.set(code, (this.errorCounts.get(code) ?? 0) + 1);
    const classified = classifyError(code);
    const handler = reqId >= 0 ? this.handlers.get(reqId) : undefined;
    if (handler) {
      handler.onError(new IbRequestError(code, message, reqId));
      return;
    }
    if (code === 100) this.pacer.pause(1000);
    this.onNotice(code, message, classified.category);
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
    const error = new IbRequestError(504, "the gateway connection dropped", undefined, "connectivity");
    this.failAll(error);
    this.logger?.warn("the gateway connection dropped; reconnecting");
    this.emit("disconnected");
    this.reconnecting ??= this.connectWithRetry()
      .then(() => {
        this.emit("reconnected");
      })
      .catch((reconnectError: unknown) => {
        this.logger?.error({ err: reconnectError }, "could not reconnect to the gateway");
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(asIbError(reconnectError));
      })
      .finally(() => {
        this.reconnecting = undefined;
      });
  }

  private failAll(error: IbRequestError): void {
    this.pacer.failQueued(error);
    for (const handler of [...this.handlers.values()]) handler.onError(error);
    this.handlers.clear();
  }
}

function asIbError(error: unknown): IbRequestError {
  if (error instanceof IbRequestError) return error;
  return new IbRequestError(-1, errorMessage(error), undefined, "transient");
}

/** The client options a configuration describes (host, port, client id, pacing limits, connect attempts). */
export function clientOptionsFromConfig(
  config: {
    ib: {
      host: string;
      port: number;
      client_id: number;
      max_messages_per_second: number;
      max_market_data_lines: number;
    };
    collect: { connect_attempts: number };
  },
  logger?: Logger,
): IbClientOptions {
  return {
    host: config.ib.host,
    port: config.ib.port,
    clientId: config.ib.client_id,
    maxMessagesPerSecond: config.ib.max_messages_per_second,
    maxMarketDataLines: config.ib.max_market_data_lines,
    reconnectAttempts: config.collect.connect_attempts,
    ...(logger ? { logger } : {}),
  };
}
