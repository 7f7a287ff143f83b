import type { Command } from "commander";
import { databaseInfo } from "../store/info.ts";
import type { DatabaseInfo } from "../store/info.ts";
import { migrate } from "../store/migrate.ts";
import { addDatabaseOptions, withDatabase } from "./context.ts";
import type { DatabaseOptions } from "./context.ts";

function formatInfo(info: DatabaseInfo): string {
  const mode =
    info.timescaledb === null ? "plain PostgreSQL (no hypertables)" : `TimescaleDB ${info.timescaledb}`;
  const width = Math.max(...Object.keys(info.tables).map((name) => name.length), 5);
  const lines = [
    `engine:      ${info.engine}`,
    `mode:        ${mode}`,
    `migration:   ${info.migration}${info.migration === 0 ? " (run `chainvault db migrate`)" : ""}`,
    `hypertables: ${info.hypertables.length > 0 ? info.hypertables.join(", ") : "none"}`,
    "tables:",
    ...Object.entries(info.tables).map(
      ([name, rows]) => `  ${name.padEnd(width)}  ${rows.toLocaleString("en-US")} rows`,
    ),
  ];
  return lines.join("\n") + "\n";
}

export function register(program: Command): void {
  const db = program
    .command("db")
    .description("Create and inspect chainvault's database (embedded PGlite, or a server via DATABASE_URL)");

  addDatabaseOptions(
    db
      .command("migrate")
      .description(
        "Create or update the schema. Safe to run again and from several processes at once;\n" +
          "TimescaleDB features are added where the server has the extension.",
      ),
  ).action(async (options: DatabaseOptions) => {
    await withDatabase(options, async ({ db }) => {
      const result = await migrate(db);
      const mode = db.timescale ? "TimescaleDB" : "plain";
      const what = result.applied.length > 0 ? `applied ${result.applied.join(", ")}` : "already up to date";
      const skipped =
        result.skipped.length > 0 ? `; skipped ${result.skipped.join(", ")} (they need TimescaleDB)` : "";
      process.stdout.write(
        `${db.engine} (${mode}): ${what}${skipped}; schema at migration ${result.current}\n`,
      );
    });
  });

  addDatabaseOptions(
    db
      .command("info")
      .description(
        "Show the engine, TimescaleDB mode, schema version, tables with row counts and hypertables",
      )
      .option("--json", "print one JSON object: {engine, timescaledb, migration, tables, hypertables}"),
  ).action(async (options: DatabaseOptions & { json?: boolean }) => {
    await withDatabase(options, async ({ db }) => {
      const info = await databaseInfo(db);
      process.stdout.write(options.json ? JSON.stringify(info) + "\n" : formatInfo(info));
    });
  });
}
