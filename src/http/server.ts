import Fastify from "fastify";
import type { AddressInfo } from "node:net";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import { assertExposureAllowed, requireToken } from "./access.ts";
import type { DashboardOptions } from "../dashboard/server.ts";
import type { LivenessReport } from "./liveness.ts";
import type { ChainvaultMetrics } from "./metrics.ts";
import type { Readiness } from "./readiness.ts";

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. Required off loopback. */
  token?: string;
  /** Named in the refusal when a token is missing. */
  tokenEnv?: string;
  metrics: ChainvaultMetrics;
  readiness: Readiness;
  liveness: () => LivenessReport;
  logger: Logger;
  /** Also serve the dashboard (http.dashboard). */
  dashboard?: DashboardOptions;
}

export interface HttpServer {
  /** http://host:port, for logs and tests. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * /healthz (is the process's scheduler loop going round), /readyz (database, queue and gateway, each with
 * its own status) and /metrics (Prometheus text). Fastify's own request log stays off: it would log the
 * Authorization header, and a scrape every 15 s is not news.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  assertExposureAllowed(options.host, options.token, options.tokenEnv ?? "CHAINVAULT_HTTP_TOKEN");
  const app = Fastify({ logger: false });
  const { token } = options;
  if (token !== undefined) requireToken(app, token);
  // The dashboard's page and JSON when http.dashboard is set: the same server, the same token rule.
  if (options.dashboard) {
    const { registerDashboard } = await import("../dashboard/server.ts");
    await registerDashboard(app, options.dashboard);
  }

  app.get("/healthz", async (_request, reply) => {
    const report = options.liveness();
    return reply.code(report.alive ? 200 : 503).send({ status: report.alive ? "ok" : "stalled", ...report });
  });

  app.get("/readyz", async (_request, reply) => {
    const report = await options.readiness.report();
    return reply.code(report.ready ? 200 : 503).send(report);
  });

  app.get("/metrics", async (_request, reply) => {
    try {
      const text = await options.metrics.text();
      return reply.code(200).header("content-type", options.metrics.contentType).send(text);
    } catch (error) {
      options.logger.error({ err: errorMessage(error) }, "could not render /metrics");
      return reply
        .code(500)
        .type("text/plain")
        .send(`could not render the metrics: ${errorMessage(error)}\n`);
    }
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  options.logger.info(
    {
      url,
      endpoints: ["/healthz", "/readyz", "/metrics", ...(options.dashboard ? ["/ (dashboard)"] : [])],
      auth: token !== undefined ? "bearer" : "none",
    },
    "serving health and metrics",
  );
  return {
    url,
    port: address.port,
    close: () => app.close(),
  };
}
