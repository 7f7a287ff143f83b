import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import { openDatabase } from "../../src/store/open.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";

export const DATE = "2025-01-15";

export interface CollectedServer {
  url: string;
  dir: string;
  /** What the collection stored for PLTR's eod snapshot on DATE, counted with SQL. */
  stored: { quotes: number; contracts: number; expiries: string[] };
  close(): Promise<void>;
}

/**
 * A fresh server database holding one real `chainvault collect` of PLTR against the simulator (the fixture of
 * test/cli/collect.test.ts: an evening after the close, the nearest expiries only).
 */
export async function collectedServer(): Promise<CollectedServer> {
  const sim = await startSimulator({
    port: 0,
    start: { date: DATE, timeEt: "16:45" },
    rate: Infinity,
    lines: Infinity,
  });
  const server = await createServerDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-api-"));
  const close = async () => {
    await sim.close();
    await server.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const configFile = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(
      configFile,
      [
        `database: { url: "${server.url}" }`,
        `ib: { host: ${sim.host}, port: ${sim.port}, max_messages_per_second: 1000 }`,
        "selection: { max_days_to_expiry: 2 }",
        "collect: { include_vix: false }",
        "log: { level: error }",
        "",
      ].join("\n"),
    );
    const collected = await runMain([
      "collect",
      "--symbols",
      "PLTR",
      "--date",
      DATE,
      "--json",
      "--config",
      configFile,
    ]);
    expect(collected.code).toBe(0);
    const db = await openDatabase({ url: server.url, dataDir: "unused" });
    try {
      const counts = await db.query<{ quotes: number; contracts: number }>(
        `SELECT count(*) AS quotes, count(DISTINCT contract_id) AS contracts FROM market_data_ticks
          WHERE collection_date = $1 AND collection_type = 'eod'`,
        [DATE],
      );
      const expiries = await db.query<{ expiry: string }>(
        `SELECT DISTINCT c.expiration_date AS expiry FROM market_data_ticks t JOIN option_chains c ON c.id = t.contract_id
          ORDER BY 1`,
      );
      const stored = { ...counts.rows[0]!, expiries: expiries.rows.map((row) => row.expiry) };
      expect(stored.quotes).toBeGreaterThan(0);
      return { url: server.url, dir, stored, close };
    } finally {
      await db.close();
    }
  } catch (error) {
    await close();
    throw error;
  }
}
