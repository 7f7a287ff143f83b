import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSplitCollection } from "../../src/collect/split.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { Config } from "../../src/config/schema.ts";
import { EventBus } from "../../src/core/events.ts";
import type { ChainvaultEvent } from "../../src/core/events.ts";
import { preferGateway } from "../../src/core/gateways.ts";
import { PartWorker } from "../../src/daemon/part-worker.ts";
import { SlotQueue } from "../../src/daemon/queue.ts";
import { clientOptionsFromConfig, IbClient } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { listPartsOfDate } from "../../src/store/repositories/collection-parts.ts";
import { statusRows, storedQuotes } from "../faults/checks.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { waitUntil } from "../helpers/wait.ts";

const DATE = "2025-01-15";
const silent = pino({ level: process.env.SPLIT_LOG ?? "silent" });

/**
 * One collection, three workers: the coordinator discovers and selects once, cuts the selection into parts and
 * queues them; three workers, each with its own simulated gateway over a socket and its own queue connection
 * (as separate processes would have), take the parts. Every contract is stored once and the collection is
 * completed with all its parts.
 */
describe("split collections run by workers in this process, each with its own gateway and queue connection", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  const sims: Simulator[] = [];
  let config: Config;

  beforeAll(async () => {
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    for (let i = 0; i < 3; i++)
      sims.push(
        await startSimulator({
          port: 0,
          start: { date: DATE, timeEt: "16:45" },
          rate: Infinity,
          lines: Infinity,
          snapshotLatencyMs: 5,
        }),
      );
    config = configSchema.parse({
      database: { url: server.url },
      gateways: sims.map((sim, i) => ({
        name: `g${i + 1}`,
        host: sim.host,
        port: sim.port,
        client_id: 10 + i,
        max_messages_per_second: 200,
        max_market_data_lines: 20,
      })),
      selection: { max_days_to_expiry: 4 },
      // 200 msg/s × 1 s ÷ 2 = 100 contracts a part: several parts per symbol.
      collect: { include_vix: false, split: true, part_seconds: 1 },
      daemon: { heartbeat_seconds: 10, retry_delay_seconds: 1 },
    });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
    for (const sim of sims) await sim.close();
  });

  it(
    "stores every contract once and completes the collection with all its parts",
    { timeout: 60_000 },
    async () => {
      const queues: SlotQueue[] = [];
      const workers: PartWorker[] = [];
      const open = () =>
        SlotQueue.open({
          connection: { url: server.url },
          logger: silent,
          heartbeatSeconds: 10,
          retryDelaySeconds: 1,
          pollingIntervalSeconds: 0.5,
        });
      try {
        for (let i = 0; i < 3; i++) {
          const queue = await open();
          queues.push(queue);
          const worker = new PartWorker({
            db,
            config: preferGateway(config, `g${i + 1}`),
            logger: silent,
            events: new EventBus(silent),
            queue,
          });
          workers.push(worker);
          worker.start();
        }
        const coordinatorQueue = await open();
        queues.push(coordinatorQueue);
        const ib = await IbClient.connect(clientOptionsFromConfig(config, silent));
        let summary;
        try {
          summary = await runSplitCollection(
            { symbols: ["PLTR", "SPY"], type: "eod", date: DATE },
            { db, ib, config, logger: silent, queue: coordinatorQueue, pollMs: 100 },
          );
        } finally {
          await ib.close();
        }
        expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
          ["PLTR", "completed"],
          ["SPY", "completed"],
        ]);
        const quotes = await storedQuotes(db, { date: DATE });
        const parts = await listPartsOfDate(db, DATE);
        expect(parts.length).toBeGreaterThan(2);
        expect(parts.every((part) => part.status === "completed")).toBe(true);
        const selected = summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
        expect(quotes.rows).toBe(selected);
        expect(quotes.distinctContracts).toBe(quotes.rows);
        expect(parts.reduce((sum, part) => sum + part.storedCount, 0)).toBe(quotes.rows);
        for (const row of await statusRows(db, DATE)) {
          expect(row.status, row.symbol).toBe("completed");
          expect(row.records_collected, row.symbol).toBe(quotes.bySymbol.get(row.symbol));
        }
        const summaries = summary.symbols.map((entry) => entry.parts);
        expect(summaries.every((text) => text !== undefined && /^parts (\d+)\/\1$/.test(text))).toBe(true);
        console.log(
          `${parts.length} parts over gateways ${[...new Set(parts.map((part) => part.gateway))].sort().join(", ")}; ` +
            `${quotes.rows} rows`,
        );
      } finally {
        for (const worker of workers) await worker.stop();
        for (const queue of queues) await queue.stop({ graceful: false });
      }
    },
  );
  it(
    "a stopped worker hands its part in flight back; another worker resumes it",
    { timeout: 60_000 },
    async () => {
      const queues: SlotQueue[] = [];
      const open = async () => {
        const queue = await SlotQueue.open({
          connection: { url: server.url },
          logger: silent,
          heartbeatSeconds: 10,
          retryDelaySeconds: 1,
          pollingIntervalSeconds: 0.5,
        });
        queues.push(queue);
        return queue;
      };
      const worker = async (gateway: string) => {
        const started = new PartWorker({
          db,
          config: preferGateway(config, gateway),
          logger: silent,
          events: new EventBus(silent),
          queue: await open(),
        });
        started.start();
        return started;
      };
      const ib = await IbClient.connect(clientOptionsFromConfig(config, silent));
      let second: PartWorker | undefined;
      try {
        const first = await worker("g1");
        const coordinatorQueue = await open();
        const collection = runSplitCollection(
          { symbols: ["TSLA"], type: "eod", date: DATE },
          { db, ib, config, logger: silent, queue: coordinatorQueue, pollMs: 100 },
        );
        const running = async () =>
          (await listPartsOfDate(db, DATE)).find(
            (part) => part.symbol === "TSLA" && part.status === "running",
          );
        await waitUntil(async () => (await running()) !== undefined, { what: "a TSLA part in flight" });
        const inFlight = (await running())!;
        await first.stop("SIGTERM");
        const handedBack = (await listPartsOfDate(db, DATE)).find(
          (part) => part.symbol === "TSLA" && part.partIndex === inFlight.partIndex,
        )!;
        expect(handedBack.status).toBe("queued");
        expect(handedBack.errorMessage).toContain("SIGTERM");

        second = await worker("g2");
        const summary = await collection;
        expect(summary.symbols.map((entry) => entry.status)).toEqual(["completed"]);
        const resumed = (await listPartsOfDate(db, DATE)).find(
          (part) => part.symbol === "TSLA" && part.partIndex === inFlight.partIndex,
        )!;
        expect(resumed).toMatchObject({ status: "completed", gateway: "g2" });
        expect(resumed.attempts).toBe(2);
        const quotes = await storedQuotes(db, { date: DATE, symbol: "TSLA" });
        expect(quotes.rows).toBe(summary.symbols[0]!.contracts_selected);
        expect(quotes.distinctContracts).toBe(quotes.rows);
      } finally {
        await ib.close();
        await second?.stop();
        for (const queue of queues) await queue.stop({ graceful: false });
      }
    },
  );
  it(
    "a gateway lost mid-part: the part goes back, the worker pauses and says so, another worker finishes it",
    { timeout: 60_000 },
    async () => {
      // The outage is given up on after a second, and a reconnect is tried once.
      const impatient = {
        ...config,
        collect: { ...config.collect, max_gateway_outage_seconds: 1, connect_attempts: 1 },
      };
      const queues: SlotQueue[] = [];
      const workers: PartWorker[] = [];
      const seen: ChainvaultEvent[] = [];
      const worker = async (gateway: string) => {
        const queue = await SlotQueue.open({
          connection: { url: server.url },
          logger: silent,
          heartbeatSeconds: 10,
          retryDelaySeconds: 1,
          pollingIntervalSeconds: 0.5,
        });
        queues.push(queue);
        const started = new PartWorker({
          db,
          config: preferGateway(impatient, gateway),
          logger: silent,
          events: { emit: (event) => seen.push(event) },
          queue,
          probeIntervalMs: 200,
        });
        workers.push(started);
        started.start();
        return queue;
      };
      const ib = await IbClient.connect(clientOptionsFromConfig(config, silent));
      try {
        await worker("g3");
        const coordinatorQueue = queues[0]!;
        const collection = runSplitCollection(
          { symbols: ["PLTR"], type: "analytics", date: DATE },
          { db, ib, config, logger: silent, queue: coordinatorQueue, pollMs: 100 },
        );
        const running = async () =>
          (await listPartsOfDate(db, DATE)).find(
            (part) => part.collectionType === "analytics" && part.status === "running",
          );
        await waitUntil(async () => (await running()) !== undefined, { what: "an analytics part in flight" });
        const inFlight = (await running())!;
        sims[2]!.faults.restart(600_000);
        await waitUntil(
          () => seen.some((event) => event.kind === "gateway_unreachable" && event.gateway === "g3"),
          { what: "gateway_unreachable naming g3" },
        );
        const handedBack = (await listPartsOfDate(db, DATE)).find(
          (part) => part.collectionType === "analytics" && part.partIndex === inFlight.partIndex,
        )!;
        expect(handedBack.status).toBe("queued");

        await worker("g2");
        const summary = await collection;
        expect(summary.symbols.map((entry) => entry.status)).toEqual(["completed"]);
        const parts = (await listPartsOfDate(db, DATE)).filter((part) => part.collectionType === "analytics");
        expect(parts.find((part) => part.partIndex === inFlight.partIndex)).toMatchObject({
          status: "completed",
          gateway: "g2",
        });
        const quotes = await storedQuotes(db, { date: DATE, type: "analytics" });
        expect(quotes.rows).toBe(summary.symbols[0]!.contracts_selected);
        expect(quotes.distinctContracts).toBe(quotes.rows);
      } finally {
        await ib.close();
        for (const started of workers) await started.stop();
        for (const queue of queues) await queue.stop({ graceful: false });
      }
    },
  );
});
