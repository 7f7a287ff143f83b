import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PGlite } from "@electric-sql/pglite";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openEmbedded } from "../../src/store/open.ts";
import { upsertUnderlying } from "../../src/store/repositories/underlying-securities.ts";
import { BackendScanner } from "../../src/store/serve/backend-scanner.ts";
import { prefixStatementName } from "../../src/store/serve/statement-names.ts";
import { startupSettings, startWireServer } from "../../src/store/serve/wire-server.ts";
import type { WireServer } from "../../src/store/serve/wire-server.ts";
import { waitUntil } from "../helpers/wait.ts";

const execFileAsync = promisify(execFile);

/** Runs psql against `url`; a failing statement makes it exit 1 (ON_ERROR_STOP) with the error on stderr. */
function psql(url: string, sql: string) {
  return execFileAsync("psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    env: { ...process.env, PGCONNECT_TIMEOUT: "30" },
  });
}

describe("the embedded database over the PostgreSQL protocol", () => {
  let db: Database;
  let pglite: PGlite;
  let server: WireServer;
  let url: string;
  const clients: pg.Client[] = [];

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    ({ db, pglite } = await openEmbedded("memory://"));
    await migrate(db);
    await upsertUnderlying(db, { symbol: "SPY", securityType: "ETF" });
    server = await startWireServer({ pglite, port: 0, idleInTransactionMs: 1_000 });
    url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await server?.close();
    await db?.close();
  });

  it("answers psql and node-postgres, and refuses writes", async () => {
    const out = await psql(url, "SELECT symbol, security_type FROM underlying_securities");
    expect(out.stdout).toBe("SPY|ETF\n");
    const client = await connect();
    const result = await client.query<{ symbol: string }>(
      "SELECT symbol FROM underlying_securities WHERE symbol = $1",
      ["SPY"],
    );
    expect(result.rows).toEqual([{ symbol: "SPY" }]);
    await expect(
      client.query("INSERT INTO underlying_securities (symbol, security_type) VALUES ('QQQ', 'ETF')"),
    ).rejects.toMatchObject({ code: "25006" });
    await expect(psql(url, "DELETE FROM underlying_securities")).rejects.toMatchObject({
      stderr: expect.stringContaining("cannot execute DELETE in a read-only transaction"),
    });
    expect((await db.query("SELECT symbol FROM underlying_securities")).rows).toEqual([{ symbol: "SPY" }]);
  });

  it("refuses a database other than postgres with a message naming the right one", async () => {
    const wrong = url.replace(/\/postgres$/, "/chainvault");
    await expect(psql(wrong, "SELECT 1")).rejects.toMatchObject({
      stderr: expect.stringContaining('the embedded database is "postgres"'),
    });
  });

  it("keeps a client's settings to that client and the process's own settings to the process", async () => {
    const client = await connect();
    await client.query("SET TimeZone = 'Asia/Jerusalem'");
    await client.query("SET search_path = pg_catalog");
    expect((await db.query<{ TimeZone: string }>("SHOW TimeZone")).rows[0]).toEqual({ TimeZone: "UTC" });
    expect((await db.query("SELECT count(*) AS n FROM underlying_securities")).rows).toEqual([{ n: 1 }]);
    expect((await client.query("SHOW TimeZone")).rows).toEqual([{ TimeZone: "Asia/Jerusalem" }]);
    expect((await client.query("SHOW search_path")).rows).toEqual([{ search_path: "pg_catalog" }]);
  });

  it("holds the process's statements while a client's transaction is open, and a client's statements while the process's is", async () => {
    const client = await connect();
    await client.query("BEGIN");
    await client.query("SELECT 1");
    let processDone = false;
    const processQuery = db.query("SELECT 2 AS two").then((result) => {
      processDone = true;
      return result.rows;
    });
    // Another round trip of the client: the process's statement is still waiting behind its transaction.
    expect((await client.query("SELECT count(*)::int AS n FROM underlying_securities")).rows).toEqual([
      { n: 1 },
    ]);
    expect(processDone).toBe(false);
    await client.query("COMMIT");
    expect(await processQuery).toEqual([{ two: 2 }]);

    // The other way round: a client's query issued inside the process's transaction runs after its COMMIT and sees it.
    let releaseTransaction!: () => void;
    const held = new Promise<void>((resolve) => (releaseTransaction = resolve));
    let inserted!: () => void;
    const didInsert = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.query("INSERT INTO underlying_securities (symbol, security_type) VALUES ('IWM', 'ETF')");
      inserted();
      await held;
      await tx.query("DELETE FROM underlying_securities WHERE symbol = 'IWM'");
    });
    await didInsert;
    const seen = client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM underlying_securities WHERE symbol = 'IWM'",
    );
    await waitUntil(() => server.waiting === 1, { what: "the client's query to wait for the session" });
    releaseTransaction();
    await transaction;
    expect((await seen).rows).toEqual([{ n: 0 }]);
  });

  it("keeps two clients' prepared statements of the same name apart and forgets them when a client leaves", async () => {
    const first = await connect();
    const second = await connect();
    const one = await first.query({ name: "same", text: "SELECT 1 AS v" });
    const two = await second.query({ name: "same", text: "SELECT 2 AS v" });
    expect([one.rows, two.rows]).toEqual([[{ v: 1 }], [{ v: 2 }]]);
    expect((await first.query({ name: "same", text: "SELECT 1 AS v" })).rows).toEqual([{ v: 1 }]);
    const before = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements");
    expect(before.rows[0]!.n).toBe(2);
    await first.end();
    await waitUntil(
      async () =>
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements")).rows[0]!
          .n === 1,
      { what: "the leaving client's statement to be deallocated" },
    );
  });

  it("disconnects a client idle in a transaction past the limit, and the process goes on", async () => {
    const client = await connect();
    const ended = new Promise<Error>((resolve) => client.once("error", resolve));
    await client.query("BEGIN");
    const processQuery = db.query("SELECT 3 AS three");
    expect((await ended).message).toMatch(/idle-in-transaction timeout/);
    expect((await processQuery).rows).toEqual([{ three: 3 }]);
    expect(await pglite.query("SELECT 1")).toBeTruthy();
  });
});

