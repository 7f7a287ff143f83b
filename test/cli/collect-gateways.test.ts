// `gateways:` end to end: `collect --gateway NAME` connects to the named one of the list (a real simulator on
// 127.0.0.1), the first listed is the default, and an unknown name is a usage error before anything connects.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/sim/server.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { runMain } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("chainvault collect --gateway", () => {
  let sim: Simulator;
  let dir: string;
  let configFile: string;
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let downPort = 0;
  const env = () => ({ DATABASE_URL: database.url });

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      start: { date: "2025-01-15", timeEt: "16:45" },
      rate: Infinity,
      lines: Infinity,
    });
    database = await createServerDatabase();
    downPort = await closedPort();
    dir = await mkdtemp(path.join(tmpdir(), "chainvault-cli-gateways-"));
    configFile = path.join(dir, "chainvault.yaml");
    await writeFile(
      configFile,
      [
        "gateways:",
        `  - { name: gw-down, host: 127.0.0.1, port: ${downPort}, client_id: 17 }`,
        `  - { name: gw-sim, host: ${sim.host}, port: ${sim.port}, client_id: 17, max_messages_per_second: 1000 }`,
        "selection:",
        "  max_days_to_expiry: 2",
        "collect:",
        "  include_vix: false",
        "  connect_attempts: 1",
        "log:",
        "  level: error",
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await sim?.close();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("collects through the gateway named", async () => {
    const result = await runMain(
      [
        "collect",
        "--gateway",
        "gw-sim",
        "--symbols",
        "PLTR",
        "--date",
        "2025-01-15",
        "--json",
        "--config",
        configFile,
      ],
      { env: env() },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      symbols: { symbol: string; status: string; quotes_stored: number }[];
    };
    expect(summary.symbols.map((s) => [s.symbol, s.status])).toEqual([["PLTR", "completed"]]);
    expect(summary.symbols[0]!.quotes_stored).toBeGreaterThan(0);
  });

  it("without --gateway uses the first listed, and says which one it could not reach", async () => {
    const result = await runMain(
      ["collect", "--symbols", "PLTR", "--date", "2025-01-15", "--config", configFile],
      {
        env: env(),
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot connect to the gateway at 127.0.0.1:${downPort} (gateway gw-down)`,
    );
  });

  it("an unknown gateway is a usage error (exit 2, one line) naming the configured ones", async () => {
    const result = await runMain(["collect", "--gateway", "gw-nope", "--config", configFile], { env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      'chainvault: no gateway named "gw-nope" in the configuration; configured: gw-down, gw-sim',
    ]);
  });
});
