import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settleParts } from "../../src/collect/part-run.ts";
import type { Database } from "../../src/store/database.ts";
import { listParts, recordPlan, startPart } from "../../src/store/repositories/collection-parts.ts";
import { getCollection, startCollection } from "../../src/store/repositories/collection-status.ts";
import type { CollectionKey } from "../../src/store/repositories/collection-status.ts";
import { newRunId } from "../../src/core/run-id.ts";
import { openTestDatabase } from "../helpers/db.ts";

/**
 * The collection's outcome is settled by whoever finishes its last part: two workers finishing the last two
 * parts at the same moment must not both see the other's part still running (and leave the collection
 * running for ever), nor settle it twice.
 */
describe("settling a split collection from its parts", () => {
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase("postgres"));
  });
  afterAll(async () => {
    await drop?.();
  });

  /** A running collection of `count` parts of 10 contracts, each part started by its own run. */
  async function planned(key: CollectionKey, count: number): Promise<{ planId: string; runIds: string[] }> {
    await startCollection(db, key, { runId: newRunId() });
    const planId = newRunId();
    await recordPlan(
      db,
      key,
      planId,
      Array.from({ length: count }, (_, index) => ({
        index,
        contractIds: Array.from({ length: 10 }, (_, i) => index * 10 + i + 1),
        underlyingPrice: 100,
        contractsListed: count * 12,
      })),
    );
    const runIds: string[] = [];
    for (let index = 0; index < count; index++) {
      const runId = newRunId();
      runIds.push(runId);
      expect(
        await startPart(db, key, index, planId, { runId, worker: `w${index}`, gateway: `g${index}` }),
      ).not.toBeNull();
    }
    return { planId, runIds };
  }

  it("two workers finishing the last two parts at once: completed, once", async () => {
    for (let round = 0; round < 10; round++) {
      const key = { collectionDate: "2025-01-15", symbol: `R${round}`, collectionType: "eod" };
      const { runIds } = await planned(key, 3);
      const done = (index: number) => ({
        index,
        runId: runIds[index]!,
        status: "completed" as const,
        stored: 10,
        failed: 0,
        error: null,
      });
      expect((await settleParts(db, key, done(0)))?.state).toBe("running");
      expect((await getCollection(db, key))?.status).toBe("running");
      const [a, b] = await Promise.all([settleParts(db, key, done(1)), settleParts(db, key, done(2))]);
      // One of them saw the other's part: it settled the collection.
      expect([a?.state, b?.state]).toContain("completed");
      const row = await getCollection(db, key);
      expect(row?.status).toBe("completed");
      expect(row?.recordsCollected).toBe(30);
      expect(row?.contractsSelected).toBe(30);
      expect(row?.contractsListed).toBe(36);
    }
  });

  it("a part that failed for good: partial, naming the missing part; a late part run changes nothing", async () => {
    const key = { collectionDate: "2025-01-15", symbol: "PART", collectionType: "eod" };
    const { planId, runIds } = await planned(key, 3);
    await settleParts(db, key, {
      index: 0,
      runId: runIds[0]!,
      status: "completed",
      stored: 10,
      failed: 0,
      error: null,
    });
    await settleParts(db, key, {
      index: 2,
      runId: runIds[2]!,
      status: "completed",
      stored: 10,
      failed: 0,
      error: null,
    });
    const settled = await settleParts(db, key, {
      index: 1,
      planId,
      status: "failed",
      error: "its job failed after its retries",
    });
    expect(settled?.text).toBe("parts 2/3, missing #1");
    const row = await getCollection(db, key);
    expect(row?.status).toBe("partial");
    expect(row?.errorMessage).toContain("parts 2/3, missing #1");
    expect(row?.errorMessage).toContain("#1: its job failed after its retries");
    // The lost run of part 1 comes back: its row is no longer its own, nothing changes.
    await settleParts(db, key, {
      index: 1,
      runId: runIds[1]!,
      status: "completed",
      stored: 10,
      failed: 0,
      error: null,
    });
    expect((await listParts(db, key)).map((part) => part.status)).toEqual([
      "completed",
      "failed",
      "completed",
    ]);
    expect((await getCollection(db, key))?.status).toBe("partial");
  });
});