describe("wire pieces", () => {
  it("follows backend messages across chunk boundaries and reports ReadyForQuery's status", () => {
    const message = (type: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(type, 0, "latin1");
      header.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([header, body]);
    };
    const stream = Buffer.concat([
      message("T", Buffer.alloc(20, 1)),
      message("D", Buffer.alloc(300, 2)),
      message("C", Buffer.from("SELECT 1\0")),
      message("Z", Buffer.from("T")),
    ]);
    for (const size of [1, 3, 7, stream.length]) {
      const scanner = new BackendScanner();
      for (let i = 0; i < stream.length; i += size) scanner.feed(stream.subarray(i, i + size));
      expect([scanner.lastType, scanner.readyStatus, scanner.midMessage]).toEqual(["Z", "T", false]);
    }
    const partial = new BackendScanner();
    partial.feed(stream.subarray(0, stream.length - 1));
    expect([partial.lastType, partial.readyStatus, partial.midMessage]).toEqual(["C", null, true]);
  });

  it("reads settings from startup parameters and -c options", () => {
    const settings = startupSettings({
      user: "me",
      database: "postgres",
      application_name: "psql",
      options: "-c search_path=a,b --statement-timeout=5s -c x\\ y=z",
    });
    expect(Object.fromEntries(settings)).toEqual({
      application_name: "psql",
      search_path: "a,b",
      statement_timeout: "5s",
      "x y": "z",
    });
  });

  it("prefixes named statements in Parse, Bind, Describe and Close, and leaves unnamed ones", () => {
    const frame = (type: string, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.write(type, 0, "latin1");
      header.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([header, body]);
    };
    const parse = prefixStatementName(frame("P", Buffer.from("S_1\0SELECT 1\0\0\0")), "cv7_");
    expect(parse.created).toBe("cv7_S_1");
    expect(parse.message.toString("latin1", 5)).toBe("cv7_S_1\0SELECT 1\0\0\0");
    expect(parse.message.readInt32BE(1)).toBe(parse.message.length - 1);
    const bind = prefixStatementName(frame("B", Buffer.from("C_1\0S_1\0\0\0\0\0\0\0")), "cv7_");
    expect(bind.message.toString("latin1", 5)).toBe("C_1\0cv7_S_1\0\0\0\0\0\0\0");
    const close = prefixStatementName(frame("C", Buffer.from("SS_1\0")), "cv7_");
    expect([close.closed, close.message.toString("latin1", 5)]).toEqual(["cv7_S_1", "Scv7_S_1\0"]);
    const portal = prefixStatementName(frame("D", Buffer.from("PC_1\0")), "cv7_");
    expect(portal.message.toString("latin1", 5)).toBe("PC_1\0");
    const unnamed = prefixStatementName(frame("P", Buffer.from("\0SELECT 1\0\0\0")), "cv7_");
    expect([unnamed.created, unnamed.message.toString("latin1", 5)]).toEqual([undefined, "\0SELECT 1\0\0\0"]);
  });
});
