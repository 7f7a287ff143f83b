// The simulated gateway in a process of its own (as a real gateway is), for benchmarks: prints {host, port}
// as one JSON line on stdout once it listens, stops on SIGTERM. Options come as one JSON argument.
// A line "stats" on stdin is answered with one JSON line {messagesReceived, messagesSent, connections}; the
// end of stdin (the parent gone, even by SIGKILL) stops it too, so a crashed bench leaves no gateway behind.
import { createInterface } from "node:readline";
import { startSimulator } from "../src/sim/server.ts";
import type { SimOptions } from "../src/sim/server.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as SimOptions & {
  rate?: number | null;
  lines?: number | null;
  /** Symbols whose chains and quotes are computed once before listening (see gateway-process.ts). */
  warm?: string[];
};
const sim = await startSimulator({
  ...options,
  rate: options.rate ?? Infinity,
  lines: options.lines ?? Infinity,
});
for (const symbol of options.warm ?? []) {
  const instant = sim.clock.now();
  const date = options.start?.date ?? instant.toISOString().slice(0, 10);
  for (const contract of sim.market.chain(symbol, date)) {
    sim.market.optionQuote(contract, instant);
    sim.market.modelComputation(contract, instant);
    sim.market.openInterest(contract, date);
  }
}
process.stdout.write(`${JSON.stringify({ host: sim.host, port: sim.port })}\n`);
const stop = () => void sim.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  if (line.trim() === "stats")
    process.stdout.write(`${JSON.stringify({ ...sim.stats(), connections: sim.connections() })}\n`);
});
input.on("close", stop);
