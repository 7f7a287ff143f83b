import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExport } from "../../src/export/run-export.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-11-30", 2);
const SYMBOLS = ["SPY", "QQQ"];

/**
 * The same rows on both engines. A few values a float8 would print with an exponent (4.4e-05) where JavaScript's
 * String does not (0.000044), and a whole-number price, are set on one quote.
 */
async function seed(db: Database): Promise<void> {
  await migrate(db);
  await seedSyntheticChains(db, { symbols: SYMBOLS, days: DAYS, expiries: 2, strikes: 4 });
  await db.query(
    // Stored scaled (gamma in millionths, the rest in ten-thousandths): gamma 0.000044, rho -0.0001, theta 0, bid 12.
    `UPDATE market_data_ticks SET gamma_e6 = 44, rho_e4 = -1, theta_e4 = 0, bid_price_e4 = 120000
      WHERE (contract_id, time) = (SELECT contract_id, time FROM market_data_ticks ORDER BY contract_id, time LIMIT 1)`,
  );
}

describe("CSV export: the server's COPY path and the embedded engine's cursor path write the same bytes", () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let serverDb: Database;
  let embeddedDb: Database;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-csv-engines-"));
    server = await createServerDatabase();
    // A DateStyle other than ISO on the server: the export must not depend on it.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${server.name} SET datestyle = 'SQL, DMY'`);
    await admin.end();
    serverDb = await openDatabase({ url: server.url, dataDir: "unused" });
    embeddedDb = await openDatabase({ dataDir: await copyMigratedDataDir(path.join(dir, "data")) });
    await seed(serverDb);
    await seed(embeddedDb);
  }, 60_000);

  afterAll(async () => {
    await serverDb?.close();
    await embeddedDb?.close();
    await server?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(["quotes", "daily"] as const)("%s layout", async (layout) => {
    const request = {
      layout,
      format: "csv" as const,
      symbols: SYMBOLS,
      from: DAYS[0]!,
      to: DAYS.at(-1)!,
      types: ["analytics", "eod"],
    };
    expect(serverDb.copyCsvOut).toBeDefined();
    expect(embeddedDb.copyCsvOut).toBeUndefined();
    const onServer = path.join(dir, `server-${layout}.csv`);
    const embedded = path.join(dir, `embedded-${layout}.csv`);
    const a = await runExport(serverDb, { ...request, out: onServer });
    const b = await runExport(embeddedDb, { ...request, out: embedded });
    expect(a.rows).toBe(b.rows);
    expect(a.rows).toBeGreaterThan(0);
    const serverText = fs.readFileSync(onServer, "utf8");
    if (layout === "quotes") {
      expect(serverText).toContain(",0.000044,");
      expect(serverText).toMatch(/,\d{4}-\d{2}-\d{2},/);
    }
    // Line by line first, for a readable difference, then the whole file.
    const serverLines = serverText.split("\n");
    const embeddedLines = fs.readFileSync(embedded, "utf8").split("\n");
    for (let i = 0; i < Math.max(serverLines.length, embeddedLines.length); i += 1) {
      expect(serverLines[i], `line ${i + 1}`).toBe(embeddedLines[i]);
    }
    expect(fs.readFileSync(onServer).equals(fs.readFileSync(embedded))).toBe(true);
  });
});
