import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import type { Database, DedicatedSession, Engine, Queryable, QueryOptions, QueryResult } from "./database.ts";
import { CopyOut } from "./copy-out.ts";
import type { CopyOutSink } from "./copy-out.ts";
import { copyTarget, copyTextChunks, EncodedRows } from "./copy-text.ts";
import type { CopySource } from "./copy-text.ts";
import { RESULT_PARSERS } from "./type-parsers.ts";
import type { Logger } from "../logger.ts";
import { redactUrl } from "../logger.ts";
import { errorMessage } from "../core/errors.ts";

const typeParsers = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    const parser = RESULT_PARSERS[oid];
    if (parser && format !== "binary") return parser;
    return pg.types.getTypeParser(oid, format as "text");
  },
} as pg.CustomTypesConfig;

type Client = pg.Pool | pg.ClientBase;

async function copyInto(client: pg.ClientBase, table: string, columns: readonly string[], rows: CopySource) {
  const stream = client.query(copyFrom(`COPY ${copyTarget(table, columns)} FROM STDIN`));
  if (rows instanceof EncodedRows) {
    await pipeline(Readable.from(rows), stream);
    return rows.count;
  }
  let count = 0;
  const source = Readable.from(
    (function* () {
      for (const chunk of copyTextChunks(rows)) {
        count += chunk.rows;
        yield chunk.text;
      }
    })(),
  );
  await pipeline(source, stream);
  return count;
}

/**
 * A client checked out of the pool. A checked-out client whose server goes away between two queries
 * emits 'error' with no listener of the pool's attached, which would crash the process; the loss is
 * noted instead, the next query on it fails, and the client is discarded on release.
 */
async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release(broken?: boolean): void }> {
  const client = await pool.connect();
  let lost = false;
  const onError = (): void => {
    lost = true;
  };
  client.on("error", onError);
  return {
    client,
    release(broken = false) {
      client.off("error", onError);
      client.release(broken || lost);
    },
  };
}

/**
 * `prepare`: whether named statements are used. Not through `db serve`: its connections share the one embedded
 * session, where a second connection preparing the same name would fail.
 */
function session(client: Client, pool: pg.Pool, prepare: boolean): Queryable {
  return {
    async query<Row>(
      sql: string,
      params: readonly unknown[] = [],
      options?: QueryOptions,
    ): Promise<QueryResult<Row>> {
      const result =
        options?.name === undefined || !prepare
          ? await client.query(sql, params as unknown[])
          : await client.query({ name: options.name, text: sql, values: params as unknown[] });
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters node-postgres uses the simple protocol, which accepts several statements.
      await client.query(sql);
    },
    async copyRows(table, columns, rows): Promise<number> {
      if (client !== pool) return copyInto(client as pg.ClientBase, table, columns, rows);
      const own = await checkout(pool);
      let failed = false;
      try {
        return await copyInto(own.client, table, columns, rows);
      } catch (error) {
        // A COPY cut short leaves the connection in an unknown protocol state.
        failed = true;
        throw error;
      } finally {
        own.release(failed);
      }
    },
  };
}

/** A client of its own: session state (advisory locks) must not end up in the pool for others to inherit. */
async function openDedicated(options: PostgresOptions, pool: pg.Pool): Promise<DedicatedSession> {
  const prepare = servesRealServer(options);
  const client = new pg.Client({ connectionString: options.url, types: typeParsers });
  let lost = false;
  // A broken connection must not crash the process; its holder sees `lost` and opens another. Debug only,
  // like the pool's: a database outage is reported once by whoever waits for it (src/store/outage.ts).
  client.on("error", (error) => {
    lost = true;
    options.logger?.debug({ err: error.message }, "dedicated database connection lost");
  });
  client.on("end", () => (lost = true));
  await client.connect();
  const queries = session(client, pool, prepare);
  return {
    ...queries,
    get lost() {
      return lost;
    },
    async close() {
      lost = true;
      await client.end().catch(() => undefined);
    },
  };
}

export interface PostgresOptions {
  url: string;
  /** What `engine` reports: "pglite" for an embedded database reached through `db serve`. */
  engine?: Engine;
  poolSize?: number;
  logger?: Logger;
}

const servesRealServer = (options: PostgresOptions) =>
  options.engine === undefined || options.engine === "postgres";

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const prepare = servesRealServer(options);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 5,
    types: typeParsers,
    // A server that does not answer at all (host down, packets dropped) becomes an error the outage
    // handling waits out (src/store/outage.ts), instead of a connect or a query that never returns.
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects. Debug
  // only: every pooled connection reports the same outage, which whoever waits for the database logs once.
  pool.on("error", (error) => options.logger?.debug({ err: error.message }, "database connection lost"));
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = errorMessage(error);
    throw new Error(
      `cannot connect to ${redactUrl(options.url)}: ${reason} (check DATABASE_URL / database.url)`,
      {
        cause: error,
      },
    );
  }
  const outer = session(pool, pool, prepare);
  let timescale = false;
  const db: Database = {
    engine: options.engine ?? "postgres",
    get timescale() {
      return timescale;
    },
    query: outer.query,
    exec: outer.exec,
    copyRows: outer.copyRows,
    async transaction(work) {
      const { client, release } = await checkout(pool);
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work(session(client, pool, prepare));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        release(broken);
      }
    },
    dedicatedSession() {
      return openDedicated(options, pool);
    },
    ...(prepare
      ? {
          async copyCsvOut(select: string, out: NodeJS.WritableStream): Promise<number> {
            const own = await checkout(pool);
            let failed = false;
            try {
              // Dates written as YYYY-MM-DD whatever the server's or the role's DateStyle (the select relies on
              // COPY's own date output); SET LOCAL ends with the transaction, so the pooled connection keeps its own.
              await own.client.query("BEGIN READ ONLY; SET LOCAL DateStyle TO ISO");
              const copy = own.client.query(
                new CopyOut(`COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER)`, out as CopyOutSink),
              );
              const rows = await copy.done;
              await own.client.query("COMMIT");
              return rows;
            } catch (error) {
              // A COPY cut short leaves the connection in an unknown protocol state.
              failed = true;
              throw error;
            } finally {
              own.release(failed);
            }
          },
        }
      : {}),
    async refreshCapabilities() {
      const result = await pool.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
      timescale = result.rows.length > 0;
    },
    async close() {
      await pool.end();
    },
  };
  await db.refreshCapabilities();
  return db;
}
