import pino from "pino";
import type { IsoDate } from "../../src/calendar/index.ts";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionProgress, CollectionSummary } from "../../src/collect/summary.ts";
import type { CollectionRequest } from "../../src/core/collection.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { Config } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import type { IbClientOptions } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { SimOptions, Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestEngine } from "../helpers/db.ts";

export const silent = pino({ level: "silent" });

export interface Harness {
  sim: Simulator;
  ib: IbClient;
  db: Database;
  config: Config;
  collect(
    request: Partial<CollectionRequest> & { symbols: string[] },
    onProgress?: (progress: CollectionProgress) => void,
  ): Promise<CollectionSummary>;
  close(): Promise<void>;
}

/**
 * A simulator on a free port, a paced client connected to it over a real socket, and a fresh database.
 * Limits are lifted unless the test sets them; `config` is a partial chainvault.yaml.
 */
export async function startHarness(options: {
  engine: TestEngine;
  start: { date: IsoDate; timeEt: string };
  sim?: Partial<SimOptions>;
  config?: Record<string, unknown>;
  pacer?: { messagesPerSecond: number; lines: number };
  /** Client options over the harness' own (outage limits, reconnect delays, logger). */
  client?: Partial<IbClientOptions>;
}): Promise<Harness> {
  const sim = await startSimulator({
    port: 0,
    start: options.start,
    rate: Infinity,
    lines: Infinity,
    snapshotLatencyMs: 0,
    ...options.sim,
  });
  const { db, drop } = await openTestDatabase(options.engine);
  const config = configSchema.parse(options.config ?? {});
  const ib = await IbClient.connect({
    host: sim.host,
    port: sim.port,
    clientId: 7,
    maxMessagesPerSecond: options.pacer?.messagesPerSecond ?? 5000,
    maxMarketDataLines: options.pacer?.lines ?? 500,
    clockWarnThresholdMs: Number.POSITIVE_INFINITY,
    reconnectInitialDelayMs: 100,
    logger: silent,
    ...options.client,
  });
  return {
    sim,
    ib,
    db,
    config,
    collect: (request, onProgress) =>
      runCollection(
        { type: "eod", ...request },
        { db, ib, config, logger: silent, ...(onProgress ? { onProgress } : {}) },
      ),
    async close() {
      await ib.close();
      await sim.close();
      await drop();
    },
  };
}

/** Whether a value stored in a numeric(p, scale) column is the model's value rounded to that scale. */
export function storedAs(stored: string | number | null, model: number, scale: number): boolean {
  return stored !== null && Math.abs(Number(stored) - model) <= 0.5 * 10 ** -scale + 1e-9;
}
