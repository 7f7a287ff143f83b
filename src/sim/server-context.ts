import type { Logger } from "../logger.ts";
import type { FaultConfig } from "./faults.ts";
import type { HistoricalPacingOptions } from "./rate-limits.ts";
import type { SimClock } from "./sim-clock.ts";
import type { SyntheticMarket } from "./market/synthetic-market.ts";
import type { ClientSession } from "./session.ts";

/** Resolved server settings (every option has a value). */
export interface ResolvedOptions {
  rate: number;
  lines: number;
  snapshotLatencyMs: number;
  historicalLatencyMs: number;
  streamIntervalMs: number;
  historicalPacing: HistoricalPacingOptions;
}

/** What every session shares with the server. */
export interface ServerContext {
  options: ResolvedOptions;
  market: SyntheticMarket;
  clock: SimClock;
  faults: FaultConfig;
  logger: Logger;
  sessions: Set<ClientSession>;
  connectivityLost: boolean;
  /** Totals over all connections since start. */
  stats: { messagesReceived: number; messagesSent: number };
}
