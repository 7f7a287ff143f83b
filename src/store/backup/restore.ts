import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../../logger.ts";
import { UsageError } from "../../core/errors.ts";
import { LOCK_FILE } from "../data-dir-lock.ts";
import type { Database } from "../database.ts";
import { loadMigrations, migrate } from "../migrate.ts";
import { SERVE_RECORD_FILE } from "../serve/serve-record.ts";
import { MANIFEST_SUFFIX, clientMajor, runClient, splitPassword } from "./backup.ts";
import type { BackupManifest } from "./backup.ts";
import { loadCopyDump } from "./copy-dump.ts";
import { applyDumpSettings, clientSession, pgliteSession, summarizeTables } from "./table-dump.ts";
import type { TableSummary } from "./table-dump.ts";

/**
 * `chainvault restore FILE`: a backup (its data file or its manifest) into an empty server database or an empty
 * data directory, then every table's row count and checksum compared with the manifest's.
 */

export interface RestoreOptions {
  /** The backup's data file or manifest. */
  file: string;
  url?: string;
  dataDir: string;
  logger?: Logger;
  pgRestore?: string;
}

export interface RestoreResult {
  manifest: BackupManifest;
  tables: Record<string, TableSummary>;
  /** Whether the checksums were compared (not when the schema was migrated past the backup's). */
  checksumsCompared: boolean;
}

export class RestoreMismatch extends Error {
  override name = "RestoreMismatch";
}

export function readManifest(file: string): { manifest: BackupManifest; dataFile: string } {
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist`);
  const dir = path.dirname(file);
  let manifestPath = file;
  if (!file.endsWith(MANIFEST_SUFFIX)) {
    const base = path.basename(file).replace(/(\.dump|\.copy\.gz|\.tar\.gz)$/, "");
    manifestPath = path.join(dir, base + MANIFEST_SUFFIX);
    if (!fs.existsSync(manifestPath))
      throw new UsageError(`${file} has no manifest beside it (${manifestPath}): is it a chainvault backup?`);
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as BackupManifest;
  } catch {
    throw new UsageError(`${manifestPath} is not a chainvault backup manifest`);
  }
  if (manifest.format !== "chainvault-backup" || manifest.version !== 1)
    throw new UsageError(`${manifestPath} is not a chainvault backup manifest (version 1)`);
  const dataFile = path.join(dir, manifest.file);
  if (!fs.existsSync(dataFile)) throw new UsageError(`${dataFile}, named by ${manifestPath}, is missing`);
  return { manifest, dataFile };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Why a server database is not empty, or null when it holds no tables of its own. */
async function serverNotEmpty(db: Database): Promise<string | null> {
  const result = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%' AND n.nspname NOT LIKE 'timescaledb\\_%'
      ORDER BY 1 LIMIT 3`,
  );
  return result.rows.length > 0 ? result.rows.map((row) => row.name).join(", ") : null;
}

function dataDirNotEmpty(dataDir: string): boolean {
  return fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0;
}

