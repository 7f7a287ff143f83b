import { afterEach, describe, expect, it } from "vitest";
import { silent, startHarness } from "../collect/harness.ts";
import type { Harness } from "../collect/harness.ts";
import { deadLetterCount, statusRows, storedQuotes } from "./checks.ts";
import { DATE, capturingLogger } from "./fixture.ts";

const START = { date: DATE, timeEt: "16:45" } as const;
/** PLTR 170 + SPY 454 contracts; an unanswered request gives up after 500 ms. */
const SMALL = {
  selection: { mode: "window", max_days_to_expiry: 2 },
  collect: { include_vix: false, snapshot_timeout_ms: 500, write_batch_rows: 25 },
};

describe("a gateway that stops answering (circuit breaker and bulkheads)", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("holds requests back while option data is silent and resumes when it answers: 100 % coverage, no dead letters", async () => {
    const { logger, messages } = capturingLogger();
    h = await startHarness({
      engine: "postgres",
      start: START,
      config: SMALL,
      pacer: { messagesPerSecond: 400, lines: 20 },
      client: { logger, maxOutageMs: 60_000 },
    });
    const harness = h;
    const silenceMs = 3000;
    let silencedAt = 0;
    const summary = await h.collect({ symbols: ["PLTR"], date: DATE }, (progress) => {
      if (silencedAt || progress.phase !== "snapshots" || progress.done < progress.total / 3) return;
      silencedAt = Date.now();
      harness.sim.faults.set({ silentOptionSymbols: ["*"] });
      // The length of the fault, as restart(ms) has one: the feed answers again after it.
      setTimeout(() => harness.sim.faults.set({ silentOptionSymbols: undefined }), silenceMs);
    });
    expect(silencedAt).toBeGreaterThan(0);
    expect(summary.symbols[0]).toMatchObject({ status: "completed", coverage: 1, contracts_selected: 170 });
    const stored = await storedQuotes(h.db);
    expect(stored.rows).toBe(170);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(await deadLetterCount(h.db, DATE)).toBe(0);
    expect(messages).toContain(
      "the gateway left 10 snapshots requests in a row unanswered: holding them back, probing with one at a time",
    );
    expect(messages).toContain("the gateway answers snapshots requests again");
  });

  it("one symbol's silent options do not starve the next symbol: PLTR gives up after the outage limit, SPY completes", async () => {
    h = await startHarness({
      engine: "postgres",
      start: START,
      config: SMALL,
      sim: { faults: { silentOptionSymbols: ["PLTR"] } },
      pacer: { messagesPerSecond: 400, lines: 20 },
      client: { logger: silent, maxOutageMs: 4000 },
    });
    const started = Date.now();
    const summary = await h.collect({ symbols: ["PLTR", "SPY"], date: DATE });
    const seconds = (Date.now() - started) / 1000;
    const [pltr, spy] = summary.symbols;
    expect(pltr).toMatchObject({ symbol: "PLTR", status: "failed", quotes_stored: 0 });
    expect(pltr!.error).toMatch(/contracts not collected: .*left snapshots requests unanswered/);
    expect(spy).toMatchObject({ symbol: "SPY", status: "completed", coverage: 1 });
    const stored = await storedQuotes(h.db);
    expect(stored.rows).toBe(spy!.contracts_selected);
    expect(stored.distinctContracts).toBe(stored.rows);
    const statuses = await statusRows(h.db, DATE);
    expect(statuses.map((row) => [row.symbol, row.status, row.records_collected])).toEqual([
      ["PLTR", "failed", 0],
      ["SPY", "completed", spy!.contracts_selected],
    ]);
    // PLTR cost about its outage limit, not a timeout per contract and attempt (170 × 3 × 0.5 s / 20 lines).
    expect(seconds).toBeLessThan(30);
    // The gateway stays usable for the next run: the client did not give up on it.
    expect(h.ib.unavailable).toBeUndefined();
  });
});
