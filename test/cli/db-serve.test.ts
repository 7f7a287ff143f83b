import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/cli/daemon.ts";
import { runDbServe } from "../../src/cli/db.ts";
import { openVault } from "../../src/api/vault.ts";
import type { ServedDatabase } from "../../src/store/serve/serve-embedded.ts";
import { readServeRecord, servedUrl } from "../../src/store/serve/serve-record.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { runCli, runMain } from "../helpers/cli.ts";
import { waitUntil } from "../helpers/wait.ts";

const execFileAsync = promisify(execFile);

function psql(url: string, sql: string) {
  return execFileAsync("psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]);
}

/** The parts of `status --json` these tests read. */
interface StatusJson {
  failed: boolean;
  slots: Array<{ symbol: string; type: string; outcome: string; stored: number | null }>;
}

describe("chainvault db serve, and reading while the daemon holds the embedded database", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let dataDir: string;

  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    // The fixture of test/cli/collect.test.ts: an evening after the close, the nearest expiries only.
    sim = await startSimulator({
      port: 0,
      start: { date: "2025-01-15", timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-db-serve-"));
    dataDir = path.join(dir, "data");
    configFile = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(
      configFile,
      [
        "symbols: [PLTR]",
        `database: { data_dir: ${JSON.stringify(dataDir)}, serve_port: 0 }`,
        `ib: { host: ${sim.host}, port: ${sim.port}, max_messages_per_second: 1000 }`,
        "selection: { max_days_to_expiry: 2 }",
        "collect: { include_vix: false }",
        "daemon: { first_start_lookback_hours: 0 }",
        "http: { enabled: false }",
        "log: { level: error }",
        "",
      ].join("\n"),
    );
    const collected = await runMain(["collect", "--symbols", "PLTR", "--json", "--config", configFile]);
    expect(collected.code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await sim?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    "serves the collected chain to psql and node-postgres, refuses writes, and status reads through it",
    { timeout: 180_000 },
    async () => {
      let stop!: (signal: NodeJS.Signals) => void;
      const stopRequested = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
      let onServing!: (database: ServedDatabase) => void;
      const serving = new Promise<ServedDatabase>((resolve) => (onServing = resolve));
      const runServe = runDbServe({ config: configFile, port: "0" }, stopRequested, onServing);
      try {
        const served = await Promise.race([
          serving,
          runServe.then(() => Promise.reject(new Error("db serve ended before it served"))),
        ]);
        expect(served.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
        const client = new pg.Client({ connectionString: served.url });
        await client.connect();
        const stored = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM market_data_ticks t JOIN option_chains c ON c.id = t.contract_id
          JOIN underlying_securities u ON u.id = c.underlying_id WHERE u.symbol = 'PLTR' AND t.collection_date = '2025-01-15'`,
        );
        await client.end();
        const quotes = Number(stored.rows[0]!.n);
        expect(quotes).toBeGreaterThan(0);
        const fromPsql = await psql(
          served.url,
          "SELECT status || ' ' || records_collected FROM daily_collection_status WHERE symbol = 'PLTR'",
        );
        expect(fromPsql.stdout).toBe(`completed ${quotes}\n`);
        await expect(psql(served.url, "DELETE FROM market_data_ticks")).rejects.toMatchObject({
          stderr: expect.stringContaining("read-only transaction"),
        });

        // The data directory is locked by this process; the real CLI finds the serve record and reads through it.
        const status = await runCli(["status", "--date", "2025-01-15", "--json", "--config", configFile]);
        expect(status.stderr).toBe("");
        const report = JSON.parse(status.stdout) as StatusJson;
        // Exit 3 marks other planned slots of the day that never ran; the read itself worked.
        expect(status.code).toBe(report.failed ? 3 : 0);
        const pltr = report.slots.filter((slot) => slot.symbol === "PLTR" && slot.type === "eod");
        expect(pltr.map((slot) => [slot.outcome, slot.stored])).toEqual([["completed", quotes]]);

        // A second db serve of the same directory points at the first.
        await expect(runDbServe({ config: configFile, port: "0" }, stopRequested)).rejects.toThrow(
          `is already served by process ${process.pid} (the daemon, or another db serve) at ${served.url}: connect there`,
        );

        // The library API finds the directory in use and reads through the same server.
        const vault = await openVault({ dataDir });
        try {
          expect([vault.engine, vault.servedBy]).toEqual(["pglite", { pid: process.pid, url: served.url }]);
          const chain = await vault.chain({ symbol: "PLTR", date: "2025-01-15", type: "eod" });
          expect(chain.rows).toHaveLength(quotes);
          expect(chain.expiries.flatMap((expiry) => expiry.strikes).length * 2).toBe(quotes);
        } finally {
          await vault.close();
        }

        const info = await runMain(["db", "info", "--json", "--config", configFile]);
        expect(info.code).toBe(0);
        const parsed = JSON.parse(info.stdout) as {
          engine: string;
          tables: Record<string, number>;
          connection: unknown;
        };
        expect(parsed.engine).toBe("pglite");
        expect(parsed.tables.market_data_ticks).toBe(quotes);
        expect(parsed.connection).toEqual({
          url: served.url,
          served_by_pid: process.pid,
          needs_db_serve: false,
        });
      } finally {
        stop("SIGINT");
        await runServe;
      }
      expect(readServeRecord(dataDir)).toBeNull();
      const direct = await openVault({ dataDir });
      try {
        expect(direct.servedBy).toBeNull();
        expect((await direct.chain({ symbol: "PLTR", date: "2025-01-15" })).rows.length).toBeGreaterThan(0);
      } finally {
        await direct.close();
      }
      // Stopped: the directory is free again and db info opens it directly, naming the URL db serve would use.
      const after = await runMain(["db", "info", "--json", "--config", configFile]);
      expect(JSON.parse(after.stdout).connection).toEqual({
        url: "postgres://postgres@127.0.0.1:5433/postgres",
        served_by_pid: null,
        needs_db_serve: true,
      });
    },
  );

  it(
    "with the daemon running on the embedded engine, status, export and psql through its socket all succeed",
    { timeout: 180_000 },
    async () => {
      let stop!: (signal: NodeJS.Signals) => void;
      const stopRequested = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
      const running = runDaemon({ config: configFile }, stopRequested);
      try {
        await waitUntil(() => readServeRecord(dataDir) !== null, {
          what: "the daemon to serve its database",
          timeoutMs: 120_000,
        });
        const record = readServeRecord(dataDir)!;
        expect(record.pid).toBe(process.pid);
        const url = servedUrl(record);

        const status = await runCli(["status", "--date", "2025-01-15", "--json", "--config", configFile]);
        expect(status.stderr).toBe("");
        const report = JSON.parse(status.stdout) as StatusJson;
        expect(status.code).toBe(report.failed ? 3 : 0);
        expect(
          report.slots
            .filter((slot) => slot.symbol === "PLTR" && slot.type === "eod")
            .map((slot) => slot.outcome),
        ).toEqual(["completed"]);

        // export from another process, as a user runs it: through the daemon's socket, not the locked directory.
        const daily = await psql(
          url,
          "SELECT count(*) FROM chain_daily WHERE underlying_symbol = 'PLTR' AND quote_date = '2025-01-15'",
        );
        const days = Number(daily.stdout);
        expect(days).toBeGreaterThan(0);
        const exported = await runCli([
          "export",
          ...["--symbols", "PLTR", "--from", "2025-01-15", "--to", "2025-01-15", "--layout", "daily"],
          ...["--out", "-", "--config", configFile],
        ]);
        expect(exported.stderr).toBe(`exported ${days} rows (daily, csv) to standard output\n`);
        expect(exported.code).toBe(0);
        expect(exported.stdout.split("\n").filter(Boolean)).toHaveLength(1 + days);

        const queue = await psql(url, "SELECT count(*) > 0 FROM pg_tables WHERE schemaname = 'pgboss'");
        expect(queue.stdout).toBe("t\n");
        const migrations = await psql(url, "SELECT max(id) FROM chainvault_migrations");
        expect(Number(migrations.stdout)).toBeGreaterThan(0);
        await expect(psql(url, "UPDATE daily_collection_status SET status = 'failed'")).rejects.toMatchObject(
          {
            stderr: expect.stringContaining("read-only transaction"),
          },
        );
      } finally {
        stop("SIGTERM");
      }
      expect((await running).outcome).toBe("stopped");
      expect(readServeRecord(dataDir)).toBeNull();
    },
  );
});
