import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";
import { exportColumns, partitionColumns } from "../../src/store/reads/export-reads.ts";
import type { ExportLayout } from "../../src/store/reads/export-reads.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { comparable, csvColumnsArgument, openDuckDb } from "../helpers/duckdb.ts";
import type { DuckDb } from "../helpers/duckdb.ts";
import { seedSyntheticChains, tradingDaysFrom } from "../helpers/synthetic-chains.ts";

const DAYS = tradingDaysFrom("2026-11-30", 3);
const [FROM, , TO] = DAYS as [string, string, string];
const SYMBOLS = ["SPY", "QQQ"];
const VIEW: Record<ExportLayout, { view: string; order: string }> = {
  quotes: {
    view: "chain_quotes",
    order: "underlying_symbol, collection_date, expiration, strike, option_type, collection_type, quote_time",
  },
  daily: { view: "chain_daily", order: "underlying_symbol, quote_date, expiration, strike, option_type" },
};

/** Every value of `actual` against `expected`, row by row in the same order; returns the differences. */
function differences(
  layout: ExportLayout,
  expected: Record<string, unknown>[],
  actual: Record<string, unknown>[],
): string[] {
  const found: string[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i += 1) {
    for (const column of exportColumns(layout)) {
      const want = comparable(column.kind, expected[i]?.[column.name]);
      const got = comparable(column.kind, actual[i]?.[column.name]);
      if (want !== got) found.push(`row ${i} ${column.name}: ${String(want)} != ${String(got)}`);
    }
  }
  return found;
}

/**
 * A database holding the synthetic chains on each engine, and what the views hold for the exported range (read
 * before the CLI runs: on the embedded engine the CLI needs the data directory to itself).
 */
async function seeded(engine: "postgres" | "pglite", dir: string) {
  let env: { DATABASE_URL?: string; dataDir?: string };
  let db: Database;
  let drop = async () => {};
  if (engine === "postgres") {
    const server = await createServerDatabase();
    db = await openDatabase({ url: server.url, dataDir: "unused" });
    env = { DATABASE_URL: server.url };
    drop = () => server.drop();
  } else {
    // A copy of the migrated template: initdb is most of this file's setup on a loaded machine.
    const dataDir = await copyMigratedDataDir(path.join(dir, "data"));
    db = await openDatabase({ dataDir });
    env = { dataDir };
  }
  const expected = new Map<ExportLayout, Record<string, unknown>[]>();
  try {
    await migrate(db);
    await seedSyntheticChains(db, { symbols: SYMBOLS, days: DAYS, expiries: 2, strikes: 6 });
    for (const layout of ["quotes", "daily"] as const) {
      const { symbol, date } = partitionColumns(layout);
      const result = await db.query(
        `SELECT * FROM ${VIEW[layout].view} WHERE ${symbol} = ANY($1::text[]) AND ${date} BETWEEN $2 AND $3
          ORDER BY ${VIEW[layout].order}`,
        [SYMBOLS, FROM, TO],
      );
      expected.set(layout, result.rows);
    }
  } finally {
    await db.close();
  }
  return { env, expected, drop };
}

