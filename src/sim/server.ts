import { createServer, type Server, type Socket } from "node:net";
import pino from "pino";
import { etInstant, type IsoDate } from "../calendar/index.ts";
import type { Logger } from "../logger.ts";
import { createClock, type SimClock } from "./sim-clock.ts";
import { inWindow, type FaultConfig, type FaultControl } from "./faults.ts";
import { IB_HISTORICAL_PACING, type HistoricalPacingOptions } from "./rate-limits.ts";
import { etOf } from "./market/et-time.ts";
import { SyntheticMarket } from "./market/synthetic-market.ts";
import { encodeFrame } from "./protocol/framing.ts";
import { OUT } from "./protocol/ids.ts";
import type { ResolvedOptions, ServerContext } from "./server-context.ts";
import { ClientSession } from "./session.ts";

export type { FaultConfig, FaultControl } from "./faults.ts";
export type { SyntheticMarket } from "./market/synthetic-market.ts";

export interface SimOptions {
  host?: string;
  /** 0 = pick a free port. Default 7497. */
  port?: number;
  /** Seed of the synthetic market (default 1). */
  seed?: number;
  /** Simulated New York date/time at start; then the clock runs in real time. Default: now. */
  start?: { date: IsoDate; timeEt: string };
  /** Keep the simulated clock still (tests that need identical answers across runs). */
  frozenClock?: boolean;
  /** Client messages per second before error 100 (default 50); Infinity = unlimited. */
  rate?: number;
  /** Concurrent market-data lines before error 101 (default 100); Infinity = unlimited. */
  lines?: number;
  /** Time to answer a snapshot (default 50 ms; IB's ceiling is ~11 s). */
  snapshotLatencyMs?: number;
  /** Time to answer a historical-data request (default 20 ms). */
  historicalLatencyMs?: number;
  /** How often streaming subscriptions send changed ticks (default 1000 ms). */
  streamIntervalMs?: number;
  /** Historical pacing (IB: identical requests 15 s apart, 60 per 10 minutes); Infinity values lift it. */
  historicalPacing?: Partial<HistoricalPacingOptions>;
  faults?: FaultConfig;
  logger?: Logger;
}

export interface Simulator {
  host: string;
  port: number;
  clock: SimClock;
  market: SyntheticMarket;
  faults: FaultControl;
  /** Open client connections. */
  connections(): number;
  /** Messages received from and sent to clients since start. */
  stats(): { messagesReceived: number; messagesSent: number };
  close(): Promise<void>;
}

export async function startSimulator(options: SimOptions = {}): Promise<Simulator> {
  const logger = options.logger ?? pino({ level: "silent" });
  const start = options.start ? etInstant(options.start.date, options.start.timeEt) : new Date();
  const clock = createClock(start, options.frozenClock ?? false);
  const resolved: ResolvedOptions = {
    rate: options.rate ?? 50,
    lines: options.lines ?? 100,
    snapshotLatencyMs: options.snapshotLatencyMs ?? 50,
    historicalLatencyMs: options.historicalLatencyMs ?? 20,
    streamIntervalMs: options.streamIntervalMs ?? 1000,
    historicalPacing: { ...IB_HISTORICAL_PACING, ...options.historicalPacing },
  };
  const context: ServerContext = {
    options: resolved,
    market: new SyntheticMarket(options.seed ?? 1),
    clock,
    faults: { ...options.faults },
    logger,
    sessions: new Set(),
    connectivityLost: false,
    stats: { messagesReceived: 0, messagesSent: 0 },
  };
  const sockets = new Set<Socket>();
  let restartUntil = 0;
  let connectionCount = 0;

  const inRestart = () => {
    if (Date.now() < restartUntil) return true;
    const window = context.faults.restartWindow;
    return window !== undefined && inWindow(etOf(clock.now()).time, window);
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    if (inRestart()) {
      logger.info("connection refused: the gateway is restarting");
      socket.destroy();
      return;
    }
    const session = new ClientSession(socket, context, ++connectionCount);
    context.sessions.add(session);
    logger.debug({ connection: session.id, remote: socket.remoteAddress }, "client connected");
  });

  const housekeeping = setInterval(() => {
    const now = clock.now();
    for (const session of [...context.sessions]) session.tick(now);
  }, 1000);
  housekeeping.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7497, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 7497);
  const host = options.host ?? "127.0.0.1";
  logger.info(
    { host, port, seed: context.market.seed, start: clock.now().toISOString() },
    "simulated IB gateway listening",
  );

  const everySession = (action: (session: ClientSession) => void) => {
    for (const session of [...context.sessions]) if (session.isReady) action(session);
  };

  const faults: FaultControl = {
    current: () => structuredClone(context.faults),
    set(patch) {
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) delete (context.faults as Record<string, unknown>)[key];
        else (context.faults as Record<string, unknown>)[key] = value;
      }
    },
    dropConnections() {
      for (const session of [...context.sessions]) session.close();
    },
    connectivityLost() {
      context.connectivityLost = true;
      everySession((session) => session.connectivity("lost"));
    },
    connectivityRestored(dataKept) {
      context.connectivityLost = false;
      everySession((session) => session.connectivity(dataKept ? "kept" : "lost-data"));
    },
    sendMalformed() {
      // A TICK_PRICE two fields short, then one of an unknown message id: both are decode errors for the client.
      everySession((session) => {
        session.sendRaw(encodeFrame([OUT.TICK_PRICE, 6, 1]));
        session.sendRaw(encodeFrame([999, 1, "garbage"]));
      });
    },
    restart(durationMs) {
      restartUntil = Date.now() + durationMs;
      for (const session of [...context.sessions]) session.close();
    },
  };

  return {
    host,
    port,
    clock,
    market: context.market,
    faults,
    connections: () => context.sessions.size,
    stats: () => ({ ...context.stats }),
    async close() {
      clearInterval(housekeeping);
      for (const session of [...context.sessions]) session.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
