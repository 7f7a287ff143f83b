import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVault } from "../../src/api/vault.ts";
import type { Vault } from "../../src/api/vault.ts";
import { collectedServer, DATE } from "./collected-server.ts";
import type { CollectedServer } from "./collected-server.ts";

describe("the library API (openVault) on a server database filled by a real collection", () => {
  let fixture: CollectedServer;
  let vault: Vault;
  let stored: CollectedServer["stored"];

  beforeAll(async () => {
    fixture = await collectedServer();
    stored = fixture.stored;
    vault = await openVault({ url: fixture.url });
  }, 180_000);

  afterAll(async () => {
    await vault?.close();
    await fixture?.close();
  });

  it("returns the chain at the snapshot as rows and as strikes with call and put side by side", async () => {
    const chain = await vault.chain({ symbol: "pltr", date: DATE, type: "eod" });
    expect(vault.engine).toBe("postgres");
    expect([chain.symbol, chain.date, chain.type]).toEqual(["PLTR", DATE, "eod"]);
    expect(chain.rows).toHaveLength(stored.quotes);
    expect(chain.expiries.map((expiry) => expiry.expiry)).toEqual(stored.expiries);
    const pairs = chain.expiries.flatMap((expiry) =>
      expiry.strikes.map((pair) => ({ expiry: expiry.expiry, ...pair })),
    );
    expect(pairs.length * 2).toBe(stored.quotes); // the simulator lists every strike with both rights
    for (const pair of pairs) {
      expect([pair.call?.right, pair.put?.right]).toEqual(["C", "P"]);
      expect([pair.call?.strike, pair.put?.strike, pair.call?.expiry]).toEqual([
        pair.strike,
        pair.strike,
        pair.expiry,
      ]);
    }
    const row = chain.rows[0]!;
    expect(typeof row.strike).toBe("number");
    expect(row.time).toBeInstanceOf(Date);
    expect(row.bid).not.toBeNull();
    expect(row.ask!).toBeGreaterThanOrEqual(row.bid!);
    expect(row.contractSymbol).toMatch(/^PLTR {2}\d{6}[CP]\d{8}$/);
    expect(chain.underlying?.type).toBe("eod");
    expect(chain.underlying?.last ?? chain.underlying?.close).toBeGreaterThan(0);
    expect(chain.time!.getTime()).toBe(Math.max(...chain.rows.map((quote) => quote.time.getTime())));
  });

  it("lists expiries, a contract's history, the underlying and the collections", async () => {
    const expiries = await vault.expiries({ symbol: "PLTR", date: DATE });
    expect(expiries.map((expiry) => expiry.expiry)).toEqual(stored.expiries);
    expect(expiries.reduce((sum, expiry) => sum + expiry.contracts, 0)).toBe(stored.contracts);
    expect(expiries.every((expiry) => expiry.types.includes("eod"))).toBe(true);

    const chain = await vault.chain({ symbol: "PLTR", date: DATE });
    const quote = chain.rows[0]!;
    const history = await vault.contractHistory(quote.contractSymbol.replaceAll(" ", ""));
    expect(history.contractSymbol).toBe(quote.contractSymbol);
    expect([history.symbol, history.expiry, history.strike, history.right]).toEqual([
      "PLTR",
      quote.expiry,
      quote.strike,
      quote.right,
    ]);
    expect(history.quotes.find((entry) => entry.date === DATE && entry.type === "eod")).toMatchObject({
      bid: quote.bid,
      ask: quote.ask,
      time: quote.time,
    });

    const ticks = await vault.underlying({ symbol: "PLTR", from: DATE, to: DATE });
    expect(ticks.map((tick) => [tick.date, tick.type])).toEqual([[DATE, "eod"]]);
    const runs = await vault.collections({ from: DATE, to: DATE });
    expect(runs.map((run) => [run.date, run.symbol, run.type, run.status, run.records])).toEqual([
      [DATE, "PLTR", "eod", "completed", stored.quotes],
    ]);
  });

  it("returns the chain analytics the collection stored, per expiry", async () => {
    const analytics = await vault.analytics({ symbol: "pltr", date: DATE });
    expect([analytics.symbol, analytics.date, analytics.type, analytics.source]).toEqual([
      "PLTR",
      DATE,
      "eod",
      "stored",
    ]);
    expect(analytics.expiries.map((row) => row.expiry)).toEqual(stored.expiries);
    const fitted = analytics.expiries.filter((row) => row.impliedRate !== null);
    expect(fitted.length).toBeGreaterThan(0);
    for (const row of fitted) {
      expect(row.forward!).toBeGreaterThan(0);
      expect(Array.isArray(row.boxRates)).toBe(true);
    }
    await expect(vault.analytics({ symbol: "PLTR", date: "2025-01-14" })).rejects.toThrow(
      "no eod quotes of PLTR on 2025-01-14",
    );
  });

  it("says what is wrong with a query", async () => {
    await expect(vault.chain({ symbol: "NOSUCH", date: DATE })).rejects.toThrow(
      "no symbol NOSUCH in this database (it has PLTR)",
    );
    await expect(vault.chain({ symbol: "PLTR", date: "2025-1-15" })).rejects.toThrow(
      /date must be a date "YYYY-MM-DD"/,
    );
    await expect(vault.underlying({ symbol: "PLTR", from: "2025-02-01", to: DATE })).rejects.toThrow(
      "from (2025-02-01) is after to (2025-01-15)",
    );
    await expect(vault.contractHistory("PLTR  250117C09999000")).rejects.toThrow(/no contract/);
    expect((await vault.chain({ symbol: "PLTR", date: "2025-01-14" })).rows).toEqual([]);
  });
});
