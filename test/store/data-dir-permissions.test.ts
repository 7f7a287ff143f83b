import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";

/** Every entry under `dir` with its permission bits, by kind. */
function modes(dir: string): { files: Map<string, number>; dirs: Map<string, number> } {
  const files = new Map<string, number>();
  const dirs = new Map<string, number>();
  const visit = (entry: string): void => {
    const stat = fs.lstatSync(entry);
    if (stat.isDirectory()) {
      dirs.set(entry, stat.mode & 0o777);
      for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
    } else if (stat.isFile()) files.set(entry, stat.mode & 0o777);
  };
  visit(dir);
  return { files, dirs };
}

function loose(entries: Map<string, number>, wanted: number): string[] {
  return [...entries]
    .filter(([, mode]) => mode !== wanted)
    .map(([entry, mode]) => `${entry} ${mode.toString(8)}`);
}

describe("embedded data directory permissions", () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-perm-"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("creates the directory 0700 with every file 0600, and keeps it so while it is written", async () => {
    const dataDir = path.join(root, "fresh", "data");
    const db = await openDatabase({ dataDir });
    try {
      const open = modes(dataDir);
      expect(open.files.size).toBeGreaterThan(500); // the whole cluster PGlite unpacked, not just the lock
      expect(loose(open.dirs, 0o700)).toEqual([]);
      expect(loose(open.files, 0o600)).toEqual([]);
      await migrate(db);
      await db.exec("CREATE TABLE probe AS SELECT g AS n FROM generate_series(1, 50000) g; CHECKPOINT");
      // Files PostgreSQL made since (relations, WAL segments) were created private, not fixed afterwards.
      const written = modes(dataDir);
      expect(written.files.size).toBeGreaterThan(open.files.size);
      expect(loose(written.dirs, 0o700)).toEqual([]);
      expect(loose(written.files, 0o600)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("tightens a directory an older version left world-readable", async () => {
    const dataDir = path.join(root, "old");
    await (await openDatabase({ dataDir })).close();
    for (const [entry] of modes(dataDir).dirs) fs.chmodSync(entry, 0o755);
    for (const [entry] of modes(dataDir).files) fs.chmodSync(entry, 0o666);
    const db = await openDatabase({ dataDir });
    try {
      const after = modes(dataDir);
      expect(loose(after.dirs, 0o700)).toEqual([]);
      expect(loose(after.files, 0o600)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
