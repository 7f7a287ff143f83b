import { describe, expect, it } from "vitest";
import { alertChanges } from "../../src/alerts/rules.ts";
import type { AlertChange, AlertRules } from "../../src/alerts/rules.ts";

const rules: AlertRules = {
  coverageThreshold: 0.99,
  enabled: { slot_failed: true, coverage_low: true, quality_error: true, gateway_unreachable: true },
};
/** What a change adds (a change for every alert of a kind adds nothing). */
const added = (change: AlertChange | undefined): string[] => (change && "add" in change ? change.add : []);
const run = { runId: "r-1", date: "2026-03-09", symbol: "SPY", type: "eod" };

describe("alertChanges", () => {
  it("raises slot_failed for dead-lettered and missed slots, resolves on completed, ignores retried failures", () => {
    const dead = alertChanges(
      {
        kind: "slot_finished",
        ...run,
        slotKey: "eod:SPY:2026-03-09",
        outcome: "dead_lettered",
        error: "boom",
      },
      rules,
    );
    expect(dead).toMatchObject([
      { kind: "slot_failed", symbol: "SPY", add: ["eod"], remove: [], runId: "r-1" },
    ]);
    expect(dead[0]!.message).toMatch(/eod:SPY:2026-03-09 was dead-lettered.*boom/);
    const missed = alertChanges(
      { kind: "slot_finished", ...run, slotKey: "eod:SPY:2026-03-09", outcome: "missed" },
      rules,
    );
    expect(missed[0]!.message).toMatch(/missed/);
    const wide = alertChanges(
      {
        kind: "slot_finished",
        ...run,
        symbol: "*",
        type: "gap_check",
        slotKey: "gap_check:*:2026-03-09",
        outcome: "missed",
      },
      rules,
    );
    expect(wide).toMatchObject([{ kind: "slot_failed", symbol: "*", add: ["gap_check"] }]);
    expect(
      alertChanges({ kind: "slot_finished", ...run, slotKey: "k", outcome: "completed" }, rules),
    ).toMatchObject([{ kind: "slot_failed", add: [], remove: ["eod"] }]);
    for (const outcome of ["failed", "interrupted", "skipped"] as const)
      expect(alertChanges({ kind: "slot_finished", ...run, slotKey: "k", outcome }, rules)).toEqual([]);
  });

  it("compares coverage with the threshold and lets a completed collection recover its slot", () => {
    const finished = {
      kind: "collection_finished",
      ...run,
      listed: 100,
      selected: 50,
      durationSeconds: 3,
    } as const;
    const low = alertChanges({ ...finished, status: "partial", stored: 40, coverage: 0.8 }, rules);
    expect(low.map((change) => [change.kind, added(change), change.remove])).toEqual([
      ["slot_failed", [], ["eod"]],
      ["coverage_low", ["eod"], []],
    ]);
    expect(low[1]!.message).toMatch(/stored 40 of 50 selected contracts \(80\.0 %, below 99\.0 %\)/);
    const fine = alertChanges({ ...finished, status: "completed", stored: 50, coverage: 1 }, rules);
    expect(fine.map((change) => [change.kind, added(change), change.remove])).toEqual([
      ["slot_failed", [], ["eod"]],
      ["coverage_low", [], ["eod"]],
    ]);
    // Exactly at the threshold is fine; a failed or interrupted run is the retry's business.
    expect(
      added(
        alertChanges(
          { ...finished, status: "completed", stored: 99, selected: 100, coverage: 0.99 },
          rules,
        )[1],
      ),
    ).toEqual([]);
    expect(alertChanges({ ...finished, status: "failed", stored: 0, coverage: 0 }, rules)).toEqual([]);
    expect(
      alertChanges(
        { ...finished, status: "partial", stored: 10, coverage: 0.2, error: "interrupted by SIGTERM" },
        rules,
      ),
    ).toEqual([]);
  });

  it("raises quality_error for error rules only and folds coverage rules into coverage_low", () => {
    const changes = alertChanges(
      {
        kind: "quality_checked",
        score: 1,
        contracts: 100,
        ...run,
        issues: [
          { rule: "crossed_market", severity: "error", count: 3, message: "bid above ask" },
          { rule: "stale_quote", severity: "warning", count: 9, message: "same as yesterday" },
          { rule: "chain_coverage", severity: "error", count: 1, message: "80 % of the listed chain" },
        ],
      },
      rules,
    );
    expect(changes.map((change) => [change.kind, added(change)])).toEqual([
      ["quality_error", ["eod:crossed_market"]],
      ["coverage_low", ["eod"]],
    ]);
    expect(changes[0]).toMatchObject({ removePrefix: "eod:" });
    const clean = alertChanges(
      { kind: "quality_checked", score: 1, contracts: 100, ...run, issues: [] },
      rules,
    );
    expect(clean).toMatchObject([{ kind: "quality_error", add: [], removePrefix: "eod:" }]);
    // The check lists every rule it ran; a rule that found nothing (count 0) raises nothing.
    const ranClean = alertChanges(
      {
        kind: "quality_checked",
        score: 1,
        contracts: 100,
        ...run,
        issues: [
          { rule: "crossed_market", severity: "error", count: 0, message: "" },
          { rule: "coverage_low", severity: "error", count: 0, message: "" },
        ],
      },
      rules,
    );
    expect(ranClean.flatMap((change) => added(change))).toEqual([]);
  });

  it("leaves a failed run's coverage to slot_failed: it is retried, then dead-lettered", () => {
    const checked = (status: "failed" | "partial") =>
      alertChanges(
        {
          kind: "quality_checked",
          score: 0,
          contracts: 12,
          ...run,
          status,
          issues: [
            { rule: "coverage_low", severity: "error", count: 1, message: "0 of 12 selected contracts" },
          ],
        },
        rules,
      );
    expect(checked("failed").flatMap((change) => (added(change).length > 0 ? [change.kind] : []))).toEqual(
      [],
    );
    expect(checked("partial").flatMap((change) => (added(change).length > 0 ? [change.kind] : []))).toEqual([
      "coverage_low",
    ]);
  });

  it("maps the gateway to one alert per day and the gap check's lost slots onto slot_failed", () => {
    expect(alertChanges({ kind: "gateway_unreachable", ...run, error: "ECONNREFUSED" }, rules)).toMatchObject(
      [{ kind: "gateway_unreachable", symbol: "*", add: ["gateway"] }],
    );
    expect(alertChanges({ kind: "gateway_reachable" }, rules)).toMatchObject([
      { scope: "everywhere", kind: "gateway_unreachable", remove: "gateway" },
    ]);
    const gap = {
      kind: "gap_found",
      date: "2026-03-09",
      symbol: "SPY",
      type: "eod",
      detail: "eod:SPY is missing",
    } as const;
    expect(alertChanges({ ...gap, recoverable: false, status: "missing" }, rules)).toMatchObject([
      { kind: "slot_failed", add: ["eod"], runId: null },
    ]);
    expect(alertChanges({ ...gap, recoverable: true }, rules)).toEqual([]);
    expect(alertChanges({ ...gap, recoverable: false, status: "partial" }, rules)).toEqual([]);
  });

  it("raises nothing of a disabled kind but still resolves it", () => {
    const off: AlertRules = { ...rules, enabled: { ...rules.enabled, slot_failed: false } };
    expect(
      alertChanges({ kind: "slot_finished", ...run, slotKey: "k", outcome: "dead_lettered" }, off),
    ).toEqual([]);
    expect(
      alertChanges({ kind: "slot_finished", ...run, slotKey: "k", outcome: "completed" }, off),
    ).toMatchObject([{ kind: "slot_failed", remove: ["eod"] }]);
  });
});
