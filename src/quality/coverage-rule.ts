import { percent } from "./format.ts";
import type { CollectionRule } from "./types.ts";

/**
 * Coverage against the whole listed chain: the contracts stored over those the selection chose from every
 * listed expiry, below quality.min_coverage. Expiries discovery could not list count against it too (their
 * contracts are missing from the listing itself), and so does a selection that chose none of a listed chain.
 * A chain with nothing listed is the status's business (a failed run), not a coverage figure.
 */
export const coverageLow: CollectionRule = {
  name: "coverage_low",
  check(input, settings) {
    if (input.listed === 0 && input.unlistedExpiries.length === 0) return [];
    const stored = input.quotes.length;
    const coverage = input.selected > 0 ? Math.min(1, stored / input.selected) : 0;
    const unlisted = input.unlistedExpiries.length;
    if (coverage >= settings.min_coverage && unlisted === 0) return [];
    const parts = [
      `${stored} of ${input.selected} selected contracts stored (${percent(coverage)}, minimum ${percent(settings.min_coverage)})`,
      ...(unlisted > 0 ? [`expiries not listed: ${input.unlistedExpiries.join(", ")}`] : []),
    ];
    return [
      {
        contractId: null,
        message: `${input.symbol} ${input.type}: ${parts.join("; ")}`,
        details: {
          stored,
          selected: input.selected,
          listed: input.listed,
          coverage,
          unlistedExpiries: input.unlistedExpiries,
        },
        affected: Math.max(0, input.selected - stored),
      },
    ];
  },
};
