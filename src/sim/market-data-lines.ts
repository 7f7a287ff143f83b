import type { IsoDate } from "../calendar/index.ts";
import { findContracts, type Resolved } from "./contract-lookup.ts";
import type { Field } from "./protocol/framing.ts";
import type { FieldReader } from "./protocol/fields.ts";
import { readContract } from "./protocol/fields.ts";
import { OUT, STREAMING_GENERIC_TICKS } from "./protocol/ids.ts";
import type { ServerContext } from "./server-context.ts";
import { tickMessages, type Delivery } from "./tick-delivery.ts";

/** Delayed data lags this much behind live data. */
const DELAYED_MINUTES = 15;

/** How market-data answers reach the client. */
export interface Channel {
  send(fields: Field[]): boolean;
  error(id: number, code: number, message: string): void;
  /** A timer whose failure cannot take the server down. */
  later(ms: number, action: () => void): NodeJS.Timeout;
}

interface MarketDataLine {
  reqId: number;
  target: Resolved;
  snapshot: boolean;
  generic: Set<string>;
  requestedType: number;
  subscribed: boolean;
  timer?: NodeJS.Timeout;
  lastSent?: string;
}

/**
 * One connection's market-data lines: snapshots (a line until answered) and streams (a line until cancelled),
 * with IB's checks in IB's order (321 snapshot + generic ticks, 322 duplicate id, 200, 101 lines, 10197, 354/10167).
 */
export class MarketDataLines {
  private readonly lines = new Map<number, MarketDataLine>();
  private tickMessagesSent = 0;

  constructor(
    private readonly channel: Channel,
    private readonly context: ServerContext,
  ) {}

  /** Ends every line (connection closed, or connectivity restored with data lost). */
  clear(): void {
    for (const line of this.lines.values()) if (line.timer) clearTimeout(line.timer);
    this.lines.clear();
  }

  /** REQ_MKT_DATA: validates, takes a line, and answers a snapshot or starts a stream. */
  request(reader: FieldReader, marketDataType: number, today: IsoDate): void {
    reader.str();
    const reqId = reader.int() ?? -1;
    const fields = readContract(reader);
    if (fields.secType === "BAG") {
      const legs = reader.int() ?? 0;
      for (let i = 0; i < legs * 4; i++) reader.str();
    }
    if (reader.bool()) {
      reader.str();
      reader.str();
      reader.str();
    }
    const genericList = reader.str();
    const snapshot = reader.bool();
    const generic = new Set(
      genericList
        .split(",")
        .map((tick) => tick.trim())
        .filter((tick) => tick !== ""),
    );
    const context = this.context;
    if (snapshot && [...generic].some((tick) => STREAMING_GENERIC_TICKS.has(tick))) {
      this.channel.error(
        reqId,
        321,
        "Error validating request.-'bQ' : cause - Snapshot market data subscription is not applicable to generic ticks",
      );
      return;
    }
    if (this.lines.has(reqId)) {
      this.channel.error(reqId, 322, "Error processing request.-'bW' : cause - Duplicate ticker id");
      return;
    }
    const found = findContracts(context.market, fields, today);
    if (found.length !== 1) {
      this.channel.error(
        reqId,
        200,
        found.length === 0
          ? "No security definition has been found for the request"
          : "The contract description specified is ambiguous.",
      );
      return;
    }
    const target = found[0] as Resolved;
    if (this.lines.size >= context.options.lines) {
      this.channel.error(reqId, 101, `Max number of tickers has been reached.`);
      return;
    }
    if (context.faults.competingSession) {
      this.channel.error(reqId, 10197, "No market data during competing live session");
      return;
    }
    const symbol = target.kind === "option" ? target.contract.symbol : target.spec.symbol;
    const subscribed = !(context.faults.unsubscribedSymbols ?? []).includes(symbol);
    const type = marketDataType;
    if (!subscribed) {
      if (type <= 2) {
        this.channel.error(
          reqId,
          354,
          `Requested market data is not subscribed. Delayed market data is available.${symbol} ${target.kind === "option" ? "OPRA" : "NYSE"}/TOP/ALL`,
        );
        return;
      }
      this.channel.error(
        reqId,
        10167,
        `Requested market data is not subscribed. Displaying delayed market data.`,
      );
    }
    const line: MarketDataLine = { reqId, target, snapshot, generic, requestedType: type, subscribed };
    this.lines.set(reqId, line);
    const silent = context.faults.silentOptionSymbols ?? [];
    if (target.kind === "option" && (silent.includes("*") || silent.includes(symbol))) return;
    const silentEvery = context.faults.silentContractEvery;
    if (target.kind === "option" && silentEvery !== undefined && target.contract.conId % silentEvery === 0)
      return;
    const delivery = this.delivery(line);
    this.channel.send([OUT.MARKET_DATA_TYPE, 1, reqId, delivery.marketDataType]);
    this.channel.send([OUT.TICK_REQ_PARAMS, reqId, 0.01, "9c0001", 3]);
    if (snapshot) {
      const unanswered = context.faults.unansweredSnapshotSymbols ?? [];
      if (unanswered.includes("*") || unanswered.includes(symbol)) return;
      const latency = context.faults.snapshotLatencyMs ?? context.options.snapshotLatencyMs;
      line.timer = this.channel.later(latency, () => {
        if (this.lines.get(reqId) !== line) return;
        this.sendTicks(line, this.delivery(line));
        this.lines.delete(reqId);
        this.channel.send([OUT.TICK_SNAPSHOT_END, 1, reqId]);
      });
      return;
    }
    this.sendTicks(line, delivery);
    this.scheduleStream(line);
  }