export async function runRestore(options: RestoreOptions): Promise<RestoreResult> {
  const { manifest, dataFile } = readManifest(options.file);
  const latest = Math.max(...loadMigrations().map((m) => m.id));
  if (manifest.migration > latest)
    throw new UsageError(
      `${dataFile} was taken at migration ${manifest.migration}, newer than this chainvault's ${latest}: restore it with a newer version`,
    );
  if (options.url === undefined && manifest.kind === "pg_dump")
    throw new UsageError(
      `${dataFile} is a pg_dump of a server: restore it into a server database (set DATABASE_URL), not a data directory`,
    );
  if (options.url !== undefined && manifest.kind === "datadir")
    throw new UsageError(
      `${dataFile} is a copy of an embedded data directory: restore it with DATABASE_URL unset and --data-dir`,
    );
  const { openDatabase, openEmbedded } = await import("../open.ts");
  const dataDir = path.resolve(options.dataDir);
  let db: Database;
  if (options.url !== undefined) {
    db = await openDatabase({ url: options.url, dataDir, poolSize: 2, logger: options.logger });
    const tables = await serverNotEmpty(db).catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
    if (tables !== null) {
      await db.close();
      throw new UsageError(
        `the target database is not empty (it has ${tables}…): restore only into a new, empty database`,
      );
    }
  } else {
    if (dataDirNotEmpty(dataDir))
      throw new UsageError(
        `the data directory ${dataDir} is not empty: restore only into a new or empty directory`,
      );
    db = null as never;
  }
  if ((await sha256Of(dataFile)) !== manifest.sha256) {
    if (options.url !== undefined) await db.close();
    throw new RestoreMismatch(`${dataFile} does not match its manifest's SHA-256: the file is damaged`);
  }

  if (options.url === undefined) {
    if (manifest.kind === "datadir") {
      const { PGlite } = await import("@electric-sql/pglite");
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const loaded = await PGlite.create(dataDir, { loadDataDir: new Blob([fs.readFileSync(dataFile)]) });
      await loaded.close();
      // The holder's lock and serve record may have been copied along; they name a process that is not this one.
      for (const name of [LOCK_FILE, SERVE_RECORD_FILE]) fs.rmSync(path.join(dataDir, name), { force: true });
    }
    const opened = await openEmbedded(dataDir, options.logger);
    db = opened.db;
    try {
      await migrate(db, { logger: options.logger });
      if (manifest.kind === "copy") await loadCopyDump(db, dataFile);
      const tables = await opened.pglite.transaction(async (tx) => {
        const session = pgliteSession(tx);
        await applyDumpSettings(session);
        return summarizeTables(session);
      });
      return compare(manifest, tables, latest);
    } finally {
      await db.close();
    }
  }

  const url = options.url;
  try {
    if (manifest.kind === "pg_dump") {
      await db.close();
      const binary = options.pgRestore ?? "pg_restore";
      if ((await clientMajor(binary)) === null)
        throw new UsageError(`${dataFile} is a pg_dump archive and needs pg_restore, which is not on PATH`);
      const { url: bare, password } = splitPassword(url);
      db = await openDatabase({ url, dataDir, poolSize: 2, logger: options.logger });
      if (manifest.timescaledb !== null) {
        // TimescaleDB's own catalog must be restored with its triggers off (its documented restore procedure).
        await db.exec("CREATE EXTENSION IF NOT EXISTS timescaledb; SELECT timescaledb_pre_restore();");
      }
      await runClient(
        binary,
        ["--no-owner", "--no-privileges", "--exit-on-error", `--dbname=${bare}`, dataFile],
        password,
      );
      if (manifest.timescaledb !== null) await db.exec("SELECT timescaledb_post_restore();");
      await db.refreshCapabilities();
    }
    await migrate(db, { logger: options.logger });
    if (manifest.kind === "copy") await loadCopyDump(db, dataFile);
  } finally {
    await db.close();
  }
  const { default: pg } = await import("pg");
  const { to: copyTo } = await import("pg-copy-streams");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const session = clientSession(client, (sql) => copyTo(sql));
    await applyDumpSettings(session);
    const tables = await summarizeTables(session);
    await client.query("ROLLBACK");
    return compare(manifest, tables, latest);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Row counts always; checksums when the schema is the backup's (a later migration may add columns). */
function compare(
  manifest: BackupManifest,
  tables: Record<string, TableSummary>,
  latest: number,
): RestoreResult {
  const checksumsCompared = manifest.migration === latest;
  const wrong: string[] = [];
  for (const [name, expected] of Object.entries(manifest.tables)) {
    const actual = tables[name];
    if (actual === undefined) wrong.push(`${name} missing`);
    else if (actual.rows !== expected.rows)
      wrong.push(`${name} has ${actual.rows} rows, the backup ${expected.rows}`);
    else if (checksumsCompared && actual.checksum !== expected.checksum)
      wrong.push(`${name} checksum differs`);
  }
  if (wrong.length > 0)
    throw new RestoreMismatch(
      `the restored database does not match the backup's manifest: ${wrong.join("; ")}`,
    );
  return { manifest, tables, checksumsCompared };
}
