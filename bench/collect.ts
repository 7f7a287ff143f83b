// bench/collect: a full EOD collection of SPY + PLTR + TSLA (selection: all) against the simulated gateway at
// IB's default limits (50 msg/s, 100 lines), into PGlite in a temporary directory, with the default pacer.
// Prints wall time, the pacing lower bound, their ratio (goal <= 1.15) and peak RSS (goal <= 200 MB).
// The gateway runs in its own process, so the RSS is the collector's. With --engine postgres the rows go to a
// fresh database on the server (CHAINVAULT_TEST_PG_URL), so the RSS is the collector alone; with the default
// --engine pglite it includes the embedded engine (~500 MB of its own, measured and printed separately).
//   npm run bench:collect [-- --engine pglite|postgres --symbols SPY,PLTR,TSLA --date 2025-01-15]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { runCollection } from "../src/collect/run.ts";
import { configSchema } from "../src/config/schema.ts";
import { clientOptionsFromConfig, IbClient } from "../src/ib/client.ts";
import { IB_MARKET_DATA_LINES, IB_MESSAGES_PER_SECOND } from "../src/ib/limits.ts";
import { migrate } from "../src/store/migrate.ts";
import { openDatabase } from "../src/store/open.ts";
import { createServerDatabase } from "../test/helpers/db.ts";
import { startGatewayProcess } from "./gateway-process.ts";

const { values } = parseArgs({
  options: {
    symbols: { type: "string", default: "SPY,PLTR,TSLA" },
    date: { type: "string", default: "2025-01-15" },
    engine: { type: "string", default: "pglite" },
  },
});
const symbols = values.symbols.split(",");
const date = values.date;

const logger = pino({ level: process.env.CHAINVAULT_LOG_LEVEL ?? "warn" });
const dataDir = await mkdtemp(path.join(tmpdir(), "chainvault-bench-collect-"));
const gateway = await startGatewayProcess(date);
const config = configSchema.parse({
  selection: { mode: "all" },
  ib: { host: gateway.host, port: gateway.port },
});
if (values.engine !== "pglite" && values.engine !== "postgres")
  throw new Error("--engine is pglite or postgres");
const server = values.engine === "postgres" ? await createServerDatabase() : null;
const db = await openDatabase({ dataDir, url: server?.url });
await migrate(db);
const rssAfterOpenMb = process.memoryUsage().rss / 1048576;
const peakBeforeRunMb = process.resourceUsage().maxRSS / 1024;
let peakHeapMb = 0;
let peakRunRssMb = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakHeapMb = Math.max(peakHeapMb, usage.heapUsed / 1048576);
  peakRunRssMb = Math.max(peakRunRssMb, usage.rss / 1048576);
}, 250);
const ib = await IbClient.connect({
  ...clientOptionsFromConfig(config, logger),
  clockWarnThresholdMs: Infinity,
});
try {
  const started = performance.now();
  const summary = await runCollection({ symbols, type: "eod", date }, { db, ib, config, logger });
  const wall = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  for (const entry of summary.symbols) {
    console.log(
      `${entry.symbol.padEnd(5)} ${entry.status.padEnd(9)} selected ${String(entry.contracts_selected).padStart(5)}  stored ${String(entry.quotes_stored).padStart(5)}  coverage ${(entry.coverage * 100).toFixed(2)}%  ${entry.duration_s.toFixed(1)} s`,
    );
  }
  const ratio = wall / summary.pacing_lower_bound_s;
  console.log(
    `pacer: ${config.ib.max_messages_per_second} msg/s, ${config.ib.max_market_data_lines} lines; gateway: ${IB_MESSAGES_PER_SECOND} msg/s, ${IB_MARKET_DATA_LINES} lines`,
  );
  console.log(`messages sent:       ${summary.messages_sent}`);
  console.log(`wall time:           ${wall.toFixed(1)} s`);
  console.log(`pacing lower bound:  ${summary.pacing_lower_bound_s.toFixed(1)} s`);
  console.log(`ratio:               ${ratio.toFixed(3)} (goal <= 1.15)`);
  console.log(`peak RSS:            ${peakRssMb.toFixed(0)} MB (goal <= 200 MB)`);
  console.log(`engine:              ${db.engine}`);
  if (db.engine === "pglite")
    console.log(
      `  of which PGlite:   peak ${peakBeforeRunMb.toFixed(0)} MB while creating the data directory, ${rssAfterOpenMb.toFixed(0)} MB once open`,
    );
  console.log(
    `  during the run:    RSS peak ${peakRunRssMb.toFixed(0)} MB, JS heap peak ${peakHeapMb.toFixed(0)} MB (the collector's own objects)`,
  );
  console.log(`IB errors received:  ${JSON.stringify(Object.fromEntries(ib.errorCounts))}`);
} finally {
  clearInterval(sampler);
  await ib.close();
  await db.close();
  await gateway.stop();
  await rm(dataDir, { recursive: true, force: true });
  await server?.drop();
}
