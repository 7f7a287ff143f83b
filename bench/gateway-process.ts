// The simulated gateway in a child process (sim-process.ts) at IB's default limits unless told otherwise, so a
// benchmark measures the collector alone: its RSS, its CPU, its pacing against a gateway that paces back.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { IB_MARKET_DATA_LINES, IB_MESSAGES_PER_SECOND } from "../src/ib/limits.ts";

export interface GatewayStats {
  /** Client messages received since the simulator started (every connection's). */
  messagesReceived: number;
  messagesSent: number;
  /** Client connections open now. */
  connections: number;
}

export interface GatewayProcess {
  host: string;
  port: number;
  /** The process id (to tell which process is which in a report). */
  pid: number;
  /** The simulator's counters now. */
  stats(): Promise<GatewayStats>;
  /** Stops the gateway and waits for its process to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the simulator with its clock at 16:45 New York time on `date` and resolves once it listens. `warm`:
 * symbols whose chains and quotes it computes once first, so its first answers do not carry the start-up cost
 * of a fresh process (compiling, filling caches) that a long-running gateway has long paid.
 */
export async function startGatewayProcess(
  date: string,
  limits: { rate?: number; lines?: number } = {},
  warm: string[] = [],
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
        warm,
      }),
    ],
    // stdin stays open while this process lives: its end tells the simulator to stop.
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const listening = new Promise<string>((resolve, reject) => {
    waiting.push(resolve);
    void exited.then(() =>
      reject(new Error(`the simulator exited with ${child.exitCode} before it listened`)),
    );
  });
  // Answers come in the order the questions went out.
  lines.on("line", (line) => waiting.shift()?.(line));
  const address = JSON.parse(await listening) as { host: string; port: number };
  return {
    ...address,
    pid: child.pid ?? 0,
    stats() {
      return new Promise<GatewayStats>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error("the simulator has exited"));
          return;
        }
        waiting.push((line) => resolve(JSON.parse(line) as GatewayStats));
        child.stdin.write("stats\n");
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
