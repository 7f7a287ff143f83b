import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionSummary } from "../../src/collect/summary.ts";
import { configSchema } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { BackupManifest } from "../../src/store/backup/backup.ts";
import { rotateBackups, runBackup } from "../../src/store/backup/backup.ts";
import {
  applyDumpSettings,
  clientSession,
  pgliteSession,
  summarizeTables,
} from "../../src/store/backup/table-dump.ts";
import type { TableSummary } from "../../src/store/backup/table-dump.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase, openEmbedded } from "../../src/store/open.ts";
import { serveEmbedded } from "../../src/store/serve/serve-embedded.ts";
import { runMain } from "../helpers/cli.ts";
import { backupForDaemon } from "../../src/daemon/backup-slot.ts";
import { runRestore } from "../../src/store/backup/restore.ts";
import { createServerDatabase, openMigratedPglite } from "../helpers/db.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";

const silent = pino({ level: "silent" });
const MONDAY = "2025-01-13";
const TIER = { range: 0.03, min_strikes: 4 };
const CONFIG = configSchema.parse({
  selection: {
    mode: "window",
    max_days_to_expiry: 4,
    tiers: { low_iv: TIER, normal_iv: TIER, high_iv: TIER },
  },
  collect: { include_vix: false, snapshot_timeout_ms: 1500, max_attempts: 1 },
});

async function serverSummaries(url: string): Promise<Record<string, TableSummary>> {
  const { default: pg } = await import("pg");
  const { to } = await import("pg-copy-streams");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN READ ONLY");
    const session = clientSession(client, (sql) => to(sql));
    await applyDumpSettings(session);
    return await summarizeTables(session);
  } finally {
    await client.end();
  }
}

async function embeddedSummaries(dataDir: string): Promise<Record<string, TableSummary>> {
  const { db, pglite } = await openEmbedded(dataDir);
  try {
    return await pglite.transaction(async (tx) => {
      await applyDumpSettings(pgliteSession(tx));
      return summarizeTables(pgliteSession(tx));
    });
  } finally {
    await db.close();
  }
}

function readManifest(stdout: string): BackupManifest & { manifest_path: string } {
  return JSON.parse(stdout) as BackupManifest & { manifest_path: string };
}

