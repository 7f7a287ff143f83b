import { describe, expect, it } from "vitest";
import {
  checkCollection,
  collectionGapIssues,
  COLLECTION_RULES,
  expiryDayUncollectedIssues,
  expiryNotCollectedIssues,
  qualityScore,
} from "../../src/quality/index.ts";
import type { CollectionRule } from "../../src/quality/index.ts";
import { input, quote, settings } from "./fixtures.ts";

describe("checkCollection", () => {
  it("runs every enabled rule at its configured severity and counts each, clean ones at 0", () => {
    const crossed = quote({ bid: 2, ask: 1.9 });
    const wildIv = quote({ impliedVolatility: 9 });
    const result = checkCollection(
      input({ quotes: [crossed, wildIv, quote()] }),
      settings({ rules: { iv_out_of_range: { severity: "error" }, negative_greeks: { enabled: false } } }),
    );
    expect(result.issues.map((issue) => [issue.rule, issue.severity, issue.contractId])).toEqual([
      ["crossed_market", "error", crossed.contractId],
      ["iv_out_of_range", "error", wildIv.contractId],
    ]);
    expect(result.rules.map((rule) => rule.rule)).toEqual(
      COLLECTION_RULES.map((rule) => rule.name).filter((name) => name !== "negative_greeks"),
    );
    expect(result.rules.find((rule) => rule.rule === "crossed_market")).toMatchObject({
      severity: "error",
      count: 1,
    });
    expect(result.rules.find((rule) => rule.rule === "bid_without_ask")).toEqual({
      rule: "bid_without_ask",
      severity: "warning",
      count: 0,
      message: "",
    });
    expect(result.contracts).toBe(3);
    expect(result.score).toBeCloseTo(1 - 2 / 3, 12);
    expect(result.failed).toEqual([]);
  });

  it("finds nothing in a clean collection and scores it 1", () => {
    const result = checkCollection(
      input({ quotes: [quote(), quote({ right: "P", delta: -0.4 })] }),
      settings(),
    );
    expect(result.issues).toEqual([]);
    expect(result.score).toBe(1);
  });

  it("keeps running the other rules when one throws", () => {
    const broken: CollectionRule = {
      name: "crossed_market",
      check: () => {
        throw new Error("bug");
      },
    };
    const original = COLLECTION_RULES[0]!;
    const rules = COLLECTION_RULES as CollectionRule[];
    rules[0] = broken;
    try {
      const result = checkCollection(input({ quotes: [quote({ impliedVolatility: 9 })] }), settings());
      expect(result.failed.map((failure) => failure.rule)).toEqual(["crossed_market"]);
      expect(result.issues.map((issue) => issue.rule)).toEqual(["iv_out_of_range"]);
    } finally {
      rules[0] = original;
    }
  });
});

describe("qualityScore", () => {
  it("is 1 − weighted affected contracts / contracts, floored at 0", () => {
    expect(qualityScore(1000, [])).toBe(1);
    expect(qualityScore(1000, [{ severity: "error", affected: 50 }])).toBeCloseTo(0.95, 12);
    expect(
      qualityScore(
        1000,
        Array.from({ length: 40 }, () => ({ severity: "warning" as const })),
      ),
    ).toBeCloseTo(0.99, 12);
    expect(qualityScore(1000, [{ severity: "info", affected: 1000 }])).toBe(1);
    expect(qualityScore(10, [{ severity: "error", affected: 25 }])).toBe(0);
  });

  it("scores a run expected to store nothing 1, unless an issue weighs against it", () => {
    expect(qualityScore(0, [])).toBe(1);
    expect(qualityScore(0, [{ severity: "info" }])).toBe(1);
    expect(qualityScore(0, [{ severity: "warning" }])).toBe(0);
  });
});

describe("the daemon's bookkeeping rules", () => {
  it("report a missing or failed slot as collection_gap and a partial one as collection_gap_partial", () => {
    const gap = { key: "eod:SPY:2026-03-10", validUntil: "2026-03-11T04:00:00.000Z" };
    expect(collectionGapIssues(settings(), { ...gap, status: null })).toEqual([
      {
        rule: "collection_gap",
        severity: "error",
        contractId: null,
        message: "eod:SPY:2026-03-10 is missing and its window closed at 2026-03-11T04:00:00.000Z",
      },
    ]);
    expect(collectionGapIssues(settings(), { ...gap, status: "partial" })[0]).toMatchObject({
      rule: "collection_gap_partial",
      severity: "warning",
    });
    expect(
      collectionGapIssues(settings({ rules: { collection_gap: { enabled: false } } }), {
        ...gap,
        status: "failed",
      }),
    ).toEqual([]);
  });

  it("report expiry-day gaps as warnings and expired contracts without data as errors", () => {
    expect(expiryDayUncollectedIssues(settings(), "2026-03-20", [7, 8])).toEqual([
      {
        rule: "expiry_day_uncollected",
        severity: "warning",
        contractId: 7,
        message: "no quote stored on the expiry day 2026-03-20",
      },
      {
        rule: "expiry_day_uncollected",
        severity: "warning",
        contractId: 8,
        message: "no quote stored on the expiry day 2026-03-20",
      },
    ]);
    const lost = expiryNotCollectedIssues(
      settings({ rules: { expiry_not_collected: { severity: "warning" } } }),
      [{ contractId: 9, expiration: "2026-03-20" }],
    );
    expect(lost).toMatchObject([{ rule: "expiry_not_collected", severity: "warning", contractId: 9 }]);
  });
});