describe.each(["postgres", "pglite"] as const)(
  "chainvault export round trip (%s): two symbols × three days, both layouts and formats, read back with DuckDB",
  (engine) => {
    let duck: DuckDb;
    let dir: string;
    let database: Awaited<ReturnType<typeof seeded>>;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-export-"));
      database = await seeded(engine, dir);
      if (database.env.DATABASE_URL) process.env.DATABASE_URL = database.env.DATABASE_URL;
      duck = await openDuckDb();
    }, 60_000);

    afterAll(async () => {
      delete process.env.DATABASE_URL;
      duck?.close();
      await database?.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const export_ = (args: string[]) =>
      runMain(["export", ...args, ...(database.env.dataDir ? ["--data-dir", database.env.dataDir] : [])]);
    const stored = async (layout: ExportLayout) => database.expected.get(layout)!;

    it.each(["quotes", "daily"] as const)("%s layout as CSV: every value as stored", async (layout) => {
      const expected = await stored(layout);
      expect(expected.length).toBe(layout === "quotes" ? 2 * 3 * 2 * 2 * 6 * 2 : 2 * 3 * 2 * 6 * 2);
      const out = path.join(dir, `csv-${layout}`);
      const run = await export_([
        "--symbols",
        "spy,QQQ",
        "--from",
        FROM,
        "--to",
        TO,
        "--layout",
        layout,
        "--format",
        "csv",
        "--out",
        out,
      ]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`exported ${expected.length} rows (${layout}, csv) to ${out}\n`);
      const file = path.join(out, `chain_${layout}.csv`);
      expect(fs.readdirSync(out)).toEqual([`chain_${layout}.csv`]);
      expect(fs.readFileSync(file, "utf8").split("\n")[0]).toBe(
        exportColumns(layout)
          .map((column) => column.name)
          .join(","),
      );
      const actual = await duck.all(
        `SELECT * FROM read_csv('${file}', header = true, columns = ${csvColumnsArgument(exportColumns(layout))})`,
      );
      expect(actual).toHaveLength(expected.length);
      expect(differences(layout, expected, actual)).toEqual([]);
    });

    it.each(["quotes", "daily"] as const)(
      "%s layout as a Hive-partitioned Parquet tree: one dataset, typed, every value as stored",
      async (layout) => {
        const expected = await stored(layout);
        const out = path.join(dir, `parquet-${layout}`);
        const run = await export_([
          "--symbols",
          "SPY,QQQ",
          "--from",
          FROM,
          "--to",
          TO,
          "--layout",
          layout,
          "--format",
          "parquet",
          "--out",
          out,
        ]);
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(run.stdout).toBe(
          `exported ${expected.length} rows (${layout}, parquet) to ${out} in 6 files (one per symbol and day)\n`,
        );
        expect(fs.readdirSync(out).sort()).toEqual(["symbol=QQQ", "symbol=SPY"]);
        expect(fs.readdirSync(path.join(out, "symbol=SPY"))).toEqual(DAYS.map((day) => `date=${day}`));
        expect(fs.readdirSync(path.join(out, "symbol=SPY", `date=${FROM}`))).toEqual(["part.parquet"]);

        const { symbol, date } = partitionColumns(layout);
        const dataset = `read_parquet('${out}/**/*.parquet', hive_partitioning = true)`;
        const types = await duck.all(`DESCRIBE SELECT * FROM ${dataset}`);
        const typeOf = Object.fromEntries(types.map((row) => [row.column_name, row.column_type]));
        expect(typeOf).toMatchObject({
          symbol: "VARCHAR",
          date: "DATE",
          strike: "DOUBLE",
          expiration: "DATE",
        });
        expect(typeOf[layout === "quotes" ? "quote_time" : "quote_time_eod"]).toBe(
          "TIMESTAMP WITH TIME ZONE",
        );
        const codecs = await duck.all(
          `SELECT DISTINCT compression FROM parquet_metadata('${out}/symbol=SPY/date=${FROM}/part.parquet')`,
        );
        expect(codecs.map((row) => row.compression)).toEqual(["ZSTD"]);

        const actual = await duck.all(
          `SELECT *, symbol AS ${symbol}, date AS ${date} FROM ${dataset}
          ORDER BY ${VIEW[layout].order}`,
        );
        expect(actual).toHaveLength(expected.length);
        expect(differences(layout, expected, actual)).toEqual([]);
      },
    );

    it("writes CSV to standard output, the summary to stderr", async () => {
      const run = await export_([
        "--symbols",
        "QQQ",
        "--from",
        TO,
        "--to",
        TO,
        "--type",
        "eod",
        "--out",
        "-",
      ]);
      expect(run.code).toBe(0);
      const lines = run.stdout.split("\n").filter(Boolean);
      expect(lines).toHaveLength(1 + 2 * 6 * 2);
      expect(
        lines.slice(1).every((line) => line.startsWith(`QQQ,QQQ   `) && line.includes(`,${TO},eod,`)),
      ).toBe(true);
      expect(run.stderr).toBe(`exported ${lines.length - 1} rows (quotes, csv) to standard output\n`);
    });

    // The checks run after the database is open and do not depend on the engine: once is enough (each embedded
    // open costs seconds).
    it.runIf(engine === "postgres")("refuses bad input with one line and leaves nothing behind", async () => {
      const out = path.join(dir, "refused");
      const base = ["--from", FROM, "--to", TO, "--out", out];
      const cases: Array<{ args: string[]; code: number; message: string }> = [
        {
          args: ["--symbols", "SPY,NOPE", ...base],
          code: 2,
          message: "chainvault: unknown symbol NOPE: this database has QQQ, SPY\n",
        },
        {
          args: ["--symbols", "SPY", "--from", TO, "--to", FROM, "--out", out],
          code: 2,
          message: `chainvault: --from ${TO} is after --to ${FROM}; give the earlier date first\n`,
        },
        {
          args: ["--symbols", "SPY", "--from", "2026-01-05", "--to", "2026-01-09", "--out", out],
          code: 2,
          message:
            "chainvault: no quotes of SPY between 2026-01-05 and 2026-01-09: " +
            "`chainvault status --from … --to …` lists what was collected\n",
        },
        {
          args: ["--symbols", "SPY", ...base, "--format", "parquet", "--out", "-"],
          code: 2,
          message:
            "chainvault: --format parquet writes a directory tree: give --out DIR (only CSV goes to stdout)\n",
        },
        {
          args: ["--symbols", "SPY", ...base, "--layout", "daily", "--type", "eod"],
          code: 2,
          message:
            "chainvault: --layout daily always pairs the analytics (15:45) and eod snapshots: leave out --type\n",
        },
        {
          args: ["--symbols", "SPY", ...base, "--format", "xlsx"],
          code: 2,
          message: 'chainvault: --format must be one of csv, parquet; got "xlsx"\n',
        },
        {
          args: ["--symbols", "SPY", "--from", "2026-02-30", "--to", TO, "--out", out],
          code: 2,
          message:
            'chainvault: --from must be a calendar date YYYY-MM-DD such as 2026-03-09; got "2026-02-30"\n',
        },
      ];
      for (const { args, code, message } of cases) {
        const run = await export_(args);
        expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
          code,
          stderr: message,
          stdout: "",
        });
      }
      expect(fs.existsSync(out)).toBe(false);

      // A file where the directory should be: exit 1, and nothing written anywhere.
      const blocker = path.join(dir, "a-file");
      fs.writeFileSync(blocker, "");
      for (const format of ["csv", "parquet"]) {
        const run = await export_([
          "--symbols",
          "SPY",
          ...base.slice(0, 4),
          "--format",
          format,
          "--out",
          `${blocker}/out`,
        ]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(new RegExp(`^chainvault: cannot write to ${blocker}/out: ENOTDIR.*\\n$`));
      }
      expect(fs.readdirSync(dir).filter((name) => name.startsWith("."))).toEqual([]);
    });
  },
);
