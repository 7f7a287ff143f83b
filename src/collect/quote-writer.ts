import type { IsoDate } from "../calendar/index.ts";
import type { CollectionType } from "../core/collection.ts";
import type { PricingParameters } from "../pricing/parameters.ts";
import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import type { Database } from "../store/database.ts";
import { insertQuotes } from "../store/repositories/quotes.ts";
import type { QuoteRow } from "../store/repositories/quotes.ts";
import { insertUnderlyingTicks } from "../store/repositories/underlying-ticks.ts";
import type { DiscoveredContract, UnderlyingInfo } from "./discovery.ts";
import { enrichGreeks } from "./enrich.ts";
import type { SnapshotOutcome, UnderlyingQuote } from "./snapshots.ts";

/** An option snapshot as a market_data_ticks row, with greeks from IB or, where IB sent none, from our model. */
export function toQuoteRow(
  outcome: SnapshotOutcome,
  contract: DiscoveredContract,
  date: IsoDate,
  type: CollectionType,
  underlyingPrice: number | null,
  pricing: PricingParameters,
): QuoteRow {
  const quote = outcome.quote;
  const spot = quote.computation?.underlyingPrice ?? underlyingPrice;
  const enriched = enrichGreeks({
    right: contract.right,
    strike: contract.strike,
    quote: {
      bid: quote.bid,
      ask: quote.ask,
      last: quote.last,
      close: quote.close,
      computation: quote.computation,
    },
    underlyingPrice: spot,
    timeYears: timeToExpiryYears(outcome.time, contract.expiry),
    rate: pricing.rate,
    dividendYield: pricing.dividendYield,
  });
  return {
    time: outcome.time,
    collectionDate: date,
    contractId: contract.contractId,
    collectionType: type,
    bidPrice: quote.bid,
    askPrice: quote.ask,
    lastPrice: quote.last,
    closePrice: quote.close,
    bidSize: quote.bidSize,
    askSize: quote.askSize,
    volume: quote.volume,
    openInterest: quote.openInterest,
    delta: enriched.delta,
    gamma: enriched.gamma,
    theta: enriched.theta,
    vega: enriched.vega,
    rho: enriched.rho,
    impliedVolatility: enriched.impliedVolatility,
    underlyingPrice: spot,
    marketDataType: quote.marketDataType,
    greeksSource: enriched.greeksSource,
  };
}

/** Buffers quote rows and writes them with COPY every `batchRows`, one write at a time, while the run goes on. */
export class QuoteWriter {
  private buffer: QuoteRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  stored = 0;
  readonly storedIds: number[] = [];
  constructor(
    private readonly db: Database,
    private readonly batchRows: number,
  ) {}

  add(row: QuoteRow): void {
    this.buffer.push(row);
  }

  /** Starts a write when a batch is full; waits only if the previous write is still running (backpressure). */
  async maybeFlush(): Promise<void> {
    if (this.buffer.length < this.batchRows) return;
    await this.writing;
    this.throwIfFailed();
    if (this.buffer.length >= this.batchRows) {
      this.writing = this.write(this.buffer.splice(0)).catch((error: unknown) => {
        this.failure = error;
      });
    }
  }

  async flush(): Promise<void> {
    await this.writing;
    this.throwIfFailed();
    if (this.buffer.length > 0) await this.write(this.buffer.splice(0));
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async write(rows: QuoteRow[]): Promise<void> {
    this.stored += await insertQuotes(this.db, rows);
    for (const row of rows) this.storedIds.push(row.contractId);
  }
}

/** The underlying's quote as its one underlying_ticks row of the collection. */
export async function writeUnderlyingTick(
  db: Database,
  underlying: UnderlyingInfo,
  quote: UnderlyingQuote,
  date: IsoDate,
  type: CollectionType,
): Promise<void> {
  await insertUnderlyingTicks(db, [
    {
      time: quote.time,
      collectionDate: date,
      underlyingId: underlying.underlyingId,
      collectionType: type,
      bidPrice: quote.quote.bid,
      askPrice: quote.quote.ask,
      lastPrice: quote.quote.last,
      closePrice: quote.quote.close,
      bidSize: quote.quote.bidSize,
      askSize: quote.quote.askSize,
      volume: quote.quote.volume,
      impliedVolatility: quote.quote.optionImpliedVolatility,
      historicalVolatility: quote.quote.optionHistoricalVolatility,
      marketDataType: quote.quote.marketDataType,
    },
  ]);
}
