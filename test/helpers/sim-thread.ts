import { Worker } from "node:worker_threads";
import type { SimOptions } from "../../src/sim/server.ts";

/**
 * The simulated gateway on its own thread, so its view of the message rate is not distorted by the client
 * process' event loop (an in-process simulator reads a stalled client's messages in one late burst and
 * counts them in the same second, which a gateway in another process never does).
 */
export interface ThreadedSimulator {
  host: string;
  port: number;
  close(): Promise<void>;
}

type ThreadOptions = Omit<SimOptions, "logger" | "faults">;

export async function startSimulatorThread(options: ThreadOptions): Promise<ThreadedSimulator> {
  const worker = new Worker(new URL("./sim-thread-entry.ts", import.meta.url), {
    workerData: options,
    execArgv: ["--import", "tsx"],
  });
  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    worker.once("message", (message: { host: string; port: number }) => resolve(message));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`simulator thread exited with ${code}`)));
  });
  return {
    ...address,
    async close() {
      worker.postMessage("close");
      await new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    },
  };
}
