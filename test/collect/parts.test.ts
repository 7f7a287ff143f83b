import { describe, expect, it } from "vitest";
import type { IsoDate } from "../../src/calendar/index.ts";
import { aggregateParts, contractsPerPart, splitIntoParts } from "../../src/collect/parts.ts";
import type { PartStanding } from "../../src/collect/parts.ts";
import { partSize } from "../../src/collect/split.ts";
import { configSchema } from "../../src/config/schema.ts";
import type { ChainContract } from "../../src/collect/selection.ts";

let nextConId = 1;
/** Both sides of each strike of one expiry. */
function expiry(date: string, strikes: number): ChainContract[] {
  return Array.from({ length: strikes }, (_, i) => [
    { conId: nextConId++, expiry: date as IsoDate, strike: 100 + i, right: "C" as const },
    { conId: nextConId++, expiry: date as IsoDate, strike: 100 + i, right: "P" as const },
  ]).flat();
}

const chain = [
  ...expiry("2026-11-20", 10), // 20 contracts
  ...expiry("2026-11-27", 8), // 16
  ...expiry("2026-12-18", 70), // 140: more than a part
  ...expiry("2027-01-15", 5), // 10
];

describe("a slot cut into parts", () => {
  it("sizes a part to a minute of one gateway: 45 msg/s ÷ 2 messages per contract × 60 s", () => {
    expect(contractsPerPart(45)).toBe(1350);
    expect(contractsPerPart(22.5)).toBe(675);
    expect(contractsPerPart(45, 30)).toBe(675);
    expect(contractsPerPart(0.01)).toBe(2);
  });

  it("holds every contract exactly once, no part above the size, keys from the slot", () => {
    const parts = splitIntoParts("eod:SPY:2026-11-20", chain, 50);
    const conIds = parts.flatMap((part) => part.contracts.map((c) => c.conId));
    expect(conIds).toHaveLength(chain.length);
    expect(new Set(conIds).size).toBe(chain.length);
    for (const part of parts) expect(part.contracts.length).toBeLessThanOrEqual(50);
    expect(parts.map((p) => p.key)).toEqual(parts.map((_, i) => `eod:SPY:2026-11-20#${i}`));
  });

  it("puts neighbouring expiries together while they fit, cuts a large one at strike boundaries, keeps a strike's call and put together", () => {
    const parts = splitIntoParts("eod:SPY:2026-11-20", chain, 50);
    const shape = parts.map(
      (part) => [...new Set(part.contracts.map((c) => c.expiry))].join("+") + `:${part.contracts.length}`,
    );
    expect(shape).toEqual([
      "2026-11-20+2026-11-27:36",
      "2026-12-18:50",
      "2026-12-18:50",
      "2026-12-18+2027-01-15:50",
    ]);
    for (const part of parts) {
      const sides = new Map<string, number>();
      for (const c of part.contracts)
        sides.set(`${c.expiry}/${c.strike}`, (sides.get(`${c.expiry}/${c.strike}`) ?? 0) + 1);
      expect([...sides.values()].every((n) => n === 2)).toBe(true);
    }
  });

  it("gives the same parts whatever order discovery listed the contracts in", () => {
    const shuffled = [...chain].reverse();
    expect(splitIntoParts("k", shuffled, 50)).toEqual(splitIntoParts("k", chain, 50));
  });

  it("an empty slot has no parts; a part smaller than one strike is refused", () => {
    expect(splitIntoParts("k", [], 50)).toEqual([]);
    expect(() => splitIntoParts("k", chain, 1)).toThrow(RangeError);
  });
});

describe("a split collection's outcome from its parts", () => {
  const part = (index: number, status: PartStanding["status"], stored = 10): PartStanding => ({
    index,
    status,
    contractCount: 10,
    storedCount: stored,
  });

  it("is running while any part is queued or running", () => {
    expect(aggregateParts([part(0, "completed"), part(1, "queued", 0)]).state).toBe("running");
    expect(aggregateParts([part(0, "running", 3), part(1, "failed", 0)]).state).toBe("running");
  });

  it("is completed when every part is, with the stored and selected totals", () => {
    const all = aggregateParts([part(1, "completed"), part(0, "completed")]);
    expect(all).toMatchObject({
      state: "completed",
      total: 2,
      completed: 2,
      missing: [],
      stored: 20,
      selected: 20,
    });
    expect(all.text).toBe("parts 2/2");
  });

  it("is partial with the parts not completed listed, or failed when nothing was stored", () => {
    const parts = Array.from({ length: 9 }, (_, i) => part(i, "completed"));
    parts[3] = part(3, "failed", 0);
    parts[8] = part(8, "partial", 7);
    const partial = aggregateParts(parts);
    expect(partial.state).toBe("partial");
    expect(partial.missing).toEqual([3, 8]);
    expect(partial.text).toBe("parts 7/9, missing #3 #8");
    expect(aggregateParts([part(0, "failed", 0), part(1, "failed", 0)]).state).toBe("failed");
  });
});

describe("a part's size from the configuration", () => {
  it("is collect.part_seconds at the slowest gateway's share of its login's rate", () => {
    const config = configSchema.parse({
      gateways: [
        {
          name: "a",
          host: "127.0.0.1",
          port: 4001,
          client_id: 1,
          max_messages_per_second: 50,
          max_market_data_lines: 100,
        },
        {
          name: "b",
          host: "127.0.0.1",
          port: 4002,
          client_id: 2,
          max_messages_per_second: 40,
          max_market_data_lines: 100,
        },
      ],
      collect: { part_seconds: 10 },
    });
    expect(partSize(config)).toBe(200);
    expect(partSize(configSchema.parse({}))).toBe(
      contractsPerPart(configSchema.parse({}).ib.max_messages_per_second, 60),
    );
  });
});
