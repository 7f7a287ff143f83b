import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "../../src/store/data-dir-lock.ts";
import { openForReading } from "../../src/store/open.ts";
import { readServeRecord, SERVE_RECORD_FILE, writeServeRecord } from "../../src/store/serve/serve-record.ts";
import { TEST_PG_URL } from "../helpers/db.ts";

describe("reading a data directory that another process holds", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  function heldDirectory(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-serve-record-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return lockDataDir(dir).then((release) => {
      cleanups.push(release);
      return dir;
    });
  }

  it("fails with advice when the holder does not serve it", async () => {
    const dir = await heldDirectory();
    const opened = openForReading({ dataDir: dir });
    await expect(opened).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(opened).rejects.toThrow(/does not serve the database for reading .*database\.serve_port/);
  });

  it("ignores a record left by a process that is gone", async () => {
    const dir = await heldDirectory();
    writeServeRecord(dir, 1, "x/postgres");
    const record = JSON.parse(fs.readFileSync(path.join(dir, SERVE_RECORD_FILE), "utf8")) as { pid: number };
    record.pid = 2 ** 22 + 12_345; // above Linux's pid_max default: no such process
    fs.writeFileSync(path.join(dir, SERVE_RECORD_FILE), JSON.stringify(record));
    expect(readServeRecord(dir)).toBeNull();
    await expect(openForReading({ dataDir: dir })).rejects.toThrow(/does not serve the database for reading/);
  });

  it("refuses a server at the recorded port that is another database", async () => {
    const dir = await heldDirectory();
    // The record points at the shared test server (some other PostgreSQL on that port), not the embedded cluster.
    const port = Number(new URL(TEST_PG_URL).port || 5432);
    const remove = writeServeRecord(dir, port, "1234567890/postgres");
    cleanups.push(remove);
    await expect(openForReading({ dataDir: dir })).rejects.toThrow(
      /serves another database \(.*, expected 1234567890\/postgres\): is another server using port/,
    );
    remove();
    expect(fs.existsSync(path.join(dir, SERVE_RECORD_FILE))).toBe(false);
  });
});
