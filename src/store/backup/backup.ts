import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import type { Logger } from "../../logger.ts";
import { CHAINVAULT_VERSION } from "../../core/version.ts";
import { UsageError } from "../../core/errors.ts";
import { DataDirLockedError } from "../data-dir-lock.ts";
import type { Engine } from "../database.ts";
import { servedUrl } from "../serve/serve-record.ts";
import { serverOfLockedDir } from "../open.ts";
import { writeCopyDump } from "./copy-dump.ts";
import { applyDumpSettings, clientSession, pgliteSession, summarizeTables } from "./table-dump.ts";
import type { CopyOutSession, TableSummary } from "./table-dump.ts";

/**
 * `chainvault backup`: one consistent copy of chainvault's data, written as a data file and a manifest beside it
 * (per-table row counts and checksums, read in the same snapshot as the data), then older backups rotated away.
 *   - a server: `pg_dump -Fc` when a pg_dump at least as new as the server is on PATH, else a copy dump;
 *   - the embedded engine, free: PGlite's dumpDataDir (a tarball of the data directory);
 *   - the embedded engine, held by the daemon or `db serve`: a copy dump read through the socket it serves, in one
 *     read-only transaction (which holds the one session, so the dump is consistent while writes wait for it).
 */

export type BackupKind = "pg_dump" | "copy" | "datadir";

export interface BackupManifest {
  format: "chainvault-backup";
  version: 1;
  kind: BackupKind;
  /** The data file, beside the manifest. */
  file: string;
  bytes: number;
  sha256: string;
  created_at: string;
  engine: Engine;
  timescaledb: string | null;
  /** The schema's migration when the backup was taken. */
  migration: number;
  chainvault_version: string;
  tables: Record<string, TableSummary>;
}

export const MANIFEST_SUFFIX = ".manifest.json";
const EXTENSIONS: Record<BackupKind, string> = { pg_dump: ".dump", copy: ".copy.gz", datadir: ".tar.gz" };

export interface BackupOptions {
  /** A server's URL; undefined selects the embedded data directory. */
  url?: string;
  dataDir: string;
  outDir: string;
  /** How many backups to keep in outDir (the newest); older ones are deleted after this one is written. */
  keep: number;
  logger?: Logger;
  /** The pg_dump to run (default: pg_dump on PATH); null never runs one. */
  pgDump?: string | null;
  now?: () => Date;
}

export interface BackupResult {
  manifestPath: string;
  manifest: BackupManifest;
  /** Backups deleted by the rotation (their manifests). */
  removed: string[];
}

/** backup.dir, or `backups` next to the embedded engine's data directory (as the spool sits beside it). */
export function backupDirOf(config: { backup: { dir?: string }; database: { data_dir: string } }): string {
  return config.backup.dir ?? path.join(path.dirname(path.resolve(config.database.data_dir)), "backups");
}

function stampOf(date: Date): string {
  return date.toISOString().replaceAll(/[-:]/g, "").replace(".", "");
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

interface Taken {
  kind: BackupKind;
  engine: Engine;
  timescaledb: string | null;
  migration: number;
  tables: Record<string, TableSummary>;
}

async function describe(session: CopyOutSession): Promise<Pick<Taken, "timescaledb" | "migration">> {
  const extension = await session.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  const present = await session.query<{ present: boolean }>(
    "SELECT to_regclass('chainvault_migrations') IS NOT NULL AS present",
  );
  const migration = present[0]?.present
    ? ((await session.query<{ id: number | null }>("SELECT max(id) AS id FROM chainvault_migrations"))[0]
        ?.id ?? 0)
    : 0;
  return { timescaledb: extension[0]?.extversion ?? null, migration };
}

/** Takes a backup as the options say and rotates the directory. */
export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  if (options.url === undefined) {
    const { embeddedDatabaseExists } = await import("../open.ts");
    // Opening a directory without a database would create one, and back up nothing.
    if (!embeddedDatabaseExists(options.dataDir))
      throw new UsageError(
        `there is no chainvault database in ${path.resolve(options.dataDir)} (set --data-dir or DATABASE_URL)`,
      );
  }
  const now = (options.now ?? (() => new Date()))();
  fs.mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  const base = path.join(path.resolve(options.outDir), `chainvault-${stampOf(now)}`);
  const target = (kind: BackupKind) => base + EXTENSIONS[kind];
  let taken: Taken;
  let dataFile: string;
  try {
    if (options.url !== undefined) {
      ({ taken, dataFile } = await backupServer(options.url, target, options));
    } else {
      ({ taken, dataFile } = await backupEmbedded(options.dataDir, target, options.logger));
    }
  } catch (error) {
    for (const kind of Object.keys(EXTENSIONS) as BackupKind[]) fs.rmSync(target(kind), { force: true });
    throw error;
  }
  return finish(dataFile, base, now, taken, options);
}

