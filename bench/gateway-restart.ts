// bench/gateway-restart: `chainvault collect` (a child process, the default pacer) against the simulated gateway at
// IB's limits (50 msg/s, 100 lines), once undisturbed and once with the gateway restarting for --restart-seconds
// after 1,500 messages (mid-SPY). Prints exit code, run time, rows, distinct keys and coverage of both runs.
// Rows go to a fresh database on the server (CHAINVAULT_TEST_PG_URL). The outage is the client's own figure (its
// "reconnected" log line): from the drop to the next connection.
//   npx tsx bench/gateway-restart.ts [--restart-seconds 30 --symbols SPY,PLTR --date 2026-01-15 --restart-only]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/server.ts";
import { openDatabase } from "../src/store/open.ts";
import { runCli } from "../test/helpers/cli.ts";
import { createServerDatabase } from "../test/helpers/db.ts";

const { values } = parseArgs({
  options: {
    "restart-seconds": { type: "string", default: "30" },
    symbols: { type: "string", default: "SPY,PLTR" },
    date: { type: "string", default: "2026-01-15" },
    "restart-only": { type: "boolean", default: false },
  },
});
const RESTART_AFTER_MESSAGES = 1500;

async function run(restartMs: number): Promise<void> {
  const sim = await startSimulator({ port: 0, start: { date: values.date, timeEt: "16:45" } });
  const dir = await mkdtemp(path.join(tmpdir(), "chainvault-bench-restart-"));
  const database = await createServerDatabase();
  try {
    const config = path.join(dir, "chainvault.yaml");
    await writeFile(
      config,
      `ib:\n  host: ${sim.host}\n  port: ${sim.port}\ncollect:\n  include_vix: false\nlog:\n  level: info\n`,
    );
    let restartedAt = 0;
    const timer = setInterval(() => {
      if (restartMs === 0 || restartedAt || sim.stats().messagesReceived < RESTART_AFTER_MESSAGES) return;
      restartedAt = Date.now();
      sim.faults.restart(restartMs);
    }, 5);
    const started = Date.now();
    const result = await runCli(
      ["collect", "--symbols", values.symbols, "--date", values.date, "--json", "--config", config],
      { DATABASE_URL: database.url },
    );
    clearInterval(timer);
    const seconds = (Date.now() - started) / 1000;
    const db = await openDatabase({ url: database.url, dataDir: dir });
    const counts = await db.query<{ n: string; keys: string }>(
      "SELECT count(*) AS n, count(DISTINCT (collection_date, contract_id, collection_type)) AS keys FROM market_data_ticks",
    );
    const statuses = await db.query<{ symbol: string; status: string }>(
      "SELECT symbol, status FROM daily_collection_status ORDER BY symbol",
    );
    await db.close();
    const reconnected = result.stderr
      .split("\n")
      .filter((line) => line.includes("reconnected to the gateway"))
      .map((line) => (JSON.parse(line) as { outageSeconds: number }).outageSeconds);
    const summary = result.code === 0 || result.code === 1 ? JSON.parse(result.stdout) : undefined;
    const coverage = (summary?.symbols as Array<{ symbol: string; coverage: number }> | undefined)
      ?.map((entry) => `${entry.symbol} ${(entry.coverage * 100).toFixed(1)} %`)
      .join(", ");
    console.log(
      `${restartMs === 0 ? "undisturbed" : `restart ${restartMs / 1000} s`}: exit ${result.code}, ${seconds.toFixed(1)} s, ` +
        `rows ${counts.rows[0]?.n}, distinct keys ${counts.rows[0]?.keys}, coverage ${coverage ?? "(no summary)"}, ` +
        `status ${statuses.rows.map((row) => `${row.symbol} ${row.status}`).join(", ")}` +
        (reconnected.length > 0 ? `, reconnected after ${reconnected.join(", ")} s` : ""),
    );
  } finally {
    await database.drop();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (!values["restart-only"]) await run(0);
await run(Number(values["restart-seconds"]) * 1000);
