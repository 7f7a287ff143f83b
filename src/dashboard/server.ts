import Fastify from "fastify";
import type { FastifyInstance } from "fastify";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { Clock } from "../core/clock.ts";
import { errorMessage } from "../core/errors.ts";
import { assertExposureAllowed, requireToken } from "../http/access.ts";
import type { Logger } from "../logger.ts";
import type { PlanOptions } from "../schedule/index.ts";
import type { Queryable } from "../store/database.ts";
import { chainView, healthView, snapshotList } from "./data.ts";
import type { LiveProgress, ProgressSnapshot } from "./progress.ts";

export interface DashboardOptions {
  db: Queryable;
  plan: PlanOptions;
  clock: Clock;
  logger: Logger;
  /** The daemon's collector, seen through its events; absent in `chainvault dashboard`, which runs nothing. */
  progress?: LiveProgress;
}

const require = createRequire(import.meta.url);

/** The page's files: its own (beside this module) and uPlot's, read from node_modules; nothing from a CDN. */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  "/": { file: () => new URL("./index.html", import.meta.url).pathname, type: "text/html; charset=utf-8" },
  "/assets/app.js": {
    file: () => new URL("./app.js", import.meta.url).pathname,
    type: "text/javascript; charset=utf-8",
  },
  "/assets/style.css": {
    file: () => new URL("./style.css", import.meta.url).pathname,
    type: "text/css; charset=utf-8",
  },
  "/assets/uPlot.js": {
    file: () => require.resolve("uplot/dist/uPlot.iife.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/assets/uPlot.css": {
    file: () => require.resolve("uplot/dist/uPlot.min.css"),
    type: "text/css; charset=utf-8",
  },
};

const SYMBOL = /^[A-Z0-9.^]{1,10}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TYPE = /^[a-z_]{1,20}$/;

/** The dashboard's page, assets and JSON endpoints on an existing server (the daemon's, or its own). */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const cache = new Map<string, Buffer>();
  for (const [route, asset] of Object.entries(ASSETS)) {
    app.get(route, async (_request, reply) => {
      let body = cache.get(route);
      if (body === undefined) {
        body = await readFile(asset.file());
        cache.set(route, body);
      }
      return reply.header("content-type", asset.type).header("cache-control", "no-cache").send(body);
    });
  }

  const failed = (error: unknown, what: string) => {
    options.logger.error({ err: errorMessage(error) }, `dashboard: could not read ${what}`);
    return { error: `could not read ${what}: ${errorMessage(error)}` };
  };

  app.get("/api/health", async (_request, reply) => {
    try {
      return await healthView(options.db, options.plan, options.clock.now());
    } catch (error) {
      return reply.code(500).send(failed(error, "the health view"));
    }
  });

  app.get("/api/progress", async (): Promise<ProgressSnapshot & { live: boolean }> => {
    if (options.progress) return { live: true, ...options.progress.snapshot() };
    return { live: false, runs: [], messagesPerSecond: 0 };
  });

  app.get("/api/snapshots", async (_request, reply) => {
    try {
      return { snapshots: await snapshotList(options.db) };
    } catch (error) {
      return reply.code(500).send(failed(error, "the stored snapshots"));
    }
  });

  app.get("/api/chain", async (request, reply) => {
    const { symbol, date, type } = request.query as Record<string, string | undefined>;
    if (!symbol || !SYMBOL.test(symbol) || !date || !DATE.test(date) || !type || !TYPE.test(type))
      return reply
        .code(400)
        .send({ error: "give symbol, date and type, e.g. /api/chain?symbol=SPY&date=2026-03-20&type=eod" });
    try {
      return await chainView(options.db, symbol, date, type);
    } catch (error) {
      return reply.code(500).send(failed(error, "the chain"));
    }
  });
}

export interface DashboardServerOptions extends DashboardOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  token?: string;
  tokenEnv?: string;
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

/** `chainvault dashboard`: the page on a server of its own, under the same exposure rule as the daemon's endpoints. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  assertExposureAllowed(options.host, options.token, options.tokenEnv ?? "CHAINVAULT_HTTP_TOKEN");
  const app = Fastify({ logger: false });
  if (options.token !== undefined) requireToken(app, options.token);
  await registerDashboard(app, options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}