/** The daemon's backup of the embedded database it holds open: a copy dump in one transaction of its instance. */
export async function backupPgliteInstance(
  pglite: PGlite,
  options: Omit<BackupOptions, "url" | "dataDir" | "pgDump">,
): Promise<BackupResult> {
  const now = (options.now ?? (() => new Date()))();
  fs.mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
  const base = path.join(path.resolve(options.outDir), `chainvault-${stampOf(now)}`);
  const dataFile = base + EXTENSIONS.copy;
  try {
    const taken = await pglite.transaction(async (tx) => {
      const session = pgliteSession(tx);
      await applyDumpSettings(session);
      const facts = await describe(session);
      const tables = await writeCopyDump(session, dataFile);
      return { kind: "copy" as const, engine: "pglite" as const, ...facts, tables };
    });
    return await finish(dataFile, base, now, taken, options);
  } catch (error) {
    fs.rmSync(dataFile, { force: true });
    throw error;
  }
}

async function finish(
  dataFile: string,
  base: string,
  now: Date,
  taken: Taken,
  options: Pick<BackupOptions, "outDir" | "keep" | "logger">,
): Promise<BackupResult> {
  const manifest: BackupManifest = {
    format: "chainvault-backup",
    version: 1,
    kind: taken.kind,
    file: path.basename(dataFile),
    bytes: fs.statSync(dataFile).size,
    sha256: await sha256Of(dataFile),
    created_at: now.toISOString(),
    engine: taken.engine,
    timescaledb: taken.timescaledb,
    migration: taken.migration,
    chainvault_version: CHAINVAULT_VERSION,
    tables: taken.tables,
  };
  const manifestPath = base + MANIFEST_SUFFIX;
  // Written last and renamed into place: a manifest names only a complete data file.
  fs.writeFileSync(manifestPath + ".tmp", JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(manifestPath + ".tmp", manifestPath);
  const removed = rotateBackups(options.outDir, options.keep);
  options.logger?.info(
    { manifest: manifestPath, kind: manifest.kind, bytes: manifest.bytes, removed: removed.length },
    "backup written",
  );
  return { manifestPath, manifest, removed };
}

/** The backups in a directory, newest first (by their manifests). */
export function listBackups(dir: string): { manifestPath: string; manifest: BackupManifest }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith("chainvault-") && name.endsWith(MANIFEST_SUFFIX))
    .flatMap((name) => {
      const manifestPath = path.join(dir, name);
      try {
        const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as BackupManifest;
        return manifest.format === "chainvault-backup" ? [{ manifestPath, manifest }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.manifest.created_at.localeCompare(a.manifest.created_at));
}

/** Deletes all but the `keep` newest backups; returns the manifests removed. */
export function rotateBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(keep);
  for (const { manifestPath, manifest } of old) {
    fs.rmSync(path.join(dir, manifest.file), { force: true });
    fs.rmSync(manifestPath, { force: true });
  }
  return old.map((entry) => entry.manifestPath);
}

/** The URL without its password, and the password for PGPASSWORD: never on a command line others can read. */
export function splitPassword(url: string): { url: string; password: string | undefined } {
  const parsed = new URL(url);
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), password };
}

/** The major version of a PostgreSQL client binary, or null when it cannot be run. */
export async function clientMajor(binary: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(binary, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", () => resolve(null));
    child.on("close", (code) => {
      const match = /\b(\d+)(?:\.\d+)?/.exec(out.replace(/^[^)]*\)/, ""));
      resolve(code === 0 && match ? Number(match[1]) : null);
    });
  });
}