/** Env for runMain: the CLI reads its database from the environment like a user's shell. */
async function withEnv<T>(env: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe("backup and restore round trips", () => {
  let sim: Simulator;
  let ib: IbClient;
  let tmp: string;

  beforeAll(async () => {
    // Some latency per snapshot, so the collection is still writing when the backup is taken.
    sim = await startSimulator({
      port: 0,
      start: { date: MONDAY, timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
      snapshotLatencyMs: 5,
    });
    ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 7,
      maxMessagesPerSecond: 5000,
      maxMarketDataLines: 50,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      reconnectInitialDelayMs: 100,
      logger: silent,
    });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-backup-"));
  });
  afterAll(async () => {
    await ib?.close();
    await sim?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * SPY then TSLA; resolves `secondSymbolStarted` once SPY's quotes are stored, so the backup is
   * taken with the run half done and TSLA's quotes being written meanwhile.
   */
  const collect = (db: Database, symbols = ["SPY", "TSLA"]) => {
    let started!: () => void;
    const secondSymbolStarted = new Promise<void>((resolve) => (started = resolve));
    const done: Promise<CollectionSummary> = runCollection(
      { symbols, type: "eod", date: MONDAY },
      {
        db,
        ib,
        config: CONFIG,
        logger: silent,
        onProgress: (progress) => {
          if (progress.symbol === "SPY" && progress.phase === "done") started();
        },
      },
    );
    return { secondSymbolStarted, done };
  };

  it("a server: pg_dump while a collection writes, the database dropped, restored into a new one", async () => {
    const source = await createServerDatabase();
    const target = await createServerDatabase();
    const out = path.join(tmp, "server");
    try {
      const db = await openDatabase({ url: source.url, dataDir: "unused" });
      await migrate(db);
      const collecting = collect(db);
      await collecting.secondSymbolStarted;
      const backup = await withEnv({ DATABASE_URL: source.url }, () =>
        runMain(["backup", "--out", out, "--json"]),
      );
      expect(backup.code, backup.stderr).toBe(0);
      const manifest = readManifest(backup.stdout);
      expect(manifest.kind).toBe("pg_dump");
      expect(manifest.tables.market_data_ticks!.rows).toBeGreaterThan(0);
      expect((await collecting.done).symbols.map((symbol) => symbol.status)).toEqual([
        "completed",
        "completed",
      ]);
      // A copy dump too (as without pg_dump on PATH), of the finished collection.
      const copy = await runBackup({
        url: source.url,
        dataDir: "unused",
        outDir: out,
        keep: 30,
        pgDump: null,
      });
      expect(copy.manifest.kind).toBe("copy");
      expect(copy.manifest.tables).toEqual(await serverSummaries(source.url));
      await db.close();
      await source.drop();

      const restored = await withEnv({ DATABASE_URL: target.url }, () =>
        runMain(["restore", path.join(out, manifest.file)]),
      );
      expect(restored.stdout).toMatch(/row counts and checksums match the manifest/);
      expect(restored.code, restored.stderr).toBe(0);
      expect(await serverSummaries(target.url)).toEqual(manifest.tables);

      // Not into a database that holds data: exit 2, one line, nothing written.
      const refused = await withEnv({ DATABASE_URL: target.url }, () =>
        runMain(["restore", copy.manifestPath]),
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^chainvault: the target database is not empty .*restore only into a new, empty database\n$/,
      );
      expect(await serverSummaries(target.url)).toEqual(manifest.tables);

      // The copy dump restores the same way into another empty database.
      const third = await createServerDatabase();
      try {
        // A damaged copy of the file is refused before anything is written, naming the file.
        const damagedDir = path.join(tmp, "damaged");
        fs.mkdirSync(damagedDir);
        fs.copyFileSync(copy.manifestPath, path.join(damagedDir, path.basename(copy.manifestPath)));
        const bytes = fs.readFileSync(path.join(out, copy.manifest.file));
        bytes[bytes.length >> 1]! ^= 0xff;
        fs.writeFileSync(path.join(damagedDir, copy.manifest.file), bytes);
        const damaged = await withEnv({ DATABASE_URL: third.url }, () =>
          runMain(["restore", path.join(damagedDir, copy.manifest.file)]),
        );
        expect(damaged.code).toBe(1);
        expect(damaged.stderr).toMatch(
          /restore failed: .*damaged.*copy\.gz does not match its manifest's SHA-256/,
        );
        const again = await withEnv({ DATABASE_URL: third.url }, () =>
          runMain(["restore", copy.manifestPath]),
        );
        expect(again.code, again.stderr).toBe(0);
        expect(await serverSummaries(third.url)).toEqual(copy.manifest.tables);
      } finally {
        await third.drop();
      }
    } finally {
      await source.drop();
      await target.drop();
    }
  });

  it("the embedded engine: a dump through the holder's socket while it writes, then a data-directory copy", async () => {
    const dataDir = path.join(tmp, "data");
    const out = path.join(tmp, "embedded");
    const env = { DATABASE_URL: undefined, CHAINVAULT_DATA_DIR: undefined };
    const { db, pglite } = await openEmbedded(await copyMigratedDataDir(dataDir));
    await migrate(db);
    const served = await serveEmbedded({ pglite, db, dataDir, port: 0, idleInTransactionSeconds: 30 });
    let backup;
    try {
      const collecting = collect(db);
      await collecting.secondSymbolStarted;
      backup = await withEnv(env, () => runMain(["backup", "--data-dir", dataDir, "--out", out, "--json"]));
      expect((await collecting.done).symbols.map((symbol) => symbol.status)).toEqual([
        "completed",
        "completed",
      ]);
    } finally {
      await served.close();
      await db.close();
    }
    expect(backup.code, backup.stderr).toBe(0);
    const live = readManifest(backup.stdout);
    expect(live.kind).toBe("copy");
    expect(live.engine).toBe("pglite");
    expect(live.tables.market_data_ticks!.rows).toBeGreaterThan(0);

    // The directory is free now: a copy of the data directory itself.
    const free = await withEnv(env, () => runMain(["backup", "--data-dir", dataDir, "--out", out, "--json"]));
    expect(free.code, free.stderr).toBe(0);
    const copy = readManifest(free.stdout);
    expect(copy.kind).toBe("datadir");
    const finalTables = await embeddedSummaries(dataDir);
    expect(copy.tables).toEqual(finalTables);
    // TSLA's quotes came after the live backup's snapshot.
    expect(copy.tables.market_data_ticks!.rows).toBeGreaterThan(live.tables.market_data_ticks!.rows);
    fs.rmSync(dataDir, { recursive: true, force: true });

    for (const [manifest, name] of [
      [live, "from-socket"],
      [copy, "from-datadir"],
    ] as const) {
      const restoredDir = path.join(tmp, name);
      const restored = await withEnv(env, () =>
        runMain(["restore", "--data-dir", restoredDir, path.join(out, manifest.file)]),
      );
      expect(restored.code, restored.stderr).toBe(0);
      // restore itself read every table back and compared it with the manifest.
      expect(restored.stdout).toMatch(/row counts and checksums match the manifest/);
    }

    const refused = await withEnv(env, () =>
      runMain(["restore", "--data-dir", path.join(tmp, "from-socket"), copy.manifest_path]),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty: restore only into a new or empty directory\n$/);
  });

  it("the daemon's backup slot: a copy dump through the instance it holds, restored elsewhere", async () => {
    const { db, pglite } = await openMigratedPglite();
    const config = configSchema.parse({ backup: { dir: path.join(tmp, "daemon"), keep: 3 } });
    try {
      await collect(db, ["SPY"]).done;
      const { summary, records } = await backupForDaemon(config, pglite, silent)();
      expect(summary).toMatch(
        /^copy backup .*chainvault-\d{8}T\d{9}Z\.manifest\.json \(\d+ rows, \d+ bytes\); 0 rotated away$/,
      );
      expect(records).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    const [manifest] = fs.readdirSync(config.backup.dir!).filter((name) => name.endsWith(".manifest.json"));
    const restored = await runRestore({
      file: path.join(config.backup.dir!, manifest!),
      dataDir: path.join(tmp, "from-daemon"),
    });
    expect(restored.checksumsCompared).toBe(true);
    expect(restored.tables.market_data_ticks!.rows).toBeGreaterThan(0);
  });

  it("refuses bad input with exit 2 and one line", async () => {
    const empty = await runMain(["backup", "--out", " "]);
    expect(empty).toMatchObject({
      code: 2,
      stderr: "chainvault: --out needs a directory, e.g. --out ./backups\n",
    });
    const nowhere = path.join(tmp, "no-database-here");
    const noDatabase = await withEnv({ DATABASE_URL: undefined, CHAINVAULT_DATA_DIR: undefined }, () =>
      runMain(["backup", "--data-dir", nowhere, "--out", path.join(tmp, "unused")]),
    );
    expect(noDatabase).toMatchObject({
      code: 2,
      stderr: `chainvault: there is no chainvault database in ${nowhere} (set --data-dir or DATABASE_URL)\n`,
    });
    expect(fs.existsSync(nowhere)).toBe(false);
    expect(fs.existsSync(path.join(tmp, "unused"))).toBe(false);
    const missing = await runMain(["restore", path.join(tmp, "no-such-backup.copy.gz")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^chainvault: .*no-such-backup\.copy\.gz does not exist\n$/);
    const stray = path.join(tmp, "stray.copy.gz");
    fs.writeFileSync(stray, "");
    const noManifest = await runMain(["restore", stray]);
    expect(noManifest.code).toBe(2);
    expect(noManifest.stderr).toMatch(/has no manifest beside it .*is it a chainvault backup\?\n$/);
  });

  it("keeps the newest backup.keep backups", () => {
    const out = path.join(tmp, "rotation");
    fs.mkdirSync(out);
    for (const day of ["01", "02", "03"]) {
      const base = `chainvault-202601${day}T020000000Z`;
      fs.writeFileSync(path.join(out, `${base}.copy.gz`), "");
      const manifest = {
        format: "chainvault-backup",
        file: `${base}.copy.gz`,
        created_at: `2026-01-${day}T02:00:00.000Z`,
      };
      fs.writeFileSync(path.join(out, `${base}.manifest.json`), JSON.stringify(manifest));
    }
    fs.writeFileSync(path.join(out, "notes.txt"), "not a backup");
    expect(rotateBackups(out, 2)).toEqual([path.join(out, "chainvault-20260101T020000000Z.manifest.json")]);
    expect(fs.readdirSync(out).sort()).toEqual([
      "chainvault-20260102T020000000Z.copy.gz",
      "chainvault-20260102T020000000Z.manifest.json",
      "chainvault-20260103T020000000Z.copy.gz",
      "chainvault-20260103T020000000Z.manifest.json",
      "notes.txt",
    ]);
  });
});
