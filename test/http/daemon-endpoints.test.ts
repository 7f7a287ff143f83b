import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDaemon } from "../../src/cli/daemon.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { waitUntil } from "../helpers/wait.ts";
import { Scrape, get, getJson } from "./scrape.ts";

const TOKEN = "daemon-endpoints-token-0123456789";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `chainvault daemon` as the command runs it (runDaemon), in this process, against a server database. */
describe("`chainvault daemon` serves its endpoints while it runs and closes them when it stops", () => {
  let sim: Simulator;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    server = await createServerDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-daemon-http-"));
  });

  afterAll(async () => {
    await sim?.close();
    await server?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    "answers with the token, refuses without it, and stops listening on shutdown",
    { timeout: 120_000 },
    async () => {
      const port = await freePort();
      const file = path.join(dir, "chainvault.yaml");
      fs.writeFileSync(
        file,
        [
          "symbols: [SPY]",
          `database: { url: "${server.url}" }`,
          `ib: { port: ${sim.port} }`,
          "daemon: { first_start_lookback_hours: 0, tick_seconds: 1 }",
          `http: { port: ${port}, token: ${TOKEN} }`,
          "log: { level: fatal }",
          "",
        ].join("\n"),
      );
      let stop!: (signal: NodeJS.Signals) => void;
      const stopRequested = new Promise<NodeJS.Signals>((resolve) => (stop = resolve));
      const running = runDaemon({ config: file }, stopRequested);
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitUntil(async () => (await get(url, "/healthz", TOKEN).catch(() => null))?.status === 200, {
          what: "the daemon's /healthz",
          timeoutMs: 60_000,
        });
        expect((await get(url, "/metrics")).status).toBe(401);
        const ready = await getJson<{ ready: boolean; checks: Record<string, { ready: boolean }> }>(
          url,
          "/readyz",
          TOKEN,
        );
        expect(ready.body.checks).toMatchObject({
          database: { ready: true },
          queue: { ready: true },
          gateway: { ready: true },
        });
        expect(ready.status).toBe(200);
        const scrape = await Scrape.of(url, TOKEN);
        expect(scrape.value("chainvault_scheduler_last_loop_timestamp_seconds")).toBeGreaterThan(
          Date.now() / 1000 - 60,
        );
        expect(scrape.value("chainvault_slot_runs_total", { type: "eod", outcome: "missed" })).toBe(0);
      } finally {
        stop("SIGTERM");
      }
      expect((await running).outcome).toBe("stopped");
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    },
  );
});
