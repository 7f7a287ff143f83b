import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPrivateDir } from "./data-dir-permissions.ts";

/**
 * PGlite does not lock its data directory, and two processes writing one directory corrupt it.
 * This lock file (`chainvault.lock` inside the data directory, holding the owner's pid) makes the
 * second process fail with a message naming the holder. A lock whose pid is dead is stale and is
 * taken over; a `.takeover` file serialises takeovers so two starters cannot both break it. A lock
 * naming this very pid that this process does not hold is stale too: in a container every start is
 * PID 1, so the previous start's lock names a pid that is alive (ours) but no longer its owner.
 */

export const LOCK_FILE = "chainvault.lock";
const TAKEOVER_STALE_MS = 10_000;

/** Lock files this process holds: the only ones naming our pid that are not stale. */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
    readonly holderHost: string,
    /** What to do instead, when the caller knows better than "stop that process". */
    advice?: string,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${holderPid} on ${holderHost}; ` +
        (advice ??
          `stop that process (or point --data-dir elsewhere). If no such process exists, delete ${path.join(dataDir, LOCK_FILE)}.`),
    );
  }
}

interface LockContent {
  pid: number;
  host: string;
  since: string;
  argv: string;
}

function readLock(lockPath: string): LockContent | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, "utf8")) as Partial<LockContent>;
    return typeof parsed.pid === "number" ? (parsed as LockContent) : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs on this host. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the holder of a lock on this host still owns it. */
function holderOwns(holder: LockContent, lockPath: string): boolean {
  if (holder.pid === process.pid) return held.has(lockPath);
  return isAlive(holder.pid);
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function tryCreate(file: string, content: string): boolean {
  try {
    fs.writeFileSync(file, content, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes the lock or throws DataDirLockedError; resolves to a release function. */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const takeoverPath = `${lockPath}.takeover`;
  const mine: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    argv: process.argv.slice(1).join(" "),
  };
  const content = JSON.stringify(mine) + "\n";
  createPrivateDir(dataDir);

  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(lockPath, content)) return registerRelease(lockPath);
    const holder = readLock(lockPath);
    if (holder === null) {
      // Being written by a starter right now, or garbage left by a crash mid-write.
      if (ageMs(lockPath) < 2_000) {
        await sleep(50);
        continue;
      }
    } else if (holder.host !== mine.host || holderOwns(holder, lockPath)) {
      // Another host's pid cannot be checked from here: treat it as alive.
      throw new DataDirLockedError(dataDir, holder.pid, holder.host);
    }
    // Stale: its holder is gone. Only one starter may break it.
    if (!tryCreate(takeoverPath, content)) {
      if (ageMs(takeoverPath) > TAKEOVER_STALE_MS) fs.rmSync(takeoverPath, { force: true });
      await sleep(50);
      continue;
    }
    try {
      const again = readLock(lockPath);
      if (again === null || again.pid === holder?.pid) fs.rmSync(lockPath, { force: true });
      if (tryCreate(lockPath, content)) return registerRelease(lockPath);
    } finally {
      fs.rmSync(takeoverPath, { force: true });
    }
  }
  const holder = readLock(lockPath);
  throw new DataDirLockedError(dataDir, holder?.pid ?? -1, holder?.host ?? "unknown host");
}

function registerRelease(lockPath: string): () => void {
  held.add(lockPath);
  const release = () => {
    process.removeListener("exit", release);
    held.delete(lockPath);
    // Remove only our own lock: never one a later owner took over.
    if (readLock(lockPath)?.pid === process.pid) fs.rmSync(lockPath, { force: true });
  };
  process.on("exit", release);
  return release;
}
