import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { configuredGateways, gatewayBudgets, preferGateway, selectGateway } from "../../src/core/gateways.ts";
import { UsageError } from "../../src/core/errors.ts";
import { clientOptionsFromConfig } from "../../src/ib/client.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-gateways-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let files = 0;
function load(yaml: string) {
  const file = path.join(root, `c${++files}.yaml`);
  fs.writeFileSync(file, yaml);
  return { file, load: () => loadConfig({ file, env: {} }).config };
}

const THREE_LOGINS = `
gateways:
  - { name: gw-a, host: 127.0.0.1, port: 4002, client_id: 17 }
  - { name: gw-b, host: 127.0.0.1, port: 4012, client_id: 17, max_messages_per_second: 40 }
  - { name: gw-c, host: 127.0.0.1, port: 4001, client_id: 5, max_market_data_lines: 195 }
`;

describe("gateways: the list and the ib: short form", () => {
  it("the ib: block alone is a one-gateway list with its own budgets, unchanged", () => {
    const config = load(
      "ib: { host: gw.local, port: 4001, client_id: 9, max_messages_per_second: 40 }\n",
    ).load();
    expect(configuredGateways(config)).toEqual([
      {
        name: "default",
        host: "gw.local",
        port: 4001,
        clientId: 9,
        login: "default",
        loginMessagesPerSecond: 40,
        loginMarketDataLines: 95,
      },
    ]);
    const options = clientOptionsFromConfig(config);
    expect(options).toMatchObject({ host: "gw.local", port: 4001, clientId: 9, maxMessagesPerSecond: 40 });
    expect(options.maxMarketDataLines).toBe(95);
  });

  it("separate logins each keep their whole budget; entries default to 45/s and 95 lines", () => {
    const budgets = gatewayBudgets(configuredGateways(load(THREE_LOGINS).load()));
    expect(
      budgets.map((b) => [
        b.name,
        b.login,
        b.connectionsOnLogin,
        b.maxMessagesPerSecond,
        b.maxMarketDataLines,
      ]),
    ).toEqual([
      ["gw-a", "gw-a", 1, 45, 95],
      ["gw-b", "gw-b", 1, 40, 95],
      ["gw-c", "gw-c", 1, 45, 195],
    ]);
  });

  it("two client ids on one login share its messages and lines; the smallest stated budget is the login's", () => {
    const config = load(`
gateways:
  - { name: main, host: 127.0.0.1, port: 4002, client_id: 17, login: alice }
  - { name: second, host: 127.0.0.1, port: 4002, client_id: 18, login: alice, max_market_data_lines: 91 }
  - { name: other, host: 127.0.0.1, port: 4012, client_id: 17, login: bob }
`).load();
    const budgets = gatewayBudgets(configuredGateways(config));
    expect(
      budgets.map((b) => [b.name, b.connectionsOnLogin, b.maxMessagesPerSecond, b.maxMarketDataLines]),
    ).toEqual([
      ["main", 2, 22.5, 45],
      ["second", 2, 22.5, 45],
      ["other", 1, 45, 95],
    ]);
    // The pacer of a connection gets its share, not the login's whole budget.
    expect(clientOptionsFromConfig(config, undefined, undefined, "second")).toMatchObject({
      host: "127.0.0.1",
      port: 4002,
      clientId: 18,
      maxMessagesPerSecond: 22.5,
      maxMarketDataLines: 45,
    });
  });

  it("a process connects to the first gateway unless one is named; an unknown name lists the configured ones", () => {
    const config = load(THREE_LOGINS).load();
    expect(selectGateway(config).name).toBe("gw-a");
    expect(selectGateway(config, "gw-c").port).toBe(4001);
    expect(() => selectGateway(config, "gw-z")).toThrow(UsageError);
    expect(() => selectGateway(config, "gw-z")).toThrow(
      'no gateway named "gw-z" in the configuration; configured: gw-a, gw-b, gw-c',
    );
  });

  it.each([
    [
      "an unknown key names the key and the file",
      "  - { name: a, host: h, port: 1, client_id: 1, clientid: 2 }\n",
      /gateways\.0.*clientid|clientid.*gateways/,
    ],
    ["a missing field is named", "  - { name: a, host: h, client_id: 1 }\n", /gateways\.0\.port/],
    [
      "a name used twice",
      "  - { name: a, host: h, port: 1, client_id: 1 }\n  - { name: a, host: h, port: 1, client_id: 2 }\n",
      /gateways\.1\.name.*"a" is used twice/,
    ],
    [
      "one client id twice on one gateway",
      "  - { name: a, host: h, port: 1, client_id: 1 }\n  - { name: b, host: h, port: 1, client_id: 1 }\n",
      /h:1 has client id 1 twice/,
    ],
    [
      "more connections on a login than it has lines",
      "  - { name: a, host: h, port: 1, client_id: 1, login: x, max_market_data_lines: 1 }\n  - { name: b, host: h, port: 1, client_id: 2, login: x }\n",
      /login "x" has 2 connections but only 1 market-data lines/,
    ],
  ])("refused: %s", (_what, entries, message) => {
    const { file, load: read } = load(`gateways:\n${entries}`);
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
    expect(read).toThrow(file);
  });

  it("--gateway puts the named one first and leaves every connection's share as it was", () => {
    const config = load(`
gateways:
  - { name: a, host: 127.0.0.1, port: 4002, client_id: 17, login: alice }
  - { name: b, host: 127.0.0.1, port: 4002, client_id: 18, login: alice }
  - { name: c, host: 127.0.0.1, port: 4012, client_id: 17 }
`).load();
    const preferred = preferGateway(config, "b");
    expect(selectGateway(preferred)).toMatchObject({ name: "b", clientId: 18, maxMessagesPerSecond: 22.5 });
    expect(configuredGateways(preferred).map((g) => g.name)).toEqual(["b", "a", "c"]);
    const shortForm = load("ib: { port: 4001 }\n").load();
    expect(preferGateway(shortForm, "default")).toBe(shortForm);
    expect(() => preferGateway(shortForm, "gw-1")).toThrow(
      'no gateway named "gw-1" in the configuration; configured: default',
    );
  });

  it("an empty list is refused rather than read as no gateway", () => {
    expect(load("gateways: []\n").load).toThrow(/gateways/);
  });
});
