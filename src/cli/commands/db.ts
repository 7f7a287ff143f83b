import type { Command } from "commander";
import type { DatabaseOptions } from "../options.ts";
import type { DbServeOptions } from "../db.ts";
import { addDatabaseOptions } from "../options.ts";

/** `db serve`'s port when database.serve_port is unset. */
export const DEFAULT_SERVE_PORT = 5433;

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
  ).action(async (options: DatabaseOptions) => (await import("../db.ts")).dbMigrateAction(options));

  addDatabaseOptions(
    db
      .command("info")
      .description(
        "Show the engine, TimescaleDB mode, schema version, tables with row counts and hypertables",
      )
      .option(
        "--json",
        "print one JSON object: {engine, timescaledb, migration, tables, hypertables, connection: {url, served_by_pid, needs_db_serve}}",
      ),
  ).action(async (options: DatabaseOptions & { json?: boolean }) =>
    (await import("../db.ts")).dbInfoAction(options),
  );

  addDatabaseOptions(
    db
      .command("serve")
      .description(
        "Serve the embedded database (PGlite) read-only over the PostgreSQL protocol on 127.0.0.1, so psql, DBeaver,\n" +
          "pandas and DuckDB can query it: postgres://postgres@127.0.0.1:5433/postgres (no password; database\n" +
          '"postgres"). Transactions are read-only by default. Runs until Ctrl-C. While it runs, `status`, `db info`\n' +
          "and the library API read through it. The daemon serves the same way by itself (database.serve_port).\n" +
          "With DATABASE_URL set there is nothing to serve: connect to that server directly.",
      )
      .option(
        "--port <port>",
        `TCP port on 127.0.0.1 (default: database.serve_port, else ${DEFAULT_SERVE_PORT}; 0: any free port)`,
      ),
  ).action(async (options: DbServeOptions) => (await import("../db.ts")).dbServeAction(options));
}
