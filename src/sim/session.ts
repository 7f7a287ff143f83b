import type { Socket } from "node:net";
import type { Logger } from "../logger.ts";
import { findContracts } from "./contract-lookup.ts";
import { chainParameterMessages, optionContractData, underlyingContractData } from "./contract-data.ts";
import { inWindow } from "./faults.ts";
import { answerHistorical, type HistoricalRequest } from "./historical-answers.ts";
import { HistoricalPacer, MessageRateLimiter } from "./rate-limits.ts";
import { etOf } from "./market/et-time.ts";
import { MarketDataLines } from "./market-data-lines.ts";
import { encodeFrame, InboundParser, type Field } from "./protocol/framing.ts";
import { FieldReader, readContract, ShortMessageError } from "./protocol/fields.ts";
import { IN, MAX_SERVER_VERSION, OUT } from "./protocol/ids.ts";
import type { ServerContext } from "./server-context.ts";
import { errorMessage } from "../core/errors.ts";

/** A client that stops reading gets disconnected once this much output is queued for it. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const ACCOUNT = "DU1234567";

type Phase = "handshake" | "start" | "ready" | "closed";

/** One client connection: handshake, request dispatch and the subscriptions it holds. */
export class ClientSession {
  readonly id: number;
  clientId?: number;
  serverVersion = MAX_SERVER_VERSION;
  private phase: Phase = "handshake";
  private readonly parser = new InboundParser();
  private marketDataType = 1;
  private readonly marketData: MarketDataLines;
  private readonly historical = new Map<number, NodeJS.Timeout>();
  private readonly rate: MessageRateLimiter;
  private readonly pacer: HistoricalPacer;
  private sentMessages = 0;
  private nextOrderId = 1;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly context: ServerContext,
    id: number,
  ) {
    this.id = id;
    this.log = context.logger.child({ connection: id });
    this.rate = new MessageRateLimiter(context.options.rate);
    this.pacer = new HistoricalPacer(context.options.historicalPacing);
    this.marketData = new MarketDataLines(
      {
        send: (fields) => this.send(fields),
        error: (id, code, message) => this.error(id, code, message),
        later: (ms, action) => this.later(ms, action),
      },
      context,
    );
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.log.debug({ err: error.message }, "socket error"));
    socket.on("close", () => this.dispose());
  }

  private isClosed(): boolean {
    return this.phase === "closed";
  }

  get isReady(): boolean {
    return this.phase === "ready";
  }

  /** Sends one message; returns false when the connection is gone. */
  send(fields: Field[]): boolean {
    if (this.phase === "closed" || this.socket.destroyed) return false;
    this.socket.write(encodeFrame(fields));
    this.sentMessages++;
    this.context.stats.messagesSent++;
    if (this.socket.writableLength > MAX_QUEUED_BYTES) {
      this.log.warn({ queued: this.socket.writableLength }, "client stopped reading; disconnecting");
      this.close();
      return false;
    }
    const dropAfter = this.context.faults.dropAfterMessages;
    if (dropAfter !== undefined && this.sentMessages >= dropAfter && this.phase === "ready") {
      this.log.info({ sent: this.sentMessages }, "fault: dropping the connection mid-stream");
      this.close();
      return false;
    }
    return true;
  }

  /** Sends a raw frame as-is (faults and tests). */
  sendRaw(frame: Buffer): void {
    if (this.phase !== "closed" && !this.socket.destroyed) this.socket.write(frame);
  }

  error(id: number, code: number, message: string): void {
    this.send([OUT.ERR_MSG, 2, id, code, message, ""]);
  }

  close(): void {
    if (this.phase === "closed") return;
    this.dispose();
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  private dispose(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.marketData.clear();
    for (const timer of this.historical.values()) clearTimeout(timer);
    this.historical.clear();
    this.context.sessions.delete(this);
  }

  /** Pauses streams (1100) or ends them (1101: data lost, the client must resubscribe). */
  connectivity(state: "lost" | "kept" | "lost-data"): void {
    if (state === "lost")
      this.error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost.");
    if (state === "kept")
      this.error(
        -1,
        1102,
        "Connectivity between IB and Trader Workstation has been restored - data maintained.",
      );
    if (state === "lost-data") {
      this.marketData.clear();
      this.error(-1, 1101, "Connectivity between IB and Trader Workstation has been restored - data lost.");
    }
  }

  private onData(chunk: Buffer): void {
    if (this.phase === "closed") return;
    for (const event of this.parser.feed(chunk)) {
      if (this.isClosed()) return;
      if (event.kind === "error") {
        this.log.debug({ reason: event.reason }, "malformed input");
        if (event.fatal) {
          if (this.phase !== "handshake")
            this.error(-1, 320, `Error reading request: ${event.reason}. Closing the connection.`);
          this.close();
          return;
        }
        this.error(-1, 320, `Error reading request: ${event.reason}`);
        continue;
      }
      if (event.kind === "handshake") {
        this.onHandshake(event.minVersion, event.maxVersion);
        continue;
      }
      this.context.stats.messagesReceived++;
      try {
        this.onMessage(event.fields);
      } catch (error) {
        const messageId = event.fields[0] ?? "?";
        const reason =
          error instanceof ShortMessageError
            ? `too few fields (${error.fieldCount})`
            : error instanceof Error
              ? error.message
              : String(error);
        this.log.debug({ messageId, reason }, "unreadable request");
        this.error(-1, 320, `Error reading request: message id ${messageId}: ${reason}`);
      }
    }
  }

  /** A timer whose callback cannot take the server down: a failure is logged and closes this connection only. */
  private later(ms: number, action: () => void): NodeJS.Timeout {
    return setTimeout(() => {
      try {
        action();
      } catch (error) {
        this.log.error({ err: errorMessage(error) }, "request failed; closing the connection");
        this.error(-1, 320, "Error processing request: the simulated gateway failed to answer");
        this.close();
      }
    }, ms);
  }

  private onHandshake(minVersion: number, maxVersion: number): void {
    const version = Math.min(maxVersion, MAX_SERVER_VERSION);
    if (!Number.isFinite(version) || version < 100 || minVersion > MAX_SERVER_VERSION) {
      this.log.debug({ minVersion, maxVersion }, "unsupported client version range");
      this.close();
      return;
    }
    this.serverVersion = version;
    this.phase = "start";
    this.send([version, connectionTime(this.context.clock.now())]);
  }

  private onMessage(fields: string[]): void {
    const reader = new FieldReader(fields);
    const messageId = reader.int();
    if (this.phase === "start") {
      if (messageId !== IN.START_API) {
        this.error(-1, 320, "Error reading request: START_API expected first");
        return;
      }
      reader.str();
      this.onStartApi(reader.int());
      return;
    }
    const verdict = this.rate.check(Date.now());
    if (verdict.verdict !== "ok") {
      if (verdict.verdict === "abusive") {
        this.log.warn("client keeps exceeding the message rate; disconnecting");
        this.error(
          -1,
          100,
          `Max rate of messages per second has been exceeded:max=${this.context.options.rate} rec=${verdict.count} (3)`,
        );
        this.close();
        return;
      }
      if (verdict.warn)
        this.error(
          -1,
          100,
          `Max rate of messages per second has been exceeded:max=${this.context.options.rate} rec=${verdict.count} (1)`,
        );
      return;
    }
    this.log.debug({ fields }, "request");
    switch (messageId) {
      case IN.REQ_MKT_DATA:
        return this.marketData.request(reader, this.marketDataType, this.today());
      case IN.CANCEL_MKT_DATA:
        reader.str();
        return this.marketData.cancel(reader.int() ?? -1);
      case IN.REQ_CONTRACT_DATA:
        return this.onReqContractData(reader);
      case IN.REQ_SEC_DEF_OPT_PARAMS:
        return this.onReqSecDefOptParams(reader);
      case IN.REQ_HISTORICAL_DATA:
        return this.onReqHistoricalData(reader);
      case IN.CANCEL_HISTORICAL_DATA:
        reader.str();
        return this.onCancelHistoricalData(reader.int() ?? -1);
      case IN.REQ_CURRENT_TIME:
        this.send([OUT.CURRENT_TIME, 1, Math.floor(this.context.clock.now().getTime() / 1000)]);
        return;
      case IN.REQ_IDS:
        this.send([OUT.NEXT_VALID_ID, 1, this.nextOrderId]);
        return;
      case IN.REQ_MARKET_DATA_TYPE: {
        reader.str();
        const type = reader.int();
        if (type === undefined || type < 1 || type > 4)
          this.error(-1, 321, `Error validating request.-'bM' : cause - Invalid market data type ${type}`);
        else this.marketDataType = type;
        return;
      }
      case IN.REQ_MANAGED_ACCTS:
        this.send([OUT.MANAGED_ACCTS, 1, ACCOUNT]);
        return;
      case IN.SET_SERVER_LOGLEVEL:
      case IN.START_API:
        return;
      default:
        this.error(
          -1,
          320,
          `Error reading request: message id ${fields[0]} is not supported by the simulated gateway`,
        );
    }
  }

  private onStartApi(clientId: number | undefined): void {
    const inUse =
      (this.context.faults.clientIdsInUse ?? []).includes(clientId ?? 0) ||
      [...this.context.sessions].some(
        (other) => other !== this && other.isReady && other.clientId === clientId,
      );
    if (inUse) {
      this.error(
        -1,
        326,
        `Unable to connect as the client id is already in use. Retry with a unique client id.`,
      );
      this.close();
      return;
    }
    this.clientId = clientId;
    this.phase = "ready";
    this.send([OUT.MANAGED_ACCTS, 1, ACCOUNT]);
    this.send([OUT.NEXT_VALID_ID, 1, this.nextOrderId]);
    this.error(-1, 2104, "Market data farm connection is OK:usfarm");
    this.error(-1, 2104, "Market data farm connection is OK:usopt");
    this.error(-1, 2106, "HMDS data farm connection is OK:ushmds");
    this.error(-1, 2158, "Sec-def data farm connection is OK:secdefnj");
  }

  private today(): string {
    return etOf(this.context.clock.now()).date;
  }

  // ---- contracts --------------------------------------------------------------------------------------------

  private onReqContractData(reader: FieldReader): void {
    reader.str();
    const reqId = reader.int() ?? -1;
    const fields = readContract(reader);
    const date = this.today();
    const found = findContracts(this.context.market, fields, date);
    if (found.length === 0) {
      this.error(reqId, 200, "No security definition has been found for the request");
      return;
    }
    for (const target of found) {
      if (target.kind === "option") {
        const spec = this.context.market.underlying(target.contract.symbol);
        if (spec && !this.send(optionContractData(reqId, target.contract, spec, date, this.serverVersion)))
          return;
      } else if (
        !this.send(underlyingContractData(reqId, target.spec, fields.exchange, date, this.serverVersion))
      )
        return;
    }
    this.send([OUT.CONTRACT_DATA_END, 1, reqId]);
  }

  private onReqSecDefOptParams(reader: FieldReader): void {
    const reqId = reader.int() ?? -1;
    const symbol = reader.str().trim().toUpperCase();
    const futFopExchange = reader.str().trim();
    reader.str();
    const underlyingConId = reader.int() ?? 0;
    const spec = this.context.market.underlying(symbol);
    if (underlyingConId === 0) {
      this.error(reqId, 321, "Error validating request.-'bX' : cause - Invalid contract id");
      return;
    }
    if (!spec || spec.conId !== underlyingConId) {
      this.error(reqId, 200, "No security definition has been found for the request");
      return;
    }
    // As on a real gateway, naming an exchange for a stock underlying silently returns an empty chain.
    if (futFopExchange === "") {
      for (const message of chainParameterMessages(reqId, this.context.market, spec, this.today()))
        if (!this.send(message)) return;
    }
    this.send([OUT.SECURITY_DEFINITION_OPTION_PARAMETER_END, reqId]);
  }

  // ---- market data ------------------------------------------------------------------------------------------

  // ---- historical data --------------------------------------------------------------------------------------

  private onReqHistoricalData(reader: FieldReader): void {
    const reqId = reader.int() ?? -1;
    const contract = readContract(reader);
    reader.str(); // includeExpired
    const request: HistoricalRequest = {
      reqId,
      contract,
      endDateTime: reader.str().trim(),
      barSize: reader.str().trim(),
      duration: reader.str().trim(),
      useRth: reader.bool(),
      whatToShow: reader.str().trim().toUpperCase(),
    };
    if (this.historical.has(reqId)) {
      this.error(reqId, 322, "Error processing request.-'bW' : cause - Duplicate ticker id");
      return;
    }
    if (this.historical.size >= 50) {
      this.error(
        reqId,
        322,
        "Error processing request.-'cb' : cause - Only 50 simultaneous API historical data requests allowed.",
      );
      return;
    }
    const key = JSON.stringify({ ...request, reqId: 0 });
    if (this.pacer.violates(key, Date.now())) {
      this.error(
        reqId,
        162,
        "Historical Market Data Service error message:Historical data request pacing violation",
      );
      return;
    }
    const timer = this.later(this.context.options.historicalLatencyMs, () => {
      this.historical.delete(reqId);
      const answer = answerHistorical(this.context.market, request, this.context.clock.now());
      if ("error" in answer) this.error(reqId, answer.error.code, answer.error.message);
      else this.send(answer.message);
    });
    this.historical.set(reqId, timer);
  }

  private onCancelHistoricalData(reqId: number): void {
    const timer = this.historical.get(reqId);
    if (!timer) {
      this.error(reqId, 366, `No historical data query found for ticker id:${reqId}`);
      return;
    }
    clearTimeout(timer);
    this.historical.delete(reqId);
    this.error(
      reqId,
      162,
      `Historical Market Data Service error message:API historical data query cancelled: ${reqId}`,
    );
  }

  /** Called once a second: closes the connection during a nightly restart window. */
  tick(now: Date): void {
    const window = this.context.faults.restartWindow;
    if (window && inWindow(etOf(now).time, window)) {
      this.log.info("nightly restart window: closing the connection");
      this.close();
    }
  }
}

/** "20260115 10:30:00 EST", the connection time IB sends in the handshake answer. */
function connectionTime(instant: Date): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/New_York",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(instant);
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? "";
  return `${get("year")}${get("month")}${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${get("timeZoneName")}`;
}
