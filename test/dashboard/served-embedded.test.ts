import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDashboard } from "../../src/cli/dashboard.ts";
import { runDbServe } from "../../src/cli/db.ts";
import type { ServedDatabase } from "../../src/store/serve/serve-embedded.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";

describe("chainvault dashboard while another process holds the embedded database", () => {
  let dir: string;
  let configFile: string;
  beforeAll(async () => {
    delete process.env.DATABASE_URL;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-dashboard-"));
    const dataDir = await copyMigratedDataDir(path.join(dir, "data"));
    configFile = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(
      configFile,
      [`database: { data_dir: "${dataDir}" }`, "symbols: [SPY]", "log: { level: error }", ""].join("\n"),
    );
  }, 120_000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads through the holder's server (db serve here; the daemon's is the same) and serves the page", async () => {
    let stop!: (signal: NodeJS.Signals) => void;
    const stopRequested = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
    let onServing!: (database: ServedDatabase) => void;
    const serving = new Promise<ServedDatabase>((resolve) => (onServing = resolve));
    const runServe = runDbServe({ config: configFile, port: "0" }, stopRequested, onServing);
    let onDashboard!: (url: string) => void;
    const dashboardUrl = new Promise<string>((resolve) => (onDashboard = resolve));
    let runBoard: Promise<void> | undefined;
    try {
      await Promise.race([serving, runServe.then(() => Promise.reject(new Error("db serve ended early")))]);
      runBoard = runDashboard({ config: configFile, host: "127.0.0.1", port: 0 }, stopRequested, onDashboard);
      const url = await Promise.race([
        dashboardUrl,
        runBoard.then(() => Promise.reject(new Error("the dashboard ended before it served"))),
      ]);
      const health = await fetch(`${url}/api/health`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { cells: { symbol: string }[]; storage: { table: string }[] };
      expect(body.cells.some((cell) => cell.symbol === "SPY")).toBe(true);
      expect(body.storage.some((row) => row.table === "market_data_ticks")).toBe(true);
      expect((await fetch(`${url}/`)).status).toBe(200);
    } finally {
      stop("SIGTERM");
      await runBoard;
      await runServe;
    }
  });
});
