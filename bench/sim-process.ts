// The simulated gateway in a process of its own (as a real gateway is), for benchmarks: prints {host, port}
// as one JSON line on stdout once it listens, stops on SIGTERM. Options come as one JSON argument.
import { startSimulator } from "../src/sim/server.ts";
import type { SimOptions } from "../src/sim/server.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as SimOptions & {
  rate?: number | null;
  lines?: number | null;
};
const sim = await startSimulator({
  ...options,
  rate: options.rate ?? Infinity,
  lines: options.lines ?? Infinity,
});
process.stdout.write(`${JSON.stringify({ host: sim.host, port: sim.port })}\n`);
process.on("SIGTERM", () => {
  void sim.close().then(() => process.exit(0));
});
