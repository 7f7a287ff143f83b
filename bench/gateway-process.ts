// The simulated gateway in a child process (sim-process.ts) at IB's default limits unless told otherwise, so a
// benchmark measures the collector alone: its RSS, its CPU, its pacing against a gateway that paces back.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { IB_MARKET_DATA_LINES, IB_MESSAGES_PER_SECOND } from "../src/ib/limits.ts";

export interface GatewayProcess {
  host: string;
  port: number;
  /** Stops the gateway and waits for its process to exit. */
  stop(): Promise<void>;
}

/** Starts the simulator with its clock at 16:45 New York time on `date` and resolves once it listens. */
export async function startGatewayProcess(
  date: string,
  limits: { rate?: number; lines?: number } = {},
): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(import.meta.dirname, "sim-process.ts"),
      JSON.stringify({
        port: 0,
        start: { date, timeEt: "16:45" },
        rate: limits.rate ?? IB_MESSAGES_PER_SECOND,
        lines: limits.lines ?? IB_MARKET_DATA_LINES,
      }),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    void exited.then(() =>
      reject(new Error(`the simulator exited with ${child.exitCode} before it listened`)),
    );
  });
  const address = JSON.parse(line) as { host: string; port: number };
  return {
    ...address,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
