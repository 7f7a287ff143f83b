import { afterEach, describe, expect, it } from "vitest";
import { runCollection } from "../../src/collect/run.ts";
import type { CollectionProgress } from "../../src/collect/summary.ts";
import { GatewayUnavailableError, IbClient } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { silent, startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { deadLetterCount, statusRows, storedQuotes } from "./checks.ts";
import type { StoredQuotes } from "./checks.ts";
import { DATE, nextEvent } from "./fixture.ts";

const START = { date: DATE, timeEt: "16:45" } as const;
/** PLTR 170 + SPY 454 contracts; rows committed every 25 so a restart finds some stored. */
const SMALL = {
  selection: { mode: "window", max_days_to_expiry: 2 },
  collect: { include_vix: false, write_batch_rows: 25 },
};

/** Calls `action` once, when PLTR's snapshots are a third done. */
function atAThirdOfPltr(action: () => Promise<void>): {
  onProgress: (progress: CollectionProgress) => void;
  fired: () => Promise<void> | undefined;
} {
  let fired: Promise<void> | undefined;
  return {
    onProgress: (progress) => {
      if (fired || progress.symbol !== "PLTR" || progress.phase !== "snapshots") return;
      if (progress.total === 0 || progress.done < progress.total / 3) return;
      fired = action();
    },
    fired: () => fired,
  };
}

describe("gateway outages", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("waits out a gateway restart mid-run: 100 % coverage, rows = contracts, no duplicates, status completed", async () => {
    h = await startHarness({
      engine: "postgres",
      start: START,
      config: SMALL,
      pacer: { messagesPerSecond: 400, lines: 30 },
      client: { reconnectInitialDelayMs: 200 },
    });
    const harness = h;
    const restartMs = 3000;
    let restartedAt = 0;
    let before: StoredQuotes | undefined;
    let disconnects = 0;
    harness.ib.on("disconnected", () => disconnects++);
    const reconnected = nextEvent(harness.ib, "reconnected");
    const trigger = atAThirdOfPltr(async () => {
      restartedAt = Date.now();
      harness.sim.faults.restart(restartMs);
      before = await storedQuotes(harness.db);
    });
    const started = Date.now();
    const summary = await h.collect({ symbols: ["PLTR", "SPY"], date: DATE }, trigger.onProgress);
    const runSeconds = (Date.now() - started) / 1000;
    await trigger.fired();
    const recoveredAt = await reconnected;

    expect(restartedAt).toBeGreaterThan(0);
    expect(disconnects).toBe(1);
    // Reconnected once the gateway took connections again, within one capped backoff step.
    expect(recoveredAt - restartedAt).toBeGreaterThanOrEqual(restartMs - 100);
    expect(recoveredAt - restartedAt).toBeLessThan(restartMs + 10_000);
    expect(summary.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
      ["PLTR", "completed", 1],
      ["SPY", "completed", 1],
    ]);
    const selected = summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
    const after = await storedQuotes(h.db);
    expect(before!.rows).toBeGreaterThan(0);
    expect(before!.rows).toBeLessThan(selected);
    expect(after.rows).toBe(selected);
    expect(after.distinctContracts).toBe(after.rows);
    for (const id of before!.contractIds) expect(after.contractIds.has(id)).toBe(true);
    expect(await statusRows(h.db, DATE)).toEqual([
      { symbol: "PLTR", status: "completed", records_collected: 170, error_message: null },
      { symbol: "SPY", status: "completed", records_collected: selected - 170, error_message: null },
    ]);
    expect(await deadLetterCount(h.db, DATE)).toBe(0);
    console.log(
      `gateway restart of ${restartMs / 1000} s: reconnected after ${((recoveredAt - restartedAt) / 1000).toFixed(1)} s, ` +
        `run ${runSeconds.toFixed(1)} s, ${after.rows}/${selected} rows`,
    );
  });

  it("ends a run whose gateway stays away past the outage limit: partial with what it stored, honest status, no hang; a rerun completes it", async () => {
    h = await startHarness({
      engine: "postgres",
      start: START,
      config: SMALL,
      pacer: { messagesPerSecond: 400, lines: 30 },
      client: { reconnectInitialDelayMs: 200, maxOutageMs: 2000 },
    });
    const harness = h;
    let droppedAt = 0;
    const trigger = atAThirdOfPltr(() => {
      droppedAt = Date.now();
      // Refuses connections far longer than the run waits.
      harness.sim.faults.restart(120_000);
      return Promise.resolve();
    });
    const gaveUp = nextEvent(harness.ib, "unavailable");
    const summary = await h.collect({ symbols: ["PLTR", "SPY"], date: DATE }, trigger.onProgress);
    const endedAt = Date.now();
    expect(droppedAt).toBeGreaterThan(0);
    expect((await gaveUp) - droppedAt).toBeGreaterThanOrEqual(1900);
    // The run ended soon after the limit instead of waiting for the gateway.
    expect(endedAt - droppedAt).toBeLessThan(10_000);
    expect(h.ib.unavailable).toBeInstanceOf(GatewayUnavailableError);

    const [pltr, spy] = summary.symbols;
    const stored = await storedQuotes(h.db);
    expect(pltr).toMatchObject({ symbol: "PLTR", status: "partial", contracts_selected: 170 });
    expect(pltr!.quotes_stored).toBe(stored.rows);
    expect(stored.rows).toBeGreaterThan(0);
    expect(stored.rows).toBeLessThan(170);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(spy).toMatchObject({ symbol: "SPY", status: "failed", quotes_stored: 0 });
    expect(spy!.error).toMatch(/unreachable/);
    const statuses = await statusRows(h.db, DATE);
    expect(statuses.map((row) => [row.symbol, row.status, row.records_collected])).toEqual([
      ["PLTR", "partial", stored.rows],
      ["SPY", "failed", 0],
    ]);
    expect(statuses[0]!.error_message).toMatch(
      new RegExp(`^${170 - stored.rows} contracts not collected: .*unreachable.*; a rerun resumes them$`),
    );
    // Contracts the gateway never saw are not dead letters: the rerun asks for them.
    expect(await deadLetterCount(h.db, DATE)).toBe(0);

    // The gateway is back: a new run (a new connection) resumes and completes without duplicates.
    h.sim.faults.restart(0);
    const ib = await IbClient.connect({
      host: h.sim.host,
      port: h.sim.port,
      clientId: 9,
      maxMessagesPerSecond: 400,
      maxMarketDataLines: 30,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      logger: silent,
    });
    try {
      const rerun = await runCollection(
        { symbols: ["PLTR", "SPY"], date: DATE, type: "eod" },
        { db: h.db, ib, config: h.config, logger: silent },
      );
      expect(rerun.symbols.map((entry) => [entry.symbol, entry.status, entry.coverage])).toEqual([
        ["PLTR", "completed", 1],
        ["SPY", "completed", 1],
      ]);
      const after = await storedQuotes(h.db);
      const selected = rerun.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0);
      expect(after.rows).toBe(selected);
      expect(after.distinctContracts).toBe(after.rows);
      for (const id of stored.contractIds) expect(after.contractIds.has(id)).toBe(true);
      expect((await statusRows(h.db, DATE)).map((row) => row.status)).toEqual(["completed", "completed"]);
    } finally {
      await ib.close();
    }
  });

  it("stops waiting at the deadline (the daemon's slot window) even when the outage limit is longer", async () => {
    const sim = await startSimulator({ port: 0, start: START });
    const ib = await IbClient.connect({
      host: sim.host,
      port: sim.port,
      clientId: 5,
      maxMessagesPerSecond: 100,
      maxMarketDataLines: 10,
      clockWarnThresholdMs: Number.POSITIVE_INFINITY,
      reconnectInitialDelayMs: 200,
      maxOutageMs: 300_000,
      deadline: new Date(Date.now() + 3000),
      logger: silent,
    });
    try {
      const dropped = nextEvent(ib, "disconnected");
      sim.faults.restart(60_000);
      const droppedAt = await dropped;
      const outcome = await ib.currentTime().then(
        () => "answered",
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(GatewayUnavailableError);
      expect((outcome as Error).message).toMatch(/deadline has passed/);
      expect(Date.now() - droppedAt).toBeLessThan(5000);
      // Later requests fail at once instead of waiting.
      const later = Date.now();
      await expect(ib.currentTime()).rejects.toBeInstanceOf(GatewayUnavailableError);
      expect(Date.now() - later).toBeLessThan(100);
    } finally {
      await ib.close();
      await sim.close();
    }
  });
});
