import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { QuoteSpool, replayLeftSpools } from "../../src/collect/spool.ts";
import type { Database } from "../../src/store/database.ts";
import { insertQuotes } from "../../src/store/repositories/quotes.ts";
import type { QuoteRow } from "../../src/store/repositories/quotes.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { openTestDatabase } from "../helpers/db.ts";
import type { TestDatabase } from "../helpers/db.ts";
import { quoteRow } from "./spool-rows.ts";

const DATABASE = "7714696573408628713/chainvault";
const rows = (from: number, count: number): QuoteRow[] =>
  Array.from({ length: count }, (_, i) => quoteRow(from + i));

/** A spool file's lines: the header, then one row each. */
function linesOf(file: string): string[] {
  return fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-spool-test-"));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("QuoteSpool", () => {
  it("holds rows in memory up to its bound, then writes them all to its file, fsynced before add() returns", async () => {
    const probe = await fs.promises.open(path.join(dir, "probe"), "w");
    const handleType = Object.getPrototypeOf(probe) as { write: () => unknown; sync: () => unknown };
    await probe.close();
    const write = vi.spyOn(handleType, "write");
    const sync = vi.spyOn(handleType, "sync");

    const spool = new QuoteSpool({ dir, memoryRows: 10, database: DATABASE });
    await spool.add(rows(1, 10));
    expect([spool.inMemory, spool.onDisk, spool.size]).toEqual([10, 0, 10]);
    expect(fs.existsSync(spool.file)).toBe(false);

    await spool.add(rows(11, 5));
    expect([spool.inMemory, spool.onDisk, spool.size]).toEqual([0, 15, 15]);
    const lines = linesOf(spool.file);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      chainvault_spool: 1,
      database: DATABASE,
      pid: process.pid,
    });
    expect(lines.slice(1).map((line) => (JSON.parse(line) as QuoteRow).contractId)).toEqual(
      rows(1, 15).map((row) => row.contractId),
    );
    // The rows were written, then fsynced (file, then its new directory entry), before add() resolved.
    expect(write).toHaveBeenCalledTimes(1);
    expect(sync.mock.invocationCallOrder[0]).toBeGreaterThan(write.mock.invocationCallOrder[0]!);
    expect(sync).toHaveBeenCalledTimes(2);

    await spool.add(rows(16, 3));
    expect([spool.inMemory, spool.onDisk]).toEqual([3, 15]);
    await spool.persist();
    expect([spool.inMemory, spool.onDisk]).toEqual([0, 18]);
    expect(linesOf(spool.file)).toHaveLength(19);
    expect(sync).toHaveBeenCalledTimes(3);
    expect(fs.statSync(spool.file).mode & 0o777).toBe(0o600);
    await spool.close();
  });

  it("drains its file and then its memory into the store, then forgets them; a failed store forgets nothing", async () => {
    const spool = new QuoteSpool({ dir, memoryRows: 4, database: DATABASE });
    await spool.add(rows(1, 6)); // over the bound: to the file
    await spool.add(rows(7, 3)); // in memory
    let failAt = 2;
    const offered: number[][] = [];
    const store = async (batch: QuoteRow[]): Promise<number> => {
      if (--failAt === 0) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      offered.push(batch.map((row) => row.contractId));
      return batch.length;
    };
    await expect(spool.drain(store, 4)).rejects.toThrow(/ECONNREFUSED/);
    expect([spool.size, spool.onDisk, spool.inMemory]).toEqual([9, 6, 3]);
    expect(fs.existsSync(spool.file)).toBe(true);

    offered.length = 0;
    expect(await spool.drain(store, 4)).toEqual({ rows: 9, stored: 9 });
    expect(offered).toEqual([
      [1, 2, 3, 4],
      [5, 6],
      [7, 8, 9],
    ]);
    expect(spool.size).toBe(0);
    expect(fs.existsSync(spool.file)).toBe(false);
    expect(await spool.close()).toBeNull();
  });

  it("leaves nothing behind when closed empty, and a file with everything it held otherwise", async () => {
    const empty = new QuoteSpool({ dir, memoryRows: 100, database: DATABASE });
    await empty.add(rows(1, 5));
    await empty.drain(async (batch) => batch.length, 100);
    expect(await empty.close()).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);

    const kept = new QuoteSpool({ dir, memoryRows: 100, database: DATABASE });
    await kept.add(rows(1, 5));
    expect(await kept.close()).toEqual({ file: kept.file, rows: 5 });
    expect(linesOf(kept.file)).toHaveLength(6);
  });

  it("tells the run to stop once when memory is full and its file cannot be written; keeps what arrives", async () => {
    const notADirectory = path.join(dir, "occupied");
    fs.writeFileSync(notADirectory, "");
    const log = capturedLog();
    const full: unknown[] = [];
    const spool = new QuoteSpool({
      dir: notADirectory,
      memoryRows: 2,
      database: DATABASE,
      logger: log.logger,
      onFull: (error) => full.push(error),
    });
    await spool.add(rows(1, 3));
    await spool.add(rows(4, 3));
    // What was in flight when the run was told to stop is kept, not dropped.
    expect([spool.inMemory, spool.onDisk]).toEqual([6, 0]);
    expect(full).toHaveLength(1);
    expect((full[0] as NodeJS.ErrnoException).code).toBe("EEXIST");
    expect((spool.writeError as NodeJS.ErrnoException).code).toBe("EEXIST");
    expect(log.matching(/cannot write the quote spool and its memory is full/)).toHaveLength(1);
    const offered: number[] = [];
    await spool.drain(async (batch) => offered.push(...batch.map((row) => row.contractId)), 100);
    expect(offered).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(spool.close()).resolves.toBeNull();
  });
});