  private scheduleStream(line: MarketDataLine): void {
    line.timer = this.channel.later(this.context.options.streamIntervalMs, () => {
      if (this.lines.get(line.reqId) !== line || this.context.connectivityLost) {
        if (this.lines.get(line.reqId) === line) this.scheduleStream(line);
        return;
      }
      this.sendTicks(line, this.delivery(line), true);
      this.scheduleStream(line);
    });
  }

  private sendTicks(line: MarketDataLine, delivery: Delivery, onlyIfChanged = false): void {
    const crossEvery = this.context.faults.crossedQuoteEvery;
    const messages = tickMessages(
      line.reqId,
      line.target,
      this.context.market,
      delivery,
      line.snapshot ? new Set() : line.generic,
      line.target.kind === "option" &&
        crossEvery !== undefined &&
        line.target.contract.conId % crossEvery === 0,
    );
    if (onlyIfChanged) {
      // The timestamp tick changes every minute; compare the rest.
      const signature = JSON.stringify(messages.slice(1));
      if (signature === line.lastSent) return;
      line.lastSent = signature;
    } else line.lastSent = JSON.stringify(messages.slice(1));
    const every = this.context.faults.malformedEvery;
    for (const message of messages) {
      this.tickMessagesSent++;
      const outgoing =
        every !== undefined && this.tickMessagesSent % every === 0 ? message.slice(0, 3) : message;
      if (!this.channel.send(outgoing)) return;
    }
  }

  private delivery(line: MarketDataLine): Delivery {
    const market = this.context.market;
    const now = this.context.clock.now();
    const isOption = line.target.kind === "option";
    const symbol = line.target.kind === "option" ? line.target.contract.symbol : line.target.spec.symbol;
    const delayed = !line.subscribed;
    const lag = delayed ? DELAYED_MINUTES * 60_000 : 0;
    const open = market.inSession(symbol, new Date(now.getTime() - lag), isOption);
    const wantsFrozen = line.requestedType === 2 || line.requestedType === 4;
    const greekless = this.context.faults.greeklessOptionSymbols ?? [];
    const optionComputations = !(isOption && (greekless.includes("*") || greekless.includes(symbol)));
    if (open)
      return {
        marketDataType: delayed ? 3 : 1,
        delayed,
        state: "live",
        instant: new Date(now.getTime() - lag),
        optionComputations,
      };
    if (wantsFrozen)
      return {
        marketDataType: delayed ? 4 : 2,
        delayed,
        state: "frozen",
        instant: market.lastCloseBefore(symbol, now, isOption),
        optionComputations,
      };
    return {
      marketDataType: delayed ? 3 : 1,
      delayed,
      state: "closed",
      instant: market.lastCloseBefore(symbol, now, isOption),
      optionComputations,
    };
  }

  /** CANCEL_MKT_DATA: frees the line (300 when there is none). */
  cancel(reqId: number): void {
    const line = this.lines.get(reqId);
    if (!line) {
      this.channel.error(reqId, 300, `Can't find EId with tickerId:${reqId}`);
      return;
    }
    if (line.timer) clearTimeout(line.timer);
    this.lines.delete(reqId);
  }
}
