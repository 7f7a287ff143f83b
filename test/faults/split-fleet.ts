import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { startSimulator } from "../../src/sim/server.ts";
import type { SimOptions, Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { startProcess } from "./fixture.ts";
import type { RunningProcess } from "./fixture.ts";

export const FLEET_DATE = "2025-01-15";

/**
 * A fleet as a user runs one: a PostgreSQL database, three simulated gateways (g1..g3) listening on sockets,
 * chainvault.yaml naming them with split collections on, and `chainvault worker` / `collect --split` processes.
 * `refusing` names gateways whose entry points at a closed port instead.
 */
export interface Fleet {
  dir: string;
  db: Database;
  url: string;
  sims: Map<string, Simulator>;
  env: Record<string, string>;
  worker(gateway: string): RunningProcess;
  collect(symbols: string): RunningProcess;
  close(): Promise<void>;
}

/** A port nothing listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startFleet(options: {
  sim?: Partial<SimOptions>;
  refusing?: string[];
  config?: Record<string, unknown>;
}): Promise<Fleet> {
  const server = await createServerDatabase();
  const db = await openDatabase({ url: server.url, dataDir: "unused" });
  await migrate(db);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-fleet-"));
  const sims = new Map<string, Simulator>();
  const gateways = [];
  const processes: RunningProcess[] = [];
  for (const [i, name] of ["g1", "g2", "g3"].entries()) {
    let port: number;
    if (options.refusing?.includes(name)) port = await closedPort();
    else {
      const sim = await startSimulator({
        port: 0,
        start: { date: FLEET_DATE, timeEt: "16:45" },
        rate: Infinity,
        lines: Infinity,
        ...options.sim,
      });
      sims.set(name, sim);
      port = sim.port;
    }
    gateways.push({
      name,
      host: "127.0.0.1",
      port,
      client_id: 20 + i,
      max_messages_per_second: 200,
      max_market_data_lines: 4,
    });
  }
  const extra = options.config ?? {};
  fs.writeFileSync(
    path.join(dir, "chainvault.yaml"),
    YAML.stringify({
      gateways,
      selection: { max_days_to_expiry: 4 },
      log: { level: "info" },
      ...extra,
      // 200 msg/s × 1 s ÷ 2: parts of 100 contracts, several per symbol.
      collect: {
        include_vix: false,
        split: true,
        part_seconds: 1,
        connect_attempts: 2,
        max_gateway_outage_seconds: 5,
        ...(extra.collect as object | undefined),
      },
      // The fastest pg-boss allows: a killed worker's part is free again 10-15 s after the kill.
      daemon: { heartbeat_seconds: 10, retry_delay_seconds: 1, retry_delay_max_seconds: 2 },
    }),
  );
  const env = { DATABASE_URL: server.url };
  const start = (args: string[]) => {
    const running = startProcess([...args, "--config", "chainvault.yaml"], { env, cwd: dir });
    processes.push(running);
    return running;
  };
  return {
    dir,
    db,
    url: server.url,
    sims,
    env,
    worker: (gateway) => start(["worker", "--gateway", gateway, "--json"]),
    collect: (symbols) => start(["collect", "--split", "--symbols", symbols, "--date", FLEET_DATE, "--json"]),
    async close() {
      for (const running of processes) running.child.kill("SIGKILL");
      await Promise.all(processes.map((running) => running.exited));
      await db.close();
      await server.drop();
      for (const sim of sims.values()) await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
