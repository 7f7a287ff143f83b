import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { redactConfig } from "../../src/config/load.ts";
import { configSchema } from "../../src/config/schema.ts";
import { UsageError } from "../../src/core/errors.ts";
import { runDaemon } from "../../src/cli/daemon.ts";
import { bearerMatches, isLoopback, resolveHttpToken } from "../../src/http/access.ts";

const TOKEN = "0123456789abcdef0123";

describe("who may reach the endpoints", () => {
  it("knows loopback addresses from reachable ones", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "::ffff:10.0.0.1"])
      expect(isLoopback(host), host).toBe(false);
  });

  it("takes http.token first, else the variable http.token_env names, and refuses a short one", () => {
    const http = configSchema.parse({}).http;
    expect(http).toEqual({
      enabled: true,
      host: "127.0.0.1",
      port: 9464,
      token_env: "CHAINVAULT_HTTP_TOKEN",
      dashboard: false,
    });
    expect(resolveHttpToken(http, {})).toBeUndefined();
    expect(resolveHttpToken(http, { CHAINVAULT_HTTP_TOKEN: "" })).toBeUndefined();
    expect(resolveHttpToken(http, { CHAINVAULT_HTTP_TOKEN: TOKEN })).toBe(TOKEN);
    expect(resolveHttpToken({ ...http, token_env: "MY_TOKEN" }, { MY_TOKEN: TOKEN })).toBe(TOKEN);
    expect(resolveHttpToken({ ...http, token: `${TOKEN}-file` }, { CHAINVAULT_HTTP_TOKEN: TOKEN })).toBe(
      `${TOKEN}-file`,
    );
    expect(() => resolveHttpToken(http, { CHAINVAULT_HTTP_TOKEN: "short" })).toThrow(
      /CHAINVAULT_HTTP_TOKEN \(http.token_env\) is 5 characters long; use at least 16/,
    );
    expect(() => configSchema.parse({ http: { token: "short" } })).toThrow(/at least 16 characters/);
    expect(() => configSchema.parse({ http: { listen: "x" } })).toThrow(/listen/);
  });

  it("compares bearer tokens exactly", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer   ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches("Bearer ", TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.toUpperCase()}`, TOKEN)).toBe(false);
  });

  it("prints http.token as *** in `config --show`, and the variable's name as it is", () => {
    const config = configSchema.parse({ http: { token: TOKEN } });
    const shown = redactConfig(config).http;
    expect(shown.token).toBe("***");
    expect(shown.token_env).toBe("CHAINVAULT_HTTP_TOKEN");
    expect(JSON.stringify(redactConfig(config))).not.toContain(TOKEN);
  });
});

describe("`chainvault daemon` with http.host off loopback", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start without a token, before it opens anything", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-http-"));
    dirs.push(dir);
    const file = path.join(dir, "chainvault.yaml");
    fs.writeFileSync(file, "http:\n  host: 0.0.0.0\n  token_env: CHAINVAULT_TEST_UNSET_TOKEN\n");
    const dataDir = path.join(dir, "data");
    const never = new Promise<NodeJS.Signals>(() => undefined);
    const started = runDaemon({ config: file, dataDir }, never);
    await expect(started).rejects.toThrow(UsageError);
    await expect(started).rejects.toThrow(
      /http\.host is 0\.0\.0\.0, which other machines can reach, and no token is set: put CHAINVAULT_TEST_UNSET_TOKEN=<secret>/,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
