import { describe, expect, it } from "vitest";
import { SLOT_OUTCOMES } from "../../src/core/events.ts";
import { coverageOf, deriveOutcome } from "../../src/status/outcome.ts";
import type { SlotFacts } from "../../src/status/outcome.ts";

// An EOD slot: due Monday 16:45 ET (20:45Z), runnable until Tuesday's open (13:30Z).
const AT = new Date("2026-03-09T20:45:00Z");
const VALID_UNTIL = new Date("2026-03-10T13:30:00Z");
const INSTALLED = new Date("2026-03-02T12:00:00Z");
const DURING = new Date("2026-03-09T21:00:00Z");
const AFTER = new Date("2026-03-10T15:00:00Z");
const RUN = "11111111-1111-4111-8111-111111111111";
const EARLIER_RUN = "22222222-2222-4222-8222-222222222222";

function facts(overrides: Partial<SlotFacts>): SlotFacts {
  return {
    planned: { at: AT, validUntil: VALID_UNTIL },
    held: false,
    installedAt: INSTALLED,
    now: AFTER,
    ...overrides,
  };
}

const row = (status: string | null, extra: Partial<NonNullable<SlotFacts["row"]>> = {}) => ({
  status,
  startedAt: new Date("2026-03-09T20:45:01Z"),
  errorMessage: null,
  runId: RUN,
  ...extra,
});

describe("the outcome of a slot", () => {
  const seen = new Set<string>();
  const check = (input: SlotFacts, outcome: string, error: string | RegExp | null = null) => {
    const derived = deriveOutcome(input);
    seen.add(derived.outcome);
    expect(derived.outcome).toBe(outcome);
    if (error instanceof RegExp) expect(derived.error).toMatch(error);
    else expect(derived.error).toBe(error);
    return derived;
  };

  it("is completed when the row says so, even after an earlier failure was dead-lettered", () => {
    const derived = check(
      facts({
        row: row("completed"),
        deadLetter: {
          errorMessage: "retries exhausted",
          createdAt: new Date("2026-03-09T22:00:00Z"),
          runId: EARLIER_RUN,
        },
      }),
      "completed",
    );
    expect(derived.runId).toBe(RUN);
  });

  it("is partial or failed as the row records, with its error", () => {
    check(
      facts({ row: row("partial", { errorMessage: "12 contracts failed" }) }),
      "partial",
      "12 contracts failed",
    );
    check(
      facts({ row: row("failed", { errorMessage: "no PLTR option contracts listed" }) }),
      "failed",
      /no PLTR/,
    );
  });

  it("is dead_lettered once the daemon gave up, with the dead letter's run, unless a run started since", () => {
    const deadLetter = {
      errorMessage: "retries exhausted: gateway unreachable",
      createdAt: new Date("2026-03-09T23:00:00Z"),
      runId: EARLIER_RUN,
    };
    const derived = check(facts({ row: row("failed"), deadLetter }), "dead_lettered", /retries exhausted/);
    expect(derived.runId).toBe(EARLIER_RUN);
    // No status row at all: the collector never got as far as starting one.
    check(facts({ deadLetter }), "dead_lettered", /gateway unreachable/);
    // A manual run after the dead letter: its own outcome counts.
    check(
      facts({ row: row("partial", { startedAt: new Date("2026-03-10T01:00:00Z") }), deadLetter }),
      "partial",
    );
  });

  it("is running while a live run holds the key, or a run or retry is under way inside the window", () => {
    check(facts({ row: row("running"), held: true }), "running");
    // Held by a live run even past its window (a long run): still running, not failed.
    check(facts({ row: row("running"), held: true, now: AFTER }), "running");
    check(facts({ row: row("running"), now: DURING }), "running");
    check(
      facts({
        row: row("failed", { errorMessage: "first attempt failed" }),
        lastAttempt: { outcome: null, detail: null, finishedAt: null, runId: EARLIER_RUN },
        now: DURING,
      }),
      "running",
    );
  });

  it("is failed when a run stopped without recording its outcome and its window is over", () => {
    check(facts({ row: row("running") }), "failed", /stopped without recording an outcome/);
  });

  it("is failed when the daemon's attempt failed before a status row existed", () => {
    check(
      facts({
        lastAttempt: {
          outcome: "failed",
          detail: "cannot connect to the gateway",
          finishedAt: DURING,
          runId: RUN,
        },
      }),
      "failed",
      "cannot connect to the gateway",
    );
  });

  it("is missed when recorded missed, or when nothing ran by the end of its window", () => {
    check(
      facts({ row: row("missed", { errorMessage: "not run by 2026-03-10T13:30:00.000Z" }) }),
      "missed",
      /not run by/,
    );
    check(facts({}), "missed", /no run was recorded/);
  });

  it("is pending before it is due and while it waits inside its window", () => {
    check(facts({ now: new Date("2026-03-09T12:00:00Z") }), "pending");
    check(facts({ now: DURING }), "pending");
  });

  it("is skipped when its window had closed before chainvault first started here", () => {
    const installedAt = new Date("2026-03-10T14:00:00Z"); // after Tuesday's open: Monday's EOD was gone
    check(facts({ installedAt }), "skipped");
    check(facts({ installedAt, row: row("missed", { errorMessage: "not run" }) }), "skipped");
    // Never started on this database: nothing whose window has passed was expected, the rest still is.
    check(facts({ installedAt: null }), "skipped");
    check(facts({ installedAt: null, now: DURING }), "pending");
    // A day long gone, collected by hand: what it came to, and a loss noted rather than counted.
    check(facts({ installedAt, row: row("completed") }), "completed");
    check(
      facts({ installedAt, row: row("partial", { errorMessage: "3 contracts failed" }) }),
      "partial",
      "3 contracts failed",
    );
    const lost = deriveOutcome(
      facts({ installedAt, row: row("failed", { errorMessage: "no SPY option contracts" }) }),
    );
    expect(lost).toEqual({ outcome: "skipped", error: "no SPY option contracts", runId: RUN });
    const letter = { errorMessage: "retries exhausted", createdAt: AFTER, runId: RUN };
    expect(deriveOutcome(facts({ installedAt, deadLetter: letter })).outcome).toBe("skipped");
  });

  it("is expected of chainvault when its window was still open at the first start", () => {
    // Started Tuesday 04:00 ET: Monday's EOD could still be taken until the open.
    const installedAt = new Date("2026-03-10T08:00:00Z");
    check(facts({ installedAt }), "missed", /no run was recorded/);
    check(facts({ installedAt, now: new Date("2026-03-10T09:00:00Z") }), "pending");
    check(
      facts({ installedAt, row: row("failed", { errorMessage: "no SPY option contracts" }) }),
      "failed",
      "no SPY option contracts",
    );
  });

  it("derives a manual run from its row alone", () => {
    check({ row: row("completed"), held: false, installedAt: INSTALLED, now: AFTER }, "completed");
    check({ row: row("running"), held: true, installedAt: INSTALLED, now: AFTER }, "running");
    check({ row: row("running"), held: false, installedAt: INSTALLED, now: AFTER }, "failed", /stopped/);
  });

  it("covers every outcome status can report", () => {
    expect([...seen].sort()).toEqual([...SLOT_OUTCOMES].sort());
  });
});

describe("coverage", () => {
  it("is stored over selected, and null when nothing was selected", () => {
    expect(coverageOf(80, 100)).toBe(0.8);
    expect(coverageOf(0, 0)).toBeNull();
    expect(coverageOf(null, 100)).toBeNull();
  });
});
