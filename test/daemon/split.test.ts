import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as stringifyYaml } from "yaml";
import { etInstant } from "../../src/calendar/index.ts";
import { daemonExitCode, runDaemon } from "../../src/cli/daemon.ts";
import { EXIT_OK } from "../../src/cli/exit-codes.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { listPartsOfDate } from "../../src/store/repositories/collection-parts.ts";
import { statusRows, storedQuotes } from "../faults/checks.ts";
import { createServerDatabase } from "../helpers/db.ts";

const DATE = "2026-03-11";
const SLOTS_OFF = [
  "pre_market",
  "analytics",
  "weekly_discovery",
  "pre_expiry",
  "settlement",
  "monthly_discovery",
  "expiry_processing",
  "post_expiry",
  "gap_check",
  "weekend_review",
  "weekend_prep",
  "backup",
  "archive",
];

/**
 * The daemon with collect.split: its EOD slot coordinates (discovery once, parts queued) and the daemon, one of
 * the fleet's workers, takes the parts itself with its gateway. `daemon --once` ends with the collection
 * completed from all its parts.
 */
describe("a daemon splitting its collection slot", () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  let dir: string;
  beforeAll(async () => {
    database = await createServerDatabase();
    db = await openDatabase({ url: database.url, dataDir: "unused" });
    await migrate(db);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-split-daemon-"));
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs the parts of its EOD slot and records it completed", { timeout: 90_000 }, async () => {
    const sim = await startSimulator({
      port: 0,
      start: { date: DATE, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 5,
    });
    const configFile = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(
      configFile,
      stringifyYaml({
        symbols: ["PLTR"],
        database: { url: database.url },
        ib: { port: sim.port, client_id: 61, max_messages_per_second: 60, max_market_data_lines: 20 },
        selection: { max_days_to_expiry: 4 },
        // 60 msg/s × 1 s ÷ 2 = 30 contracts a part.
        collect: { include_vix: false, connect_attempts: 2, split: true, part_seconds: 1 },
        schedule: {
          timezone: "America/New_York",
          ...Object.fromEntries(SLOTS_OFF.map((slot) => [slot, { enabled: false }])),
        },
        daemon: {
          retry_limit: 1,
          retry_delay_seconds: 1,
          first_start_lookback_hours: 1,
          shutdown_grace_seconds: 30,
        },
        http: { enabled: false },
        log: { level: "fatal" },
      }),
    );
    const clock = new ManualClock(new Date(etInstant(DATE, "16:45").getTime() + 30_000));
    try {
      const result = await runDaemon({ once: true, config: configFile }, new Promise(() => undefined), clock);
      expect(result.failed).toEqual([]);
      expect(daemonExitCode(result)).toBe(EXIT_OK);
    } finally {
      await sim.close();
    }
    const parts = await listPartsOfDate(db, DATE);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((part) => part.status === "completed" && part.gateway === "default")).toBe(true);
    const quotes = await storedQuotes(db, { date: DATE });
    expect(quotes.distinctContracts).toBe(quotes.rows);
    expect(quotes.rows).toBe(parts.reduce((sum, part) => sum + part.contractCount, 0));
    expect(await statusRows(db, DATE)).toEqual([
      expect.objectContaining({ symbol: "PLTR", status: "completed", records_collected: quotes.rows }),
    ]);
  });
});
