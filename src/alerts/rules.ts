import type { ChainvaultEvent } from "../core/events.ts";

/**
 * The alerts chainvault raises. One alert per (kind, date, symbol):
 *
 * - slot_failed: a slot dead-lettered or missed, or a collection the morning gap check found missing or failed
 *   after its window closed. Several slots of one symbol and day (12 failing at once when the gateway is gone
 *   all evening) are one alert; run-wide slots (discovery, expiry processing, gap check: symbol `*`) share one
 *   alert per day under symbol `*`. The gap check's finding joins the same alert, so a lost night is reported
 *   once whether the daemon saw it fail or only noticed the next morning.
 * - coverage_low: a completed or partial collection stored less than coverage_threshold of the contracts it
 *   selected; a quality rule about coverage joins the same alert rather than raising a second one.
 * - quality_error: a data-quality rule of severity error tripped for a collection.
 * - gateway_unreachable: the gateway could not be reached when a collection was due; one alert per day
 *   (symbol `*`: there is one gateway), resolved by the next collection that reaches it.
 *
 * Each alert resolves when everything under it recovered: a later completed run of each failed slot type,
 * a collection at or above the threshold, a quality check without the rule's errors, a reachable gateway.
 */
export const ALERT_KINDS = ["slot_failed", "coverage_low", "quality_error", "gateway_unreachable"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRules {
  coverageThreshold: number;
  enabled: Readonly<Record<AlertKind, boolean>>;
}

/** What one event says about one alert key (see AlertEdit in the repository), or about every alert with an item. */
export type AlertChange =
  | {
      scope: "key";
      kind: AlertKind;
      date: string;
      symbol: string;
      add: string[];
      remove: string[];
      removePrefix?: string;
      type: string | null;
      runId: string | null;
      message: string;
    }
  | { scope: "everywhere"; kind: AlertKind; remove: string; type: null; runId: null; message: string };

/** The symbol of alerts about no single underlying. */
export const ANY_SYMBOL = "*";
const GATEWAY_ITEM = "gateway";

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/** Rules about coverage are reported by coverage_low, so one thin collection is one alert. */
function isCoverageRule(rule: string): boolean {
  return rule.includes("coverage");
}

/** The alert changes an event implies: pure, so every mapping is checked without a database. */
export function alertChanges(event: ChainvaultEvent, rules: AlertRules): AlertChange[] {
  // A disabled kind raises nothing, but what it raised before it was disabled still resolves.
  return changesOf(event, rules).flatMap((change) => {
    if (rules.enabled[change.kind] || change.scope === "everywhere") return [change];
    return change.remove.length > 0 || change.removePrefix !== undefined ? [{ ...change, add: [] }] : [];
  });
}

function changesOf(event: ChainvaultEvent, rules: AlertRules): AlertChange[] {
  switch (event.kind) {
    case "slot_finished": {
      const base = { scope: "key", kind: "slot_failed", date: event.date, symbol: event.symbol } as const;
      if (event.outcome === "dead_lettered" || event.outcome === "missed") {
        const why = event.error ? `: ${event.error}` : "";
        const what =
          event.outcome === "missed"
            ? "was missed (its window closed before it ran); its snapshot cannot be taken afterwards"
            : "was dead-lettered: its retries ran out";
        return [
          {
            ...base,
            add: [event.type],
            remove: [],
            type: event.type,
            runId: event.runId,
            message: `slot ${event.slotKey} ${what}${why}`,
          },
        ];
      }
      if (event.outcome === "completed" || event.outcome === "partial") {
        return [
          {
            ...base,
            add: [],
            remove: [event.type],
            type: event.type,
            runId: event.runId,
            message: `slot ${event.slotKey} has now run (${event.outcome})`,
          },
        ];
      }
      // failed and interrupted slots are retried: the dead letter after the last retry is the alert.
      return [];
    }
    case "collection_finished": {
      if (event.status !== "completed" && event.status !== "partial") return [];
      // A run cut short by a stop is handed back and resumes; its coverage says nothing yet.
      if (event.error?.startsWith("interrupted")) return [];
      const key = {
        scope: "key",
        date: event.date,
        symbol: event.symbol,
        type: event.type,
        runId: event.runId,
      } as const;
      const label = `${event.type}:${event.symbol}:${event.date}`;
      const recovered: AlertChange = {
        ...key,
        kind: "slot_failed",
        add: [],
        remove: [event.type],
        message: `collection ${label} has now run (${event.status}, ${event.stored} quotes stored)`,
      };
      if (event.coverage < rules.coverageThreshold) {
        return [
          recovered,
          {
            ...key,
            kind: "coverage_low",
            add: [event.type],
            remove: [],
            message:
              `collection ${label} stored ${event.stored} of ${event.selected} selected contracts ` +
              `(${percent(event.coverage)}, below ${percent(rules.coverageThreshold)}); status ${event.status}` +
              (event.error ? `: ${event.error}` : ""),
          },
        ];
      }
      return [
        recovered,
        {
          ...key,
          kind: "coverage_low",
          add: [],
          remove: [event.type],
          message: `collection ${label} now covers ${percent(event.coverage)} (${event.stored} of ${event.selected})`,
        },
      ];
    }
    case "quality_checked": {
      // The check lists every rule it ran, with count 0 for those that found nothing.
      const errors = event.issues.filter((issue) => issue.severity === "error" && issue.count > 0);
      const quality = errors.filter((issue) => !isCoverageRule(issue.rule));
      const coverage = errors.filter((issue) => isCoverageRule(issue.rule));
      const label = `${event.type}:${event.symbol}:${event.date}`;
      const key = {
        scope: "key",
        date: event.date,
        symbol: event.symbol,
        type: event.type,
        runId: event.runId,
      } as const;
      const changes: AlertChange[] = [
        {
          ...key,
          kind: "quality_error",
          add: quality.map((issue) => `${event.type}:${issue.rule}`),
          remove: [],
          // The check replaces what an earlier check of the same collection found.
          removePrefix: `${event.type}:`,
          message:
            quality.length > 0
              ? `quality check of ${label}: ` +
                quality.map((issue) => `${issue.rule} (${issue.count}): ${issue.message}`).join("; ")
              : `quality check of ${label} found no errors now`,
        },
      ];
      // A failed run's coverage is its slot's failure: retried, and dead-lettered (slot_failed) if it stays so.
      if (coverage.length > 0 && event.status !== "failed") {
        changes.push({
          ...key,
          kind: "coverage_low",
          add: [event.type],
          remove: [],
          message: `quality check of ${label}: ` + coverage.map((issue) => issue.message).join("; "),
        });
      }
      return changes;
    }
    case "gap_found": {
      // A partial day kept most of its quotes: coverage_low is its alert, not a lost slot.
      if (event.recoverable || event.status === "partial") return [];
      return [
        {
          scope: "key",
          kind: "slot_failed",
          date: event.date,
          symbol: event.symbol,
          add: [event.type],
          remove: [],
          type: event.type,
          runId: null,
          message: `gap check: ${event.detail}`,
        },
      ];
    }
    case "gateway_unreachable":
      return [
        {
          scope: "key",
          kind: "gateway_unreachable",
          date: event.date,
          symbol: ANY_SYMBOL,
          add: [GATEWAY_ITEM],
          remove: [],
          type: event.type,
          runId: event.runId,
          message:
            event.gateway === undefined
              ? `the gateway could not be reached when ${event.type}:${event.symbol}:${event.date} was due: ${event.error}`
              : `gateway "${event.gateway}" could not be reached; its worker takes no parts until it answers: ${event.error}`,
        },
      ];
    case "gateway_reachable":
      return [
        {
          scope: "everywhere",
          kind: "gateway_unreachable",
          remove: GATEWAY_ITEM,
          type: null,
          runId: null,
          message: "the gateway answers again",
        },
      ];
    default:
      return [];
  }
}
