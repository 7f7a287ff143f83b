import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listPartsOfDate } from "../../src/store/repositories/collection-parts.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import { summaryOf, waitFor } from "./fixture.ts";
import { FLEET_DATE, startFleet } from "./split-fleet.ts";
import type { Fleet } from "./split-fleet.ts";

/**
 * One of three gateways refuses connections (its entry points at a closed port): its worker takes no part, so
 * burns none of their retries, and reports gateway_unreachable naming it, which the alerter records. The parts
 * go to the other two workers and the split collection completes.
 */
describe("a split collection with one gateway refusing connections", () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ refusing: ["g3"], sim: { snapshotLatencyMs: 5 } });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it(
    "goes to the other workers; the refusing gateway is named in an alert",
    { timeout: 90_000 },
    async () => {
      const refused = fleet.worker("g3");
      fleet.worker("g1");
      fleet.worker("g2");
      const collect = fleet.collect("PLTR,SPY");
      await refused.waitForStderr(
        /"gateway":"g3".*"msg":"the gateway is unreachable: taking no parts/,
        30_000,
      );
      await waitFor(
        "the gateway_unreachable alert",
        async () => {
          const alerts = await fleet.db.query<{ message: string }>(
            "SELECT message FROM alerts WHERE kind = 'gateway_unreachable' AND state = 'firing'",
          );
          return alerts.rows.some((row) => row.message.includes('gateway "g3"'));
        },
        { process: refused },
      );
      const done = await collect.exited;
      expect(done.code, collect.stderr()).toBe(0);
      const summary = summaryOf(collect);
      expect(summary.symbols.map((entry) => entry.status)).toEqual(["completed", "completed"]);

      const parts = await listPartsOfDate(fleet.db, FLEET_DATE);
      expect(parts.length).toBeGreaterThan(2);
      expect(parts.every((part) => part.status === "completed")).toBe(true);
      expect(new Set(parts.map((part) => part.gateway))).not.toContain("g3");
      // Taken once each: the refusing worker took none and handed none back.
      expect(parts.every((part) => part.attempts === 1)).toBe(true);
      expect(refused.stdout()).toBe("");
      const quotes = await storedQuotes(fleet.db, { date: FLEET_DATE });
      expect(quotes.distinctContracts).toBe(quotes.rows);
      expect(quotes.rows).toBe(summary.symbols.reduce((sum, entry) => sum + entry.contracts_selected, 0));
      for (const row of await statusRows(fleet.db, FLEET_DATE))
        expect(row.status, row.symbol).toBe("completed");
    },
  );
});
