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
import { EventName, IBApi } from "@stoqey/ib";
import { startSimulator } from "../src/sim/server.ts";

const { values: args } = parseArgs({
  options: {
    snapshots: { type: "string", default: "4000" },
    latency: { type: "string", default: "50" },
  },
});
const SNAPSHOTS = Number(args.snapshots);
const IB_RATE = 50;
const DATE = "2026-01-14";

const sim = await startSimulator({
  port: 0,
  seed: 1,
  start: { date: DATE, timeEt: "11:00" },
  rate: Infinity,
  lines: Infinity,
  snapshotLatencyMs: Number(args.latency),
});
const contracts = ["SPY", "PLTR", "TSLA"].flatMap((symbol) => sim.market.chain(symbol, DATE));
if (contracts.length < SNAPSHOTS)
  console.log(`note: the chains hold ${contracts.length} contracts; requesting some twice`);

const api = new IBApi({ host: sim.host, port: sim.port, clientId: 1, maxReqPerSec: 1_000_000 });
const decodeErrors: string[] = [];
api.on(EventName.error, (error: Error, code: number) => {
  if (code === 505) decodeErrors.push(error.message);
});
await new Promise<void>((resolve) => {
  api.once(EventName.nextValidId, () => resolve());
  api.connect(1);
});

const before = sim.stats();
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
const after = sim.stats();
api.disconnect();
await sim.close();

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
console.log(`ratio to IB's ${IB_RATE} msg/s: ${(requestsPerSecond / IB_RATE).toFixed(1)}x (goal >= 20x)`);
console.log(`decode errors (505):  ${decodeErrors.length}`);
process.exitCode = decodeErrors.length === 0 ? 0 : 1;