describe("replayLeftSpools", () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await openTestDatabase("pglite");
    db = test.db;
  });
  afterAll(async () => {
    await test?.drop();
  });
  beforeEach(async () => {
    await db.exec("TRUNCATE market_data_ticks");
  });

  async function stored(): Promise<{ rows: number; keys: number }> {
    const result = await db.query<{ rows: number; keys: number }>(
      "SELECT count(*)::int AS rows, count(DISTINCT (contract_id, collection_type, time))::int AS keys FROM market_data_ticks",
    );
    return result.rows[0]!;
  }

  const replay = (log = capturedLog()) =>
    replayLeftSpools({
      dir,
      database: DATABASE,
      store: (batch) => insertQuotes(db, batch),
      batchRows: 100,
      logger: log.logger,
    });

  /** Spools rows in a child process and SIGKILLs it mid-stream; returns the rows add() had confirmed. */
  async function killedWriter(): Promise<{ file: string; confirmed: number }> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./spool-crash-child.ts", import.meta.url)), dir, DATABASE],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let file = "";
    let confirmed = 0;
    let text = "";
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error("the spool writer exited by itself")));
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        const lines = text.split("\n");
        text = lines.pop()!;
        for (const line of lines) {
          if (!file) file = line;
          else confirmed = Number(line);
        }
        if (confirmed >= 300) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await exited;
    return { file, confirmed };
  }

  it("stores every row a SIGKILLed writer had confirmed, once, and removes its file", async () => {
    const { file, confirmed } = await killedWriter();
    expect(fs.existsSync(file)).toBe(true);
    const log = capturedLog();
    const result = await replay(log);
    expect(result.files).toBe(1);
    expect(result.rows).toBeGreaterThanOrEqual(confirmed);
    expect(result.stored).toBe(result.rows);
    expect(await stored()).toEqual({ rows: result.rows, keys: result.rows });
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(log.matching(/stored the quotes an earlier run spooled/)[0]).toMatchObject({
      rows: result.rows,
      stored: result.rows,
      alreadyStored: 0,
    });
    // Nothing is left to replay, and the rows are not stored twice.
    expect(await replay()).toEqual({ files: 0, rows: 0, stored: 0 });
    expect((await stored()).rows).toBe(result.rows);
  });

  it("keeps one copy of rows the earlier run had stored already", async () => {
    const spool = new QuoteSpool({ dir, memoryRows: 0, database: DATABASE });
    await spool.add(rows(1, 20));
    await insertQuotes(db, rows(1, 8));
    // The spool is left as a dead run leaves it: on disk, held by no spool of this process.
    await spool.close();
    expect(await replay()).toEqual({ files: 1, rows: 20, stored: 12 });
    expect(await stored()).toEqual({ rows: 20, keys: 20 });
  });

  it("tolerates a last line torn by a crash, skips a corrupt line, and says so", async () => {
    const spool = new QuoteSpool({ dir, memoryRows: 0, database: DATABASE });
    await spool.add(rows(1, 3));
    await spool.close();
    fs.appendFileSync(spool.file, "{not json}\n");
    fs.appendFileSync(spool.file, JSON.stringify(quoteRow(4)) + "\n");
    fs.appendFileSync(spool.file, JSON.stringify(quoteRow(5)).slice(0, 40));
    const log = capturedLog();
    expect(await replay(log)).toEqual({ files: 1, rows: 4, stored: 4 });
    expect(log.matching(/stored the quotes an earlier run spooled/)[0]).toMatchObject({
      rows: 4,
      unreadableLines: 1,
      tornLastLine: true,
    });
    const contracts = await db.query<{ contract_id: number }>(
      "SELECT contract_id FROM market_data_ticks ORDER BY contract_id",
    );
    expect(contracts.rows.map((row) => row.contract_id)).toEqual([1, 2, 3, 4]);
  });

  it("leaves alone a spool still being written, one of a live process, and one of another database", async () => {
    const open = new QuoteSpool({ dir, memoryRows: 0, database: DATABASE });
    await open.add(rows(1, 2));

    const other = new QuoteSpool({ dir, memoryRows: 0, database: "another/database" });
    await other.add(rows(3, 2));
    await other.close();

    const live = spawn("sleep", ["30"]);
    const liveFile = path.join(dir, path.basename(open.file).replace(`-${process.pid}-`, `-${live.pid}-`));
    fs.copyFileSync(open.file, liveFile);
    try {
      const log = capturedLog();
      expect(await replay(log)).toEqual({ files: 0, rows: 0, stored: 0 });
      expect(log.matching(/a quote spool of another database is left in place/)).toHaveLength(1);
      expect(fs.readdirSync(dir).sort()).toEqual(
        [open.file, other.file, liveFile].map((f) => path.basename(f)).sort(),
      );
      expect((await stored()).rows).toBe(0);
    } finally {
      live.kill("SIGKILL");
    }
    await open.close();
  });

  it("replays a file bearing this process's pid that no spool here holds (a container restarted as PID 1)", async () => {
    const earlier = new QuoteSpool({ dir, memoryRows: 0, database: DATABASE });
    await earlier.add(rows(1, 5));
    await earlier.close();
    expect(path.basename(earlier.file)).toContain(`-${process.pid}-`);
    expect(await replay()).toEqual({ files: 1, rows: 5, stored: 5 });
  });
});
