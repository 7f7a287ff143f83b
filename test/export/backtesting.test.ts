import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { openDuckDb } from "../helpers/duckdb.ts";
import type { DuckDb } from "../helpers/duckdb.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DOC = fs.readFileSync(new URL("../../docs/backtesting.md", import.meta.url), "utf8");

/** The SQL block that follows `<!-- example: NAME -->` in docs/backtesting.md. */
function example(name: string): string {
  const match = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!match) throw new Error(`docs/backtesting.md has no example ${name}`);
  return match[1]!;
}

/** Rows as plain values for comparing DuckDB's with PostgreSQL's: dates as strings, numbers rounded. */
function normalized(rows: Record<string, unknown>[]): unknown[][] {
  return rows.map((row) =>
    Object.values(row).map((value) => {
      if (value instanceof Date) return value.toISOString().slice(0, 10);
      if (typeof value === "number" || typeof value === "bigint") return Number(Number(value).toFixed(9));
      return value;
    }),
  );
}

describe("docs/backtesting.md: every example runs, over an export (DuckDB) and against the views (SQL)", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  let duck: DuckDb;
  let dir: string;

  beforeAll(async () => {
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    await migrate(db);
    await seedSyntheticChains(db, {
      symbols: ["SPY", "QQQ"],
      days: tradingDaysFrom("2026-11-30", 2),
      expiries: 3,
      strikes: 8,
    });
    duck = await openDuckDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-backtesting-"));
    process.env.DATABASE_URL = server.url;
    for (const layout of ["quotes", "daily"]) {
      const run = await runMain([
        "export",
        "--symbols",
        "SPY,QQQ",
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-01",
        "--layout",
        layout,
        "--format",
        "parquet",
        "--out",
        path.join(dir, layout),
      ]);
      expect([run.code, run.stderr]).toEqual([0, ""]);
    }
  }, 60_000);

  afterAll(async () => {
    delete process.env.DATABASE_URL;
    duck?.close();
    await db?.close();
    await server?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const overExport = (sql: string, layout: string) =>
    duck.all(sql.replaceAll("'chains/**/*.parquet'", `'${path.join(dir, layout)}/**/*.parquet'`));

  it("the three-command DataFrame read: the tree is one dataset with symbol and date from its directories", async () => {
    const counts = await overExport(
      "SELECT symbol, date, count(*) AS n FROM read_parquet('chains/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL",
      "quotes",
    );
    expect(normalized(counts)).toEqual([
      ["QQQ", "2026-11-30", 96],
      ["QQQ", "2026-12-01", 96],
      ["SPY", "2026-11-30", 96],
      ["SPY", "2026-12-01", 96],
    ]);
  });

  it("box-spread rates: the DuckDB example over the export equals the SQL example on chain_quotes", async () => {
    const fromExport = await overExport(example("box-duckdb"), "quotes");
    const fromViews = (await db.query(example("box-postgres"))).rows;
    expect(fromExport.length).toBeGreaterThan(0);
    expect(normalized(fromExport)).toEqual(normalized(fromViews));
    for (const row of fromExport) expect(Number.isFinite(row.box_rate)).toBe(true);
  });

  it("parity check: the DuckDB example over the daily export equals the SQL example on chain_daily", async () => {
    const fromExport = await overExport(example("parity-duckdb"), "daily");
    const fromViews = (await db.query(example("parity-postgres"))).rows;
    // Random synthetic quotes breach parity often: the example must find some, and the same ones both ways.
    expect(fromExport.length).toBeGreaterThan(0);
    expect(normalized(fromExport)).toEqual(normalized(fromViews));
  });

  it("the side-by-side query of docs/schema.md runs on the views", async () => {
    const schemaDoc = fs.readFileSync(new URL("../../docs/schema.md", import.meta.url), "utf8");
    const sql = /Example — SPY's 15:45 chain[^`]*```sql\n([\s\S]*?)```/.exec(schemaDoc)![1]!;
    const rows = (await db.query(sql)).rows;
    expect(rows).toHaveLength(3 * 8);
  });
});
