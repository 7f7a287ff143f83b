import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreMonth, runArchive, verifyArchive } from "../../src/archive/archive.ts";
import { applyRetention } from "../../src/archive/retention.ts";
import { openArchiveTarget } from "../../src/archive/target.ts";
import type { ArchiveTarget } from "../../src/archive/target.ts";
import type { Database } from "../../src/store/database.ts";
import { archiveAndRetain } from "../../src/daemon/maintenance.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-10-29", 3);
const NOW = new Date("2026-12-10T00:00:00Z");

async function counts(db: Database): Promise<{ october: number; november: number }> {
  const result = await db.query<{ october: number; november: number }>(
    `SELECT count(*) FILTER (WHERE time < '2026-11-01T00:00Z')::int8 AS october,
            count(*) FILTER (WHERE time >= '2026-11-01T00:00Z')::int8 AS november
       FROM market_data_ticks`,
  );
  return result.rows[0]!;
}

// Each engine deletes the same way (by time range); on TimescaleDB the range spans compressed chunks.
describe.each(["pglite", "timescale"] as const)("guarded retention on %s", (engine) => {
  let test: TestDatabase;
  let dir: string;
  let target: ArchiveTarget;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedSyntheticChains(test.db, { symbols: ["SPY"], days: DAYS, expiries: 1, strikes: 3 });
    if (engine === "timescale") {
      const chunks = await test.db.query<{ chunk: string }>(
        "SELECT show_chunks('market_data_ticks')::text AS chunk",
      );
      for (const { chunk } of chunks.rows)
        await test.db.query("SELECT compress_chunk($1::regclass)", [chunk]);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-retention-test-"));
    target = await openArchiveTarget({ target: "dir", dir, prefix: "", region: "us-east-1" });
  });

  afterAll(async () => {
    target?.close();
    await test?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps everything without an archive, then drops exactly the archived, verified month", async () => {
    const before = await counts(test.db);
    expect(before.october).toBeGreaterThan(0);
    expect(before.november).toBeGreaterThan(0);

    const none = await applyRetention(test.db, { keepDays: 1, now: NOW });
    expect(none.dropped).toEqual([]);
    expect(none.kept.map((entry) => `${entry.month} ${entry.table} ${entry.reason}`)).toContain(
      "2026-10 market_data_ticks no archive",
    );
    expect(await counts(test.db)).toEqual(before);

    // Only October is archived (November has not closed by --before).
    await runArchive(test.db, target, new Date("2026-11-15T00:00:00Z"));
    expect((await verifyArchive(test.db, target, NOW)).failures).toEqual([]);
    const dropped = await applyRetention(test.db, { keepDays: 1, now: NOW });
    expect(dropped.dropped).toContainEqual({
      month: "2026-10",
      table: "market_data_ticks",
      rows: before.october,
    });
    expect(dropped.kept.map((entry) => `${entry.month} ${entry.table} ${entry.reason}`)).toContain(
      "2026-11 market_data_ticks no archive",
    );
    expect(await counts(test.db)).toEqual({ october: 0, november: before.november });

    const restored = await restoreMonth(test.db, target, "2026-10");
    expect(restored.tables.every((entry) => entry.identical)).toBe(true);
    expect(await counts(test.db)).toEqual(before);
  });

  it("the daemon's archive slot archives the closed month, verifies, and drops what retention may, logging why", async () => {
    const { logger, matching } = capturedLog();
    const before = await counts(test.db);
    const result = await archiveAndRetain(
      test.db,
      { archive: { target: "dir", dir, prefix: "", region: "us-east-1" }, keepDays: 1 },
      { now: NOW, logger },
    );
    expect(result.summary).toMatch(
      /^archived 2 files .* verified 4, retention dropped \d+ rows in 4 month-tables/,
    );
    expect(await counts(test.db)).toEqual({ october: 0, november: 0 });
    const line = matching(/^retention dropped \d+ archived rows$/)[0]!;
    expect(line.dropped).toContainEqual({
      month: "2026-11",
      table: "market_data_ticks",
      rows: before.november,
    });
  });
});
