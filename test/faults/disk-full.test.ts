import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionProgress } from "../../src/collect/summary.ts";
import { configSchema } from "../../src/config/schema.ts";
import { IbClient } from "../../src/ib/client.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { LOCK_FILE } from "../../src/store/data-dir-lock.ts";
import { openDatabase } from "../../src/store/open.ts";
import { capturedLog } from "../helpers/captured-log.ts";
import { copyMigratedDataDir, migratedDataDirBytes } from "../helpers/pglite-template.ts";
import { startThrowawayCluster } from "../helpers/pg-cluster.ts";
import type { ThrowawayCluster } from "../helpers/pg-cluster.ts";
import { mountTinyFilesystem } from "../helpers/tiny-filesystem.ts";
import type { TinyFilesystem } from "../helpers/tiny-filesystem.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import { DATE, startFaultSetup, startProcess, summaryOf, waitFor, writeConfig } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

/**
 * Disk full, for real: a tmpfs of a few hundred kilobytes (test/helpers/tiny-filesystem.ts) that answers
 * ENOSPC. Neither a full spool nor a full embedded data directory may cost a committed row, crash the
 * run or let memory grow: the run stops taking contracts, ends `partial` saying why, and a rerun with
 * room completes the collection.
 */

const silent = pino({ level: "silent" });

