import { parentPort, workerData } from "node:worker_threads";
import { startSimulator } from "../../src/sim/server.ts";
import type { SimOptions } from "../../src/sim/server.ts";

const sim = await startSimulator(workerData as SimOptions);
parentPort?.postMessage({ host: sim.host, port: sim.port });
parentPort?.on("message", (message) => {
  if (message === "close") void sim.close().then(() => process.exit(0));
});
