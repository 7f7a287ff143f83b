import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, lockDataDir } from "../../src/store/data-dir-lock.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { runCli } from "../helpers/cli.ts";

describe("embedded data directory lock", () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-lock-"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("refuses a second process with an error naming the holder's pid, and leaves the data intact", async () => {
    const dataDir = path.join(root, "shared");
    const db = await openDatabase({ dataDir });
    try {
      await migrate(db);
      await db.query("INSERT INTO underlying_securities (symbol, security_type) VALUES ('SPY', 'ETF')");
      const second = await runCli(["db", "info", "--json", "--data-dir", dataDir]);
      expect(second.code).toBe(75); // EX_TEMPFAIL: another process holds it, try again later
      expect(second.stderr).toContain(`in use by process ${process.pid}`);
      expect(second.stderr).toContain(dataDir);
      expect(second.stdout).toBe("");
      // The holder keeps working.
      const rows = await db.query<{ n: number }>("SELECT count(*) AS n FROM underlying_securities");
      expect(rows.rows[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    const after = await runCli(["db", "info", "--json", "--data-dir", dataDir]);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).tables.underlying_securities).toBe(1);
  });

  it("refuses a second open in the same process too", async () => {
    const dataDir = path.join(root, "same-process");
    const db = await openDatabase({ dataDir });
    try {
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by process ${process.pid}`);
    } finally {
      await db.close();
    }
  });

  it("takes over a lock left by a process that died", async () => {
    const dataDir = path.join(root, "stale");
    fs.mkdirSync(dataDir, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    fs.writeFileSync(
      path.join(dataDir, LOCK_FILE),
      JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString(), argv: "crashed" }),
    );
    const result = await runCli(["db", "migrate", "--data-dir", dataDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  });

  it("takes over a lock naming this process's pid that this process does not hold (PID 1 in a container)", async () => {
    const dataDir = path.join(root, "same-pid");
    fs.mkdirSync(dataDir, { recursive: true });
    // What a container's previous start leaves: its pid was 1, and so is ours.
    const previous = { pid: process.pid, host: os.hostname(), since: "2026-01-01T00:00:00Z", argv: "before" };
    fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify(previous));
    const release = await lockDataDir(dataDir);
    try {
      const mine = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as { since: string };
      expect(mine.since).not.toBe(previous.since);
      // Held by this process now, the same pid is no longer stale: a second open is refused.
      await expect(lockDataDir(dataDir)).rejects.toThrow(`in use by process ${process.pid}`);
    } finally {
      release();
    }
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  });

  it("still refuses a live process on this host, and any process on another", async () => {
    const live = path.join(root, "live");
    fs.mkdirSync(live, { recursive: true });
    const parent = { pid: process.ppid, host: os.hostname(), since: "2026-01-01T00:00:00Z", argv: "x" };
    fs.writeFileSync(path.join(live, LOCK_FILE), JSON.stringify(parent));
    await expect(lockDataDir(live)).rejects.toThrow(`in use by process ${process.ppid}`);
    const remote = path.join(root, "remote");
    fs.mkdirSync(remote, { recursive: true });
    const elsewhere = {
      pid: process.pid,
      host: `not-${os.hostname()}`,
      since: "2026-01-01T00:00:00Z",
      argv: "x",
    };
    fs.writeFileSync(path.join(remote, LOCK_FILE), JSON.stringify(elsewhere));
    await expect(lockDataDir(remote)).rejects.toThrow(`on not-${os.hostname()}`);
  });

  it("lets exactly one of many concurrent lockers win", async () => {
    const dataDir = path.join(root, "race");
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDir(dataDir)));
    const won = attempts.filter((attempt) => attempt.status === "fulfilled");
    expect(won).toHaveLength(1);
    (won[0] as PromiseFulfilledResult<() => void>).value();
  });
});