/** Fills the filesystem under `dir` to the last byte. */
function fill(dir: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const fd = fs.openSync(path.join(dir, "filler"), "a");
  try {
    for (;;) {
      try {
        fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        if (chunk.length === 1) return;
        return fillRest(fd);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

function fillRest(fd: number): void {
  for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
    for (;;) {
      try {
        fs.writeSync(fd, Buffer.alloc(size, 1));
      } catch {
        break;
      }
    }
  }
}

describe("disk full", () => {
  let setup: FaultSetup;
  let tiny: TinyFilesystem;

  beforeAll(async () => {
    setup = await startFaultSetup({ engine: "none", sim: { snapshotLatencyMs: 0, frozenClock: true } });
  });
  afterAll(async () => {
    await setup?.close();
    await tiny?.close();
  });

  describe("on the spool while the database is away (throwaway PostgreSQL)", () => {
    let cluster: ThrowawayCluster;
    let ib: IbClient;
    beforeAll(async () => {
      cluster = await startThrowawayCluster();
      ib = await IbClient.connect({
        host: setup.sim.host,
        port: setup.sim.port,
        clientId: 61,
        maxMessagesPerSecond: 300,
        maxMarketDataLines: LINES,
        clockWarnThresholdMs: Number.POSITIVE_INFINITY,
        reconnectInitialDelayMs: 100,
        logger: silent,
      });
    });
    afterAll(async () => {
      await ib?.close();
      await cluster?.destroy();
    });

    const LINES = 10;
    const MEMORY_ROWS = 20;
    const BATCH_ROWS = 10;

    it("memory stays bounded: the run stops taking contracts and ends partial; nothing committed is lost; a rerun completes", async () => {
      tiny = await mountTinyFilesystem(256 * 1024);
      const spoolDir = path.join(tiny.dir, "spool");
      fs.mkdirSync(spoolDir);
      fill(tiny.dir);
      expect(tiny.free()).toBe(0);

      const log = capturedLog();
      const url = await cluster.createDatabase("spool_full");
      const db: Database = await openDatabase({ url, dataDir: "unused", logger: log.logger });
      await migrate(db);
      const config = configSchema.parse({
        selection: { max_days_to_expiry: 3 },
        collect: {
          include_vix: false,
          write_batch_rows: BATCH_ROWS,
          spool_dir: spoolDir,
          spool_memory_rows: MEMORY_ROWS,
          max_db_outage_seconds: 120,
        },
      });
      const progress = new Map<string, CollectionProgress>();
      const collect = () =>
        runCollection(
          { symbols: ["SPY", "PLTR"], type: "eod", date: DATE },
          { db, ib, config, logger: log.logger, onProgress: (step) => progress.set(step.symbol, step) },
        );
      try {
        const run = collect();
        await waitFor("100 stored quotes", async () => (await storedQuotes(db)).rows >= 100);
        const before = await storedQuotes(db);
        await cluster.stop("fast");
        await waitFor(
          "the run to stop for want of disk space",
          () => log.matching(/^stopping the run/).length > 0,
        );
        await cluster.start();
        const summary = await run;

        // The stop: SPY cut short with a reason a user can act on, PLTR (prepared meanwhile) not begun.
        expect(summary.stopped).toMatch(/^a full disk \(the quote spool in .* cannot be written: ENOSPC/);
        const [spy, pltr] = summary.symbols;
        expect(spy).toMatchObject({ symbol: "SPY", status: "partial" });
        expect(spy!.error).toMatch(
          /^interrupted by a full disk \(the quote spool in .*spool cannot be written: ENOSPC.*\) while the database is away after \d+ of \d+ contracts; the next run resumes$/,
        );
        expect(spy!.quotes_stored).toBeLessThan(spy!.contracts_selected);
        expect(pltr).toMatchObject({ symbol: "PLTR", status: "partial", quotes_stored: 0 });
        expect(pltr!.error).toMatch(
          /^interrupted by a full disk .* before its snapshots; the next run resumes$/,
        );

        // Bounded: what was taken while the database was away is the memory bound plus what was in flight,
        // not the rest of SPY's contracts.
        const drained = log
          .matching(/stored the quotes spooled while the database was away/)
          .reduce((sum, line) => sum + Number(line.quotes), 0);
        expect(drained).toBeGreaterThan(MEMORY_ROWS);
        expect(drained).toBeLessThanOrEqual(MEMORY_ROWS + 2 * BATCH_ROWS + LINES);
        expect(log.matching(/cannot write the quote spool and its memory is full/)).toHaveLength(1);

        // Honest and lossless: the status says what is stored, every committed row is still there.
        const after = await storedQuotes(db);
        expect(after.rows).toBe(spy!.quotes_stored);
        expect(after.distinctContracts).toBe(after.rows);
        expect([...before.keys].filter((key) => !after.keys.has(key))).toEqual([]);
        expect((await statusRows(db)).map((row) => [row.symbol, row.status, row.records_collected])).toEqual([
          ["PLTR", "partial", 0],
          ["SPY", "partial", after.rows],
        ]);
        expect(fs.readdirSync(spoolDir)).toEqual([]);

        // The database is back: the rerun resumes (the spool's disk is still full, and need not be).
        const rerun = await collect();
        expect(rerun.stopped).toBeUndefined();
        expect(rerun.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
          ["SPY", "completed", 1],
          ["PLTR", "completed", 1],
        ]);
        const final = await storedQuotes(db);
        expect(final.rows).toBe(rerun.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0));
        expect(final.distinctContracts).toBe(final.rows);
        expect([...after.keys].filter((key) => !final.keys.has(key))).toEqual([]);
      } finally {
        if (!cluster.running) await cluster.start();
        await db.close();
        await tiny.close();
      }
    });
  });

  describe("on the embedded data directory (collect as a child process)", () => {
    let roomyDb: Database | undefined;
    let ib: IbClient | undefined;
    afterAll(async () => {
      await ib?.close();
      await roomyDb?.close();
    });
    const connect = async () =>
      (ib = await IbClient.connect({
        host: setup.sim.host,
        port: setup.sim.port,
        clientId: 62,
        maxMessagesPerSecond: 1000,
        maxMarketDataLines: 50,
        clockWarnThresholdMs: Number.POSITIVE_INFINITY,
        logger: silent,
      }));

    it("the run stops taking contracts, exits 1 naming the full disk, records partial; nothing committed is lost", async () => {
      // Room for the run to start (lock, discovery, the first quotes); the test fills the rest mid-run.
      tiny = await mountTinyFilesystem((await migratedDataDirBytes()) + 8 * 1024 * 1024);
      const dataDir = await copyMigratedDataDir(path.join(tiny.dir, "data"));
      const config = writeConfig(setup.dir, setup.sim, {
        ib: { max_market_data_lines: 4 },
        selection: { max_days_to_expiry: 3 },
        collect: { write_batch_rows: 10 },
      });
      const args = ["collect", "--symbols", "SPY,PLTR", "--date", DATE, "--json", "--config", config];
      const env = { CHAINVAULT_DATA_DIR: dataDir };

      const first = startProcess(args, { env });
      await first.waitForStderr(/"symbol":"SPY".*"msg":"collecting"/, 60_000);
      const sent = setup.sim.stats().messagesReceived;
      await waitFor(
        "SPY's snapshots to be under way",
        () => setup.sim.stats().messagesReceived - sent >= 60,
        {
          process: first,
        },
      );
      fill(tiny.dir);
      const exit = await first.exited;

      expect(exit.code, first.stderr()).toBe(1);
      expect(first.stderr()).not.toMatch(/^\s+at /m);
      const complaint = first
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("chainvault:"));
      expect(complaint).toHaveLength(1);
      expect(complaint[0]).toMatch(
        /^chainvault: the run stopped taking contracts: a full disk \(the database cannot store quotes: could not extend file .*No space left on device\)\. The stored rows are kept - free disk space, then run the same command again to resume$/,
      );
      const summary = summaryOf(first);
      const spy = summary.symbols.find((entry) => entry.symbol === "SPY")!;
      expect(spy.status, first.stderr()).toBe("partial");
      expect(spy.quotes_stored).toBeGreaterThan(0);
      expect(spy.quotes_stored).toBeLessThan(spy.contracts_selected);

      // What the full disk holds, read on a copy: the status says what is stored.
      const roomy = path.join(setup.dir, "roomy");
      fs.cpSync(dataDir, roomy, { recursive: true });
      await tiny.close();
      fs.rmSync(path.join(roomy, LOCK_FILE), { force: true });
      roomyDb = await openDatabase({ dataDir: roomy });
      const stopped = await storedQuotes(roomyDb);
      expect(stopped.rows).toBe(spy.quotes_stored);
      expect(stopped.distinctContracts).toBe(stopped.rows);
      const statuses = await statusRows(roomyDb);
      expect(statuses.find((row) => row.symbol === "SPY")).toMatchObject({
        status: "partial",
        records_collected: stopped.rows,
      });
      // The quotes the full database refused could not go to the spool beside it either: it says so.
      expect(statuses.find((row) => row.symbol === "SPY")!.error_message).toMatch(
        /^interrupted by a full disk \(the database cannot store quotes: could not extend file .*\) after \d+ of \d+ contracts; the next run resumes; \d+ quotes not stored could not be kept \(the spool cannot be written: ENOSPC.*\); the next run requests those contracts again$/,
      );
      // PLTR, prepared while SPY ran, is recorded as not begun (or was not reached at all).
      expect(statuses.find((row) => row.symbol === "PLTR")?.status ?? "partial").toBe("partial");

      // "Free disk space": the directory on a disk with room; the run resumes and completes (in process).
      const rerun = await runCollection(
        { symbols: ["SPY", "PLTR"], type: "eod", date: DATE },
        {
          db: roomyDb,
          ib: await connect(),
          config: configSchema.parse({
            selection: { max_days_to_expiry: 3 },
            collect: { include_vix: false, write_batch_rows: 10, spool_dir: path.join(setup.dir, "spool") },
          }),
          logger: silent,
        },
      );
      expect(rerun.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
        ["SPY", "completed", 1],
        ["PLTR", "completed", 1],
      ]);
      const final = await storedQuotes(roomyDb);
      expect(final.rows).toBe(rerun.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0));
      expect(final.distinctContracts).toBe(final.rows);
      expect([...stopped.keys].filter((key) => !final.keys.has(key))).toEqual([]);
    });
  });
});
