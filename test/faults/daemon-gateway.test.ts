import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { collectWithGateway } from "../../src/daemon/collect-with-gateway.ts";
import type { Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { statusRows, storedQuotes } from "./checks.ts";
import { DATE, startFaultSetup } from "./fixture.ts";
import type { FaultSetup } from "./fixture.ts";

const silent = pino({ level: "silent" });

/** The daemon's collection of one slot (collectWithGateway) while the gateway goes away and stays away. */
describe("a daemon slot through a gateway outage", () => {
  let setup: FaultSetup;
  let sim: Simulator;
  let db: Database;
  let timer: NodeJS.Timeout | undefined;
  beforeEach(async () => {
    setup = await startFaultSetup({ engine: "postgres" });
    ({ sim } = setup);
    db = setup.db!;
  });
  afterEach(async () => {
    clearInterval(timer);
    await setup.close();
  });

  function config(maxOutageSeconds: number) {
    return configSchema.parse({
      ib: {
        host: sim.host,
        port: sim.port,
        client_id: 51,
        max_messages_per_second: 300,
        max_market_data_lines: 20,
      },
      selection: { max_days_to_expiry: 2 },
      collect: { include_vix: false, write_batch_rows: 25, max_gateway_outage_seconds: maxOutageSeconds },
    });
  }

  /** Takes the gateway away for good once PLTR's snapshots are under way. */
  function takeGatewayAwayMidRun(): () => number {
    let at = 0;
    timer = setInterval(() => {
      if (at || sim.stats().messagesReceived < 120) return;
      at = Date.now();
      sim.faults.restart(600_000);
    }, 5);
    return () => at;
  }

  it("gives up after the outage limit inside the slot's window and throws, so pg-boss runs the slot again", async () => {
    const collect = collectWithGateway(db, config(2), silent);
    const wentAway = takeGatewayAwayMidRun();
    const outcome = await collect({
      date: DATE,
      symbols: ["PLTR"],
      type: "eod",
      deadline: new Date(Date.now() + 3_600_000),
    }).then(
      () => "returned",
      (error: unknown) => error,
    );
    expect(wentAway()).toBeGreaterThan(0);
    expect(Date.now() - wentAway()).toBeLessThan(15_000);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/unreachable since .*the slot runs again later and resumes/);
    const stored = await storedQuotes(db);
    expect(stored.rows).toBeGreaterThan(0);
    expect(stored.distinctContracts).toBe(stored.rows);
    expect(await statusRows(db, DATE)).toEqual([
      expect.objectContaining({ symbol: "PLTR", status: "partial", records_collected: stored.rows }),
    ]);
  });

  it("stops waiting when the slot's window closes and returns the summary of what it stored", async () => {
    const collect = collectWithGateway(db, config(300), silent);
    const wentAway = takeGatewayAwayMidRun();
    const deadline = new Date(Date.now() + 12_000);
    const summary = await collect({ date: DATE, symbols: ["PLTR"], type: "eod", deadline });
    expect(wentAway()).toBeGreaterThan(0);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline.getTime() - 50);
    expect(Date.now() - deadline.getTime()).toBeLessThan(5000);
    const stored = await storedQuotes(db);
    expect(summary.symbols).toEqual([
      expect.objectContaining({ symbol: "PLTR", status: "partial", quotes_stored: stored.rows }),
    ]);
    expect(stored.distinctContracts).toBe(stored.rows);
    const [status] = await statusRows(db, DATE);
    expect(status).toMatchObject({ status: "partial", records_collected: stored.rows });
    expect(status!.error_message).toMatch(/deadline has passed/);
  });
});
