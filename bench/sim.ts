/**
 * Simulator throughput: one @stoqey/ib client requests 4000 option snapshots (SPY, PLTR, TSLA chains) from the
 * simulated gateway with its limits lifted, and we print how fast they are served.
 *
 *   npx tsx bench/sim.ts [--snapshots 4000] [--latency 50]
 *
 * IB allows 50 client messages per second; the simulator should serve requests at least 20x faster so that it
 * is never what limits a collection benchmark. Prints requests/s, server messages/s and the ratio to 50 msg/s.
 */
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { EventName, IBApi } from "@stoqey/ib";
import { IB_MESSAGES_PER_SECOND } from "../src/ib/limits.ts";
import { SyntheticMarket } from "../src/sim/market/synthetic-market.ts";
import { startSimulator } from "../src/sim/server.ts";

type WorkerRequest = "stats" | "close";

if (!isMainThread) {
  // The simulator runs in its own thread, as the gateway would run in its own process: the client's decoding
  // does not share a core with the server.
  const sim = await startSimulator({
    port: 0,
    seed: 1,
    start: { date: "2026-01-14", timeEt: "11:00" },
    rate: Infinity,
    lines: Infinity,
    snapshotLatencyMs: (workerData as { latency: number }).latency,
  });
  parentPort?.on("message", async (request: WorkerRequest) => {
    if (request === "stats") parentPort?.postMessage({ stats: sim.stats() });
    if (request === "close") {
      await sim.close();
      parentPort?.close();
    }
  });
  parentPort?.postMessage({ port: sim.port });
} else {
  await runBenchmark();
}

async function runBenchmark(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      snapshots: { type: "string", default: "4000" },
      latency: { type: "string", default: "50" },
    },
  });
  const SNAPSHOTS = Number(args.snapshots);
  const DATE = "2026-01-14";

  const worker = new Worker(new URL(import.meta.url), { workerData: { latency: Number(args.latency) } });
  const ask = <T>(request: WorkerRequest | undefined, key: string): Promise<T> =>
    new Promise((resolve) => {
      const listener = (message: Record<string, T>) => {
        if (!(key in message)) return;
        worker.off("message", listener);
        resolve(message[key] as T);
      };
      worker.on("message", listener);
      if (request) worker.postMessage(request);
    });
  const port = await ask<number>(undefined, "port");
  const stats = () => ask<{ messagesReceived: number; messagesSent: number }>("stats", "stats");
  // The same seed gives the same chains and conIds as the simulator's market.
  const market = new SyntheticMarket(1);
  const contracts = ["SPY", "PLTR", "TSLA"].flatMap((symbol) => market.chain(symbol, DATE));
  if (contracts.length < SNAPSHOTS)
    console.log(`note: the chains hold ${contracts.length} contracts; requesting some twice`);

  const api = new IBApi({ host: "127.0.0.1", port, clientId: 1, maxReqPerSec: 1_000_000 });
  const decodeErrors: string[] = [];
  api.on(EventName.error, (error: Error, code: number) => {
    if (code === 505) decodeErrors.push(error.message);
  });
  await new Promise<void>((resolve) => {
    api.once(EventName.nextValidId, () => resolve());
    api.connect(1);
  });

  const before = await stats();
  let ended = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    api.on(EventName.tickSnapshotEnd, () => {
      ended++;
      if (ended === SNAPSHOTS) resolve();
    });
  });
  for (let i = 0; i < SNAPSHOTS; i++) {
    const contract = contracts[i % contracts.length];
    api.reqMktData(10_000 + i, { conId: contract?.conId, exchange: "SMART" }, "", true, false);
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  const after = await stats();
  api.disconnect();
  worker.postMessage("close");
  await new Promise((resolve) => worker.once("exit", resolve));

  const requests = after.messagesReceived - before.messagesReceived;
  const served = after.messagesSent - before.messagesSent;
  const requestsPerSecond = requests / seconds;
  console.log(
    `snapshots:            ${SNAPSHOTS} in ${seconds.toFixed(2)} s (snapshot latency ${args.latency} ms)`,
  );
  console.log(`client requests/s:    ${requestsPerSecond.toFixed(0)}`);
  console.log(
    `server messages/s:    ${(served / seconds).toFixed(0)} (${(served / SNAPSHOTS).toFixed(1)} messages per snapshot)`,
  );
  console.log(
    `ratio to IB's ${IB_MESSAGES_PER_SECOND} msg/s: ${(requestsPerSecond / IB_MESSAGES_PER_SECOND).toFixed(1)}x (goal >= 20x)`,
  );
  console.log(`decode errors (505):  ${decodeErrors.length}`);
  process.exitCode = decodeErrors.length === 0 ? 0 : 1;
}
