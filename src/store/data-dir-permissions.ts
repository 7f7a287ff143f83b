import fs from "node:fs";
import path from "node:path";

/**
 * The embedded data directory holds every quote and, in pg-boss's tables, the daemon's jobs: only
 * its owner may read it. PostgreSQL itself creates files 0600 in 0700 directories, but PGlite
 * unpacks its initial cluster as 0666 files in 0755 directories, whatever the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents, with the usual mode) and makes `dir` itself 0700. */
export function createPrivateDir(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  chmodIfNeeded(dir, fs.statSync(dir).mode, PRIVATE_DIR_MODE);
}

/**
 * Makes every directory under `dir` 0700 and every file 0600 (symbolic links are left alone);
 * returns how many modes changed. Entries that vanish meanwhile (WAL segments) are skipped.
 */
export function restrictDataDir(dir: string): number {
  let changed = 0;
  const visit = (entry: string): void => {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(entry);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (stat.isDirectory()) {
      if (chmodIfNeeded(entry, stat.mode, PRIVATE_DIR_MODE)) changed++;
      for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
    } else if (stat.isFile()) {
      if (chmodIfNeeded(entry, stat.mode, PRIVATE_FILE_MODE)) changed++;
    }
  };
  visit(dir);
  return changed;
}

function chmodIfNeeded(entry: string, mode: number, wanted: number): boolean {
  if ((mode & 0o777) === wanted) return false;
  try {
    fs.chmodSync(entry, wanted);
    return true;
  } catch (error) {
    // Gone meanwhile, or another user's file in our directory: nothing this process can change.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EPERM") return false;
    throw error;
  }
}
