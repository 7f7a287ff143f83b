import { priorSessionOf } from "../calendar/index.ts";
import { settlementOf, settlementTimeEt } from "../config/symbols.ts";
import type { IsoDate } from "../calendar/index.ts";
import type { CollectionType } from "../core/collection.ts";
import type { PricingParameters } from "../pricing/parameters.ts";
import { timeToExpiryYears } from "../pricing/year-fraction.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import { errorMessage } from "../core/errors.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import type { DatabaseOutage } from "../store/outage.ts";
import { isDiskFull } from "../store/unavailable.ts";
import { insertQuotes } from "../store/repositories/quotes.ts";
import type { QuoteRow } from "../store/repositories/quotes.ts";
import { insertUnderlyingTicks } from "../store/repositories/underlying-ticks.ts";
import type { DiscoveredContract, UnderlyingInfo } from "./discovery.ts";
import { enrichGreeks } from "./enrich.ts";
import type { SnapshotOutcome, UnderlyingQuote } from "./snapshots.ts";
import type { QuoteSpool } from "./spool.ts";

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
    timeYears: timeToExpiryYears(
      outcome.time,
      contract.expiry,
      settlementTimeEt(settlementOf(contract.symbol, contract.tradingClass, contract.expiry)),
    ),
    rate: pricing.rate,
    dividendYield: pricing.dividendYield,
    exercise: pricing.exercise,
    maxRelativeSpread: pricing.maxRelativeSpread,
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
    openInterestDate: quote.openInterest === null ? null : priorSessionOf(date),
    delta: enriched.delta,
    gamma: enriched.gamma,
    theta: enriched.theta,
    vega: enriched.vega,
    rho: enriched.rho,
    impliedVolatility: enriched.impliedVolatility,
    underlyingPrice: spot,
    marketDataType: quote.marketDataType,
    greeksSource: enriched.greeksSource,
    ivFlag: enriched.ivFlag,
  };
}

/** Where quotes go while the database is away, and who decides that it is. */
export interface Spooling {
  spool: QuoteSpool;
  outage: DatabaseOutage;
  /** The database without waiting: a write that fails because it is away goes to the spool instead. */
  direct: Database;
  logger: Logger;
  /** Stops the whole run taking contracts (no disk space left), with the reason its symbols record. */
  stopRun: (reason: string) => void;
}

/**
 * Buffers quote rows and writes them with COPY every `batchRows`, one write at a time, while the run goes on.
 * With `spooling`, a batch the database cannot take because it is away goes to the spool, and so do the
 * batches after it, without holding up the snapshots; once the database answers, the spool is stored through
 * the same COPY (idempotent, so a batch stored twice is kept once). An outage longer than the limit makes
 * the writer give up: `onGiveUp` is told (the run stops taking contracts), the rest is kept in the spool's
 * file, and `flush` throws the DatabaseOutageError. A database whose disk is full (53100) stops the run
 * too: it would refuse every later batch, so the batch it refused and those still arriving go to the
 * spool (its file, when that is on another disk), and `unstored` counts them.
 */
export class QuoteWriter {
  private buffer: QuoteRow[] = [];
  private writing: Promise<void> = Promise.resolve();
  private recovering: Promise<void> | null = null;
  private failure: unknown;
  /** While true the database is away: batches go to the spool. */
  private away = false;
  private gaveUp: DatabaseOutageError | null = null;
  /** Set when the database's disk is full: batches go to the spool, never to the database again. */
  private full: unknown = undefined;
  stored = 0;
  readonly storedIds: number[] = [];
  constructor(
    private readonly db: Database,
    private readonly batchRows: number,
    private readonly spooling?: Spooling,
    private readonly onGiveUp?: () => void,
    /** Asked before spooled quotes are stored: false when another run took the key over meanwhile. */
    private readonly stillOwned?: () => Promise<boolean>,
  ) {}

  add(row: QuoteRow): void {
    this.buffer.push(row);
  }

  /** Starts a write when a batch is full; waits only if the previous write is still running (backpressure). */
  async maybeFlush(): Promise<void> {
    if (this.buffer.length < this.batchRows) return;
    // Taken over: these quotes belong to the new owner's collection, which requests them itself.
    if (this.failure instanceof SpoolOwnerLost) return void this.buffer.splice(0);
    if (this.spooling && this.spoolingOnly()) return this.spooling.spool.add(this.buffer.splice(0));
    await this.writing;
    this.throwIfFailed();
    if (this.buffer.length < this.batchRows) return;
    const rows = this.buffer.splice(0);
    if (this.spooling && this.spoolingOnly()) return this.spooling.spool.add(rows);
    this.writing = this.write(rows).catch((error: unknown) => {
      this.failure = error;
    });
  }

