import { randomUUID } from "node:crypto";
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CollectionLocks,
  CollectionTakenOverError,
  staleAfterMsFor,
} from "../../src/store/collection-lock.ts";
import { openDatabase } from "../../src/store/open.ts";
import { getCollectionRun, takeCollectionRun } from "../../src/store/repositories/collection-runs.ts";
import { startCollection } from "../../src/store/repositories/collection-status.ts";
import type { CollectionKey } from "../../src/store/repositories/collection-status.ts";
import type { CollectionType } from "../../src/core/collection.ts";
import { TEST_ENGINES, testUrlFor } from "../helpers/db.ts";
import { startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { runOwnerOf, statusOf, statusRows, storedQuotes } from "./checks.ts";
import { DATE, deadPid } from "./fixture.ts";

/**
 * The run-owner check: a key whose owner is gone (its pid dead on this host, or its heartbeat
 * expired) is taken over; a live owner is refused, and the refusal writes nothing. On PostgreSQL the
 * advisory lock has the last word: a holder still connected is never taken over, whatever its row says.
 */

const key = (symbol: string, type: CollectionType = "eod"): CollectionKey => ({
  collectionDate: DATE,
  symbol,
  collectionType: type,
});

describe.each(TEST_ENGINES)("run owners (%s)", (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      engine,
      start: { date: DATE, timeEt: "16:45" },
      config: { selection: { max_days_to_expiry: 2 }, collect: { include_vix: false } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Leaves the key as a killed run leaves it: its owner row held, its status running. */
  async function abandonedBy(owner: { pid: number; host: string }, target: CollectionKey): Promise<string> {
    const runId = randomUUID();
    expect(await takeCollectionRun(h.db, target, { runId, ...owner }, null)).not.toBeNull();
    await startCollection(h.db, target);
    return runId;
  }

  async function expectOneCompleteSnapshot(symbol: string, selected: number, type: CollectionType = "eod") {
    const stored = await storedQuotes(h.db, { symbol: symbol, date: DATE, type: type });
    expect(stored.rows).toBe(selected);
    expect(stored.rows).toBeGreaterThan(10);
    expect(stored.distinctKeys).toBe(stored.rows);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(await statusOf(h.db, symbol, DATE, type)).toEqual({
      status: "completed",
      records_collected: stored.rows,
    });
    expect(await runOwnerOf(h.db, symbol, DATE, type)).toMatchObject({
      owner_pid: process.pid,
      owner_host: os.hostname(),
      released: true,
    });
  }

  it("takes over at once a key whose owner's pid is dead on this host, though its heartbeat is fresh", async () => {
    const pid = deadPid();
    await abandonedBy({ pid, host: os.hostname() }, key("PLTR"));
    expect(await runOwnerOf(h.db, "PLTR")).toMatchObject({ owner_pid: pid, released: false });
    const summary = await h.collect({ symbols: ["PLTR"], date: DATE });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    await expectOneCompleteSnapshot("PLTR", summary.symbols[0]!.contracts_selected);
  });

  it("takes over a key owned by this very pid that no run of this process holds (PID 1 after a container restart)", async () => {
    await abandonedBy({ pid: process.pid, host: os.hostname() }, key("PLTR", "analytics"));
    const summary = await h.collect({ symbols: ["PLTR"], date: DATE, type: "analytics" });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    await expectOneCompleteSnapshot("PLTR", summary.symbols[0]!.contracts_selected, "analytics");
  });

  it("refuses a key a live owner on another host holds, writing nothing; takes it over once the heartbeat expires", async () => {
    await abandonedBy({ pid: 4242, host: "collector-2.example" }, key("TSLA"));
    const refused = await h.collect({ symbols: ["TSLA"], date: DATE });
    expect(refused.symbols[0]).toMatchObject({ status: "busy", quotes_stored: 0, coverage: 0 });
    expect(refused.symbols[0]!.error).toMatch(
      /^TSLA eod 2025-01-15 is being collected by another run \(process 4242 on collector-2\.example, started .*, last heartbeat \d+ s ago\); nothing was written\./,
    );
    expect((await storedQuotes(h.db, { symbol: "TSLA" })).rows).toBe(0);
    expect(await statusOf(h.db, "TSLA")).toMatchObject({ status: "running" });
    expect(await runOwnerOf(h.db, "TSLA")).toMatchObject({ owner_pid: 4242, released: false });

    // Silent for 200 s: past the old 120 s limit, but a run may be riding out a database outage of up to
    // collect.max_db_outage_seconds (300) without a heartbeat: it is not taken over.
    const silentFor = (seconds: number) =>
      h.db.query(
        `UPDATE collection_runs SET heartbeat_at = now() - interval '${seconds} seconds' WHERE symbol = 'TSLA'`,
      );
    await silentFor(200);
    expect((await h.collect({ symbols: ["TSLA"], date: DATE })).symbols[0]).toMatchObject({ status: "busy" });
    expect(staleAfterMsFor(h.config.collect.max_db_outage_seconds * 1000)).toBe(330_000);
    // Longer than that outage limit plus two heartbeats: the owner is gone.
    await silentFor(331);
    const summary = await h.collect({ symbols: ["TSLA"], date: DATE });
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
    await expectOneCompleteSnapshot("TSLA", summary.symbols[0]!.contracts_selected);
  });

  it("lets one of two runs of this process collect a key both ask for at once", async () => {
    const runs = await Promise.all([
      h.collect({ symbols: ["TSLA"], date: DATE, type: "analytics" }),
      h.collect({ symbols: ["TSLA"], date: DATE, type: "analytics" }),
    ]);
    const statuses = runs.map((run) => run.symbols[0]!.status).sort();
    expect(statuses).toEqual(["busy", "completed"]);
    const selected = runs.find((run) => run.symbols[0]!.status === "completed")!.symbols[0]!
      .contracts_selected;
    await expectOneCompleteSnapshot("TSLA", selected, "analytics");
  });

  it("a run whose key was taken over cannot record its status or release the new owner's claim", async () => {
    const target = key("SPY", "pre_market");
    const locks = await CollectionLocks.open(h.db);
    try {
      const claim = await locks.claim(target);
      if (!claim.held) throw new Error("the key should have been free");
      await startCollection(h.db, target);
      // Another run judged this one stale (heartbeat expired during a database outage) and took over.
      const usurper = { runId: randomUUID(), pid: 4343, host: "collector-3.example" };
      expect(await takeCollectionRun(h.db, target, usurper, claim.lease.runId)).not.toBeNull();
      await expect(
        h.db.transaction(async (tx) => {
          await claim.lease.markReleased(tx, true);
          await tx.query("UPDATE daily_collection_status SET status = 'completed' WHERE symbol = 'SPY'");
        }),
      ).rejects.toThrow(CollectionTakenOverError);
      await claim.lease.unlock();
      expect(await statusOf(h.db, "SPY", DATE, "pre_market")).toMatchObject({ status: "running" });
      expect(await runOwnerOf(h.db, "SPY", DATE, "pre_market")).toMatchObject({
        owner_pid: 4343,
        owner_host: "collector-3.example",
        released: false,
      });
    } finally {
      await locks.close();
    }
  });

  it("settles, at the start of any run, a key whose run is gone without recording its outcome; a live one is left alone", async () => {
    // A completed collection, then a run of it (forced) that was killed after its status said running.
    const stored = (await h.collect({ symbols: ["PLTR"], date: DATE, type: "pre_market" })).symbols[0]!;
    expect(stored.status).toBe("completed");
    const killedPid = deadPid();
    const previous = await getCollectionRun(h.db, key("PLTR", "pre_market"));
    expect(
      await takeCollectionRun(
        h.db,
        key("PLTR", "pre_market"),
        { runId: randomUUID(), pid: killedPid, host: os.hostname() },
        previous!.runId,
      ),
    ).not.toBeNull();
    await startCollection(h.db, key("PLTR", "pre_market"), { force: true });
    await abandonedBy({ pid: 4444, host: "collector-4.example" }, key("TSLA", "pre_market"));
    expect(await statusOf(h.db, "PLTR", DATE, "pre_market")).toMatchObject({ status: "running" });

    // Any run, of another key: it settles the abandoned one first.
    const other = await h.collect({ symbols: ["PLTR"], date: DATE, type: "settlement" });
    expect(other.symbols[0]?.status).not.toBe("busy");
    const settled = await statusRows(h.db, DATE, "pre_market");
    expect(settled.find((row) => row.symbol === "PLTR")).toMatchObject({
      status: "partial",
      records_collected: stored.quotes_stored,
    });
    expect(settled.find((row) => row.symbol === "PLTR")!.error_message).toMatch(
      new RegExp(
        `^interrupted: its run \\(process ${killedPid} on ${os.hostname()}, started .*\\) ended without recording an outcome .*; the next run resumes$`,
      ),
    );
    expect(await runOwnerOf(h.db, "PLTR", DATE, "pre_market")).toMatchObject({ released: true });
    // A run that is alive elsewhere is not touched.
    expect(await statusOf(h.db, "TSLA", DATE, "pre_market")).toMatchObject({ status: "running" });
    expect(await runOwnerOf(h.db, "TSLA", DATE, "pre_market")).toMatchObject({
      owner_pid: 4444,
      released: false,
    });
    // The next run of the key resumes it: nothing to request, completed with the same rows.
    const resumed = await h.collect({ symbols: ["PLTR"], date: DATE, type: "pre_market" });
    expect(resumed.symbols[0]).toMatchObject({ status: "completed", quotes_stored: stored.quotes_stored });
  });

  it.runIf(engine === "postgres")(
    "never takes over a holder still connected, even when its row looks stale (PostgreSQL advisory lock)",
    async () => {
      // Another process's run, on a connection of its own (a second pool, as another process has).
      const name = await h.db.query<{ name: string }>("SELECT current_database() AS name");
      const other = await openDatabase({ url: testUrlFor(name.rows[0]!.name), dataDir: "unused" });
      const locks = await CollectionLocks.open(other);
      try {
        const claim = await locks.claim(key("SPY"));
        expect(claim.held).toBe(true);
        await other.query(
          "UPDATE collection_runs SET owner_pid = $1, heartbeat_at = now() - interval '1 hour' WHERE symbol = 'SPY'",
          [deadPid()],
        );
        const refused = await h.collect({ symbols: ["SPY"], date: DATE });
        expect(refused.symbols[0]).toMatchObject({ status: "busy", quotes_stored: 0 });
        expect((await storedQuotes(h.db, { symbol: "SPY" })).rows).toBe(0);
      } finally {
        await locks.close();
        await other.close();
      }
      // Released: the next run collects it.
      const summary = await h.collect({ symbols: ["SPY"], date: DATE });
      expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1 });
      await expectOneCompleteSnapshot("SPY", summary.symbols[0]!.contracts_selected);
    },
  );
});
