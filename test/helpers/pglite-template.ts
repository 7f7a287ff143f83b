import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isAlive } from "../../src/store/data-dir-lock.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { waitUntil } from "./wait.ts";

/**
 * A migrated embedded data directory, copied from a template built once per PGlite version and set of
 * migrations. Creating a PGlite cluster takes 5-45 s on a loaded 2-core machine while opening an
 * existing one takes a few; tests about locks, kills and disk space need a directory as a user has
 * it, not initdb's cost each time.
 */

const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));
const MIGRATIONS = fileURLToPath(new URL("../../src/store/migrations", import.meta.url));

/** Names what a migrated PGlite cluster depends on: the pinned PGlite version and the migrations. */
export function templateKey(): string {
  const hash = createHash("sha256");
  // The exact PGlite version the project pins decides the data directory's format.
  const manifest = JSON.parse(fs.readFileSync(PACKAGE_JSON, "utf8")) as {
    dependencies: Record<string, string>;
  };
  hash.update(manifest.dependencies["@electric-sql/pglite"] ?? "");
  for (const name of fs.readdirSync(MIGRATIONS).sort()) {
    hash.update(name);
    hash.update(fs.readFileSync(path.join(MIGRATIONS, name)));
  }
  return hash.digest("hex").slice(0, 16);
}

async function template(): Promise<string> {
  const dir = path.join(os.tmpdir(), `chainvault-pglite-template-${templateKey()}`);
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
  // One test file builds it while the others wait (the suite runs files in parallel); a builder that died
  // leaves its lock behind, which the next file takes over.
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch {
      let holder: number;
      try {
        holder = Number(fs.readFileSync(lock, "utf8"));
      } catch {
        continue; // released meanwhile
      }
      if (holder > 0 && holder !== process.pid && !isAlive(holder)) fs.rmSync(lock, { force: true });
      else
        await waitUntil(() => fs.existsSync(path.join(dir, "PG_VERSION")) || !fs.existsSync(lock), {
          what: "another test file to build the PGlite template",
          timeoutMs: 300_000,
          intervalMs: 200,
        });
      if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
    }
  }
  try {
    return await build(dir);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function build(dir: string): Promise<string> {
  if (fs.existsSync(path.join(dir, "PG_VERSION"))) return dir;
  // Built beside it and renamed into place, so a concurrent test file never copies half a template.
  const building = `${dir}.${process.pid}.${Date.now()}`;
  const db = await openDatabase({ dataDir: building });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  try {
    fs.renameSync(building, dir);
  } catch {
    // Another test file put its template there first: the same content.
    fs.rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/** Creates `target` (which must not exist) as a copy of a migrated, closed embedded data directory. */
export async function copyMigratedDataDir(target: string): Promise<string> {
  fs.cpSync(await template(), target, { recursive: true, preserveTimestamps: true });
  fs.chmodSync(target, 0o700);
  return target;
}

/** Bytes the files of a copied directory take: what a filesystem must hold for copyMigratedDataDir. */
export async function migratedDataDirBytes(): Promise<number> {
  const dir = await template();
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  return bytes;
}