  /**
   * Writes what is buffered and, after an outage, waits until the spool is stored (or the outage
   * outlasts its limit: then the rest is left in the spool's file and the DatabaseOutageError thrown).
   */
  async flush(): Promise<void> {
    await this.writing;
    this.throwIfFailed();
    const rows = this.buffer.splice(0);
    if (rows.length > 0) {
      if (this.spooling && this.spoolingOnly()) await this.spooling.spool.add(rows);
      else await this.write(rows);
    }
    if (this.spooling && this.full !== undefined) {
      // Kept for the next run where the spool's disk has room; counted in `unstored` either way.
      await this.spooling.spool.persist().catch(() => undefined);
      return;
    }
    if (this.spooling) {
      await this.recovering;
      if (!this.gaveUp && this.spooling.spool.size > 0) await (this.recovering ??= this.recover());
      this.throwIfFailed();
      if (this.gaveUp) {
        // What the file cannot take (disk full) stays counted in spool.inMemory for the caller to report.
        await this.spooling.spool.persist().catch(() => undefined);
        throw this.gaveUp;
      }
    }
  }

  /** Quotes of this run that are held in the spool rather than stored (see flush). */
  get unstored(): number {
    return this.spooling?.spool.size ?? 0;
  }

  private spoolingOnly(): boolean {
    return this.away || this.gaveUp !== null || this.full !== undefined;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async write(rows: QuoteRow[]): Promise<void> {
    try {
      await this.store(rows);
    } catch (error) {
      if (this.spooling && isDiskFull(error)) {
        if (this.full === undefined)
          this.spooling.stopRun(`a full disk (the database cannot store quotes: ${errorMessage(error)})`);
        this.full = error;
        await this.spooling.spool.add(rows);
        return;
      }
      if (!this.spooling?.outage.noteFailure(error)) throw error;
      this.away = true;
      await this.spooling.spool.add(rows);
      this.recovering ??= this.recover();
    }
  }

  private readonly store = async (rows: QuoteRow[]): Promise<number> => {
    const stored = await insertQuotes(this.spooling?.direct ?? this.db, rows);
    this.stored += stored;
    for (const row of rows) this.storedIds.push(row.contractId);
    return stored;
  };

  /** Waits for the database (the outage's backoff), then stores the spool, until it stays empty. */
  private async recover(): Promise<void> {
    const { spool, outage, logger } = this.spooling!;
    try {
      let rows = 0;
      let stored = 0;
      do {
        const drained = await outage.retry(async () => {
          // After an outage long enough for another run to judge this one gone, its quotes must not
          // join the new owner's: that run collects those contracts itself.
          if (this.stillOwned && !(await this.stillOwned())) throw new SpoolOwnerLost();
          return spool.drain(this.store, this.batchRows);
        });
        rows += drained.rows;
        stored += drained.stored;
      } while (spool.size > 0);
      logger.info({ quotes: rows, stored }, "stored the quotes spooled while the database was away");
      // Checked and cleared in one step: a batch after this goes to the database again.
      this.away = false;
    } catch (error) {
      if (error instanceof DatabaseOutageError) {
        this.gaveUp = error;
        this.onGiveUp?.();
      } else if (error instanceof SpoolOwnerLost) {
        const discarded = await spool.discard();
        logger.warn(
          { quotes: discarded },
          "another run took this collection over while the database was away: the quotes spooled meanwhile " +
            "are discarded (that run collects those contracts)",
        );
        this.failure = error;
        this.onGiveUp?.();
      } else this.failure = error;
    } finally {
      this.recovering = null;
    }
  }
}

/** The key was taken over while this run waited out an outage (see QuoteWriter.recover). */
export class SpoolOwnerLost extends Error {
  override name = "SpoolOwnerLost";
  constructor() {
    super(
      "another run took this collection over while the database was away (this run's heartbeat went stale); " +
        "the quotes this run spooled meanwhile were discarded and its result is not recorded",
    );
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
