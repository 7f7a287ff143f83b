import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPartsOfDate } from "../../src/store/repositories/collection-parts.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import { runProcess, summaryOf, waitFor } from "./fixture.ts";
import { FLEET_DATE, startFleet } from "./split-fleet.ts";
import type { Fleet } from "./split-fleet.ts";

/**
 * `kill -9` of one of three `chainvault worker` processes while it holds a part: its lock goes with its
 * connection, pg-boss hands its job to another worker once the heartbeat is 10 s old, and that worker stores
 * only the part's contracts not stored yet. The split collection completes: 0 rows lost, 0 duplicated, and
 * `status` shows it completed.
 */
describe("SIGKILL of a worker in the middle of a part", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    // Slow answers and four lines a gateway: a part takes long enough to be cut in the middle.
    fleet = await startFleet({ sim: { snapshotLatencyMs: 40 } });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it("completes on the other workers with every contract stored once", { timeout: 120_000 }, async () => {
    const victim = fleet.worker("g1");
    await victim.waitForStderr(/"msg":"taking parts"/, 30_000);
    const collect = fleet.collect("PLTR,SPY");
    await victim.waitForStderr(/"msg":"part started"/, 60_000);
    const sim = fleet.sims.get("g1")!;
    const before = sim.stats().messagesReceived;
    // Twenty contracts into its part (two messages each): well inside a part of up to 100.
    await waitFor("the victim's snapshots", () => sim.stats().messagesReceived - before >= 40, {
      process: victim,
    });
    victim.child.kill("SIGKILL");
    expect((await victim.exited).signal).toBe("SIGKILL");
    const held = (await listPartsOfDate(fleet.db, FLEET_DATE)).filter(
      (part) => part.status === "running" && part.gateway === "g1",
    );
    expect(held.length).toBe(1);

    fleet.worker("g2");
    fleet.worker("g3");
    const done = await collect.exited;
    expect(done.code, collect.stderr()).toBe(0);
    const summary = summaryOf(collect);
    expect(summary.symbols.map((entry) => [entry.symbol, entry.status])).toEqual([
      ["PLTR", "completed"],
      ["SPY", "completed"],
    ]);

    const quotes = await storedQuotes(fleet.db, { date: FLEET_DATE });
    const selected = summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
    expect(quotes.rows).toBe(selected);
    expect(quotes.distinctContracts).toBe(quotes.rows);
    const parts = await listPartsOfDate(fleet.db, FLEET_DATE);
    expect(parts.every((part) => part.status === "completed")).toBe(true);
    // The victim's part was finished elsewhere, on its second attempt.
    const retaken = parts.find(
      (part) => part.partIndex === held[0]!.partIndex && part.symbol === held[0]!.symbol,
    )!;
    expect(retaken.gateway).not.toBe("g1");
    expect(retaken.attempts).toBeGreaterThanOrEqual(2);
    for (const row of await statusRows(fleet.db, FLEET_DATE))
      expect(row.status, row.symbol).toBe("completed");

    const status = await runProcess(
      ["status", "--date", FLEET_DATE, "--json", "--config", "chainvault.yaml"],
      {
        env: fleet.env,
        cwd: fleet.dir,
      },
    );
    expect(status.stdout).toContain('"completed"');
    expect(status.stdout).toMatch(/parts (\d+)\/\1"/);
  });
});