/** Runs a PostgreSQL client; rejects with its stderr when it fails. */
export async function runClient(binary: string, args: string[], password: string | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const env = { ...process.env, ...(password === undefined ? {} : { PGPASSWORD: password }) };
    const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], env });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${path.basename(binary)} exited with ${code}: ${err.trim().split("\n").slice(-3).join(" ")}`,
            ),
          ),
    );
  });
}

async function withClient<T>(
  url: string,
  work: (client: pg.Client, session: CopyOutSession) => Promise<T>,
): Promise<T> {
  const { default: pg } = await import("pg");
  const { to: copyTo } = await import("pg-copy-streams");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(
      client,
      clientSession(client, (sql) => copyTo(sql)),
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function backupServer(
  url: string,
  target: (kind: BackupKind) => string,
  options: BackupOptions,
): Promise<{ taken: Taken; dataFile: string }> {
  return withClient(url, async (client, session) => {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      await applyDumpSettings(session);
      const facts = await describe(session);
      const serverMajor = Math.floor(
        Number(
          (await session.query<{ v: string }>("SELECT current_setting('server_version_num') AS v"))[0]!.v,
        ) / 10_000,
      );
      const binary = options.pgDump === undefined ? "pg_dump" : options.pgDump;
      const major = binary === null ? null : await clientMajor(binary);
      if (binary !== null && major !== null && major >= serverMajor) {
        // pg_dump reads the snapshot this transaction exported: its dump and the manifest's counts agree.
        const snapshot = (await session.query<{ id: string }>("SELECT pg_export_snapshot() AS id"))[0]!.id;
        const dataFile = target("pg_dump");
        const { url: bare, password } = splitPassword(url);
        const dumping = runClient(
          binary,
          [
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            `--snapshot=${snapshot}`,
            `--file=${dataFile}`,
            `--dbname=${bare}`,
          ],
          password,
        );
        const tables = await summarizeTables(session);
        await dumping;
        fs.chmodSync(dataFile, 0o600);
        return { taken: { kind: "pg_dump", engine: "postgres", ...facts, tables }, dataFile };
      }
      options.logger?.info(
        { pgDump: binary, clientMajor: major, serverMajor },
        "no pg_dump at least as new as the server: writing a copy dump",
      );
      const dataFile = target("copy");
      const tables = await writeCopyDump(session, dataFile);
      return { taken: { kind: "copy", engine: "postgres", ...facts, tables }, dataFile };
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
    }
  });
}

async function backupEmbedded(
  dataDir: string,
  target: (kind: BackupKind) => string,
  logger: Logger | undefined,
): Promise<{ taken: Taken; dataFile: string }> {
  const { embeddedDatabaseExists, openEmbedded } = await import("../open.ts");
  // Opening a directory without a database would create one, and back up nothing.
  if (!embeddedDatabaseExists(dataDir))
    throw new UsageError(
      `there is no chainvault database in ${path.resolve(dataDir)} (set --data-dir or DATABASE_URL)`,
    );
  let opened: Awaited<ReturnType<typeof openEmbedded>>;
  try {
    opened = await openEmbedded(dataDir, logger);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const record = serverOfLockedDir(
      error,
      "it does not serve the database (a `collect` run, or database.serve_port is null): back up once it has " +
        "finished, or let the daemon serve the database (database.serve_port) or back it up itself (backup slot).",
    );
    const url = servedUrl(record);
    logger?.info({ url, pid: record.pid }, "data directory in use: backing up through its server");
    return withClient(url, async (client, session) => {
      await client.query("BEGIN READ ONLY");
      try {
        await applyDumpSettings(session);
        const facts = await describe(session);
        const dataFile = target("copy");
        const tables = await writeCopyDump(session, dataFile);
        return { taken: { kind: "copy", engine: "pglite", ...facts, tables }, dataFile };
      } finally {
        await client.query("ROLLBACK").catch(() => undefined);
      }
    });
  }
  const { db, pglite } = opened;
  try {
    // The lock is ours and this is the instance's only session: nothing writes while the tarball is made.
    const taken = await pglite.transaction(async (tx) => {
      const session = pgliteSession(tx);
      await applyDumpSettings(session);
      const facts = await describe(session);
      return {
        kind: "datadir" as const,
        engine: "pglite" as const,
        ...facts,
        tables: await summarizeTables(session),
      };
    });
    const tarball = await pglite.dumpDataDir("gzip");
    const dataFile = target("datadir");
    fs.writeFileSync(dataFile, Buffer.from(await tarball.arrayBuffer()), { mode: 0o600 });
    return { taken, dataFile };
  } finally {
    await db.close();
  }
}
