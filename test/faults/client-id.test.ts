import { afterEach, describe, expect, it } from "vitest";
import { IbClient, IbRequestError } from "../../src/ib/client.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { capturingLogger } from "./fixture.ts";

describe("client id in use (326)", () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const options = (port: number, logger: ReturnType<typeof capturingLogger>["logger"]) => ({
    host: "127.0.0.1",
    port,
    clientId: 17,
    maxMessagesPerSecond: 100,
    maxMarketDataLines: 10,
    clockWarnThresholdMs: Number.POSITIVE_INFINITY,
    reconnectInitialDelayMs: 50,
    logger,
  });

  it("connects with the next free client id and says which one it uses", async () => {
    sim = await startSimulator({ port: 0, faults: { clientIdsInUse: [17, 18] } });
    const { logger, messages } = capturingLogger();
    const ib = await IbClient.connect(options(sim.port, logger));
    try {
      expect(ib.clientId).toBe(19);
      expect(ib.isConnected).toBe(true);
      expect(messages).toContain("client id 17 is in use (IB 326); trying client id 18");
      expect(messages).toContain("client id 18 is in use (IB 326); trying client id 19");
      expect(
        messages.some((message) =>
          message.startsWith("connected as client id 19 because client id 17 is in use"),
        ),
      ).toBe(true);
      // No backoff retries of the same id.
      expect(messages.some((message) => message.includes("retrying"))).toBe(false);
    } finally {
      await ib.close();
    }
  });

  it("keeps a free id across a reconnect, preferring the configured one once it is free", async () => {
    sim = await startSimulator({ port: 0, faults: { clientIdsInUse: [17] } });
    const { logger } = capturingLogger();
    const ib = await IbClient.connect(options(sim.port, logger));
    try {
      expect(ib.clientId).toBe(18);
      sim.faults.set({ clientIdsInUse: undefined });
      const reconnected = new Promise<void>((resolve) => ib.once("reconnected", () => resolve()));
      sim.faults.dropConnections();
      await reconnected;
      expect(ib.clientId).toBe(17);
    } finally {
      await ib.close();
    }
  });

  it("fails at once with a message that says what to do when every id it tries is in use", async () => {
    sim = await startSimulator({ port: 0, faults: { clientIdsInUse: [17, 18, 19, 20, 21] } });
    const { logger } = capturingLogger();
    const error = await IbClient.connect(options(sim.port, logger)).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(IbRequestError);
    expect((error as IbRequestError).code).toBe(326);
    expect((error as IbRequestError).category).toBe("permanent");
    expect((error as Error).message).toMatch(/client ids 17–21 are all in use/);
    expect((error as Error).message).toMatch(/set ib\.client_id/);
  });
});
