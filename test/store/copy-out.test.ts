import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.ts";
import { openTestDatabase } from "../helpers/db.ts";

/** Rows of every length from 0 to 299 bytes, so that message headers fall across socket reads somewhere. */
const ROWS = 60_000;
const SELECT = `SELECT i, repeat(chr(97 + i % 26), i % 300) AS text FROM generate_series(1, ${ROWS}) AS i`;

function expectedCsv(): string {
  const lines = ["i,text"];
  for (let i = 1; i <= ROWS; i += 1) {
    // COPY's CSV quotes an empty string (an unquoted empty field is NULL).
    lines.push(`${i},${i % 300 === 0 ? '""' : String.fromCharCode(97 + (i % 26)).repeat(i % 300)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A writable that keeps what it is given and completes each write after `delayMs` (a slow disk). */
function collector(delayMs: number): Writable & { text(): string; writes: number } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      // The chunk is reused once this write completes: keep a copy.
      chunks.push(Buffer.from(chunk));
      sink.writes += 1;
      setTimeout(callback, delayMs);
    },
  }) as Writable & { text(): string; writes: number };
  sink.writes = 0;
  sink.text = () => Buffer.concat(chunks).toString("utf8");
  return sink;
}

describe("COPY … TO STDOUT into a writable (copyCsvOut on the server)", () => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase("postgres"));
  }, 60_000);

  afterAll(async () => {
    await drop?.();
  });

  it("writes every byte in order and counts the rows, through a slow writable", async () => {
    const sink = collector(1);
    expect(await db.copyCsvOut!(SELECT, sink)).toBe(ROWS);
    // copyCsvOut leaves the writable open with the last chunks queued, as the export then ends its file.
    sink.end();
    await finished(sink);
    expect(sink.text()).toBe(expectedCsv());
    // Written in large chunks, not one write per row.
    expect(sink.writes).toBeLessThan(100);
    // The connection is usable afterwards (node-postgres read CommandComplete and ReadyForQuery).
    expect((await db.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("rejects with the server's error when the query fails part-way, and the database stays usable", async () => {
    const sink = collector(0);
    await expect(
      db.copyCsvOut!(`SELECT i, 1 / (${ROWS / 2} - i) AS boom FROM generate_series(1, ${ROWS}) AS i`, sink),
    ).rejects.toThrow(/division by zero/);
    await expect(db.copyCsvOut!("SELECT nope FROM nowhere", collector(0))).rejects.toThrow(/nowhere/);
    expect(await db.copyCsvOut!("SELECT 1 AS one", collector(0))).toBe(1);
  });

  it("rejects when the writable fails", async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error("disk full"));
      },
    });
    failing.on("error", () => {});
    await expect(db.copyCsvOut!(SELECT, failing)).rejects.toThrow(/disk full/);
    expect(await db.copyCsvOut!("SELECT 2 AS two", collector(0))).toBe(1);
  });
});
