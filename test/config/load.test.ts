import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, redactConfig } from "../../src/config/load.ts";
import { UsageError } from "../../src/core/errors.ts";
import { main } from "../../src/cli/main.ts";

let root: string;
function write(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Runs main() capturing what it writes. */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = "";
  let stderr = "";
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "chainvault", ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-config-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("loadConfig", () => {
  it("needs no file: every setting has a default", () => {
    const { config, file } = loadConfig({ env: {}, file: undefined });
    expect(file === null || file === "chainvault.yaml").toBe(true);
    expect(config.database.data_dir).toBe("./data");
    expect(config.ib.port).toBe(7497);
  });

  it("reads the file named by CHAINVAULT_CONFIG, and --config wins over it", () => {
    const a = write("a.yaml", "ib:\n  port: 4002\n");
    const b = write("b.yaml", "ib:\n  port: 4001\n");
    expect(loadConfig({ env: { CHAINVAULT_CONFIG: a } }).config.ib.port).toBe(4002);
    expect(loadConfig({ env: { CHAINVAULT_CONFIG: a }, file: b }).config.ib.port).toBe(4001);
  });

  it("lets the environment override connection settings", () => {
    const file = write("env.yaml", "database:\n  url: postgres://file@db/x\nib:\n  host: file-host\n");
    const { config } = loadConfig({
      file,
      env: {
        DATABASE_URL: "postgres://env@db/y",
        IB_HOST: "gateway",
        IB_PORT: "4002",
        IB_CLIENT_ID: "9",
        CHAINVAULT_DATA_DIR: "/var/lib/chainvault",
      },
    });
    expect(config.database).toMatchObject({ url: "postgres://env@db/y", data_dir: "/var/lib/chainvault" });
    expect(config.ib).toMatchObject({ host: "gateway", port: 4002, client_id: 9 });
  });

  it("names the key and the file of an unknown key", () => {
    const file = write("typo.yaml", "ib:\n  prot: 4002\n");
    expect(() => loadConfig({ file, env: {} })).toThrow(UsageError);
    expect(() => loadConfig({ file, env: {} })).toThrow(`${file}: unknown key "ib.prot"`);
  });

  it("names the key and the file of a wrong type", () => {
    const file = write("type.yaml", "ib:\n  port: seventy\n");
    expect(() => loadConfig({ file, env: {} })).toThrow(new RegExp(`${file}: "ib.port": .*expected number`));
  });

  it("names the environment variable when an override is malformed", () => {
    expect(() => loadConfig({ env: { IB_PORT: "abc" } })).toThrow(/IB_PORT="abc" is not a whole number/);
    expect(() => loadConfig({ env: { IB_PORT: "70000" } })).toThrow(
      /environment variable IB_PORT \(ib.port\)/,
    );
  });

  it("takes the log level from CHAINVAULT_LOG_LEVEL, and names the variable when it is not a level", () => {
    const { config, fromEnvironment } = loadConfig({ env: { CHAINVAULT_LOG_LEVEL: "debug" } });
    expect(config.log.level).toBe("debug");
    expect(fromEnvironment.get("log.level")).toBe("CHAINVAULT_LOG_LEVEL");
    expect(loadConfig({ env: {} }).fromEnvironment.has("log.level")).toBe(false);
    expect(() => loadConfig({ env: { CHAINVAULT_LOG_LEVEL: "bogus" } })).toThrow(
      /environment variable CHAINVAULT_LOG_LEVEL \(log.level\)/,
    );
  });

  it("gives historical data the next client id and a 10 s request spacing unless configured", () => {
    expect(loadConfig({ env: {} }).config.ib).toMatchObject({
      client_id: 17,
      historical_client_id: 18,
      historical_request_spacing_ms: 10_000,
    });
    expect(loadConfig({ env: { IB_CLIENT_ID: "9" } }).config.ib.historical_client_id).toBe(10);
    const file = write(
      "historical.yaml",
      "ib:\n  historical_client_id: 40\n  historical_request_spacing_ms: 15000\n",
    );
    expect(loadConfig({ file, env: {} }).config.ib).toMatchObject({
      historical_client_id: 40,
      historical_request_spacing_ms: 15_000,
    });
    const clash = write("clash.yaml", "ib:\n  client_id: 5\n  historical_client_id: 5\n");
    expect(() => loadConfig({ file: clash, env: {} })).toThrow(/"ib.historical_client_id": must differ/);
  });

  it("reports invalid YAML with the file and line, and a missing file", () => {
    const file = write("bad.yaml", "ib:\n  port: [1\n");
    expect(() => loadConfig({ file, env: {} })).toThrow(new RegExp(`${file} \\(line \\d+\\): invalid YAML`));
    expect(() => loadConfig({ file: path.join(root, "nope.yaml"), env: {} })).toThrow(/does not exist/);
  });

  it("redacts passwords in URLs and secret-named keys", () => {
    const redacted = redactConfig({
      database: { url: "postgres://cv:s3cret@db:5432/chainvault" },
      alerts: { slack_webhook_url: "https://hooks.slack.com/services/T/B/X", password: "pw" },
      ib: { host: "127.0.0.1" },
    });
    expect(JSON.stringify(redacted)).not.toMatch(/s3cret|hooks\.slack|"pw"/);
    expect(redacted.database.url).toBe("postgres://cv:***@db:5432/chainvault");
    expect(redacted.ib.host).toBe("127.0.0.1");
  });
});

describe("chainvault config", () => {
  it("exits 2 naming the unknown key and the file", async () => {
    const file = write("chainvault.yaml", "database:\n  data_dri: ./x\n");
    const result = await runMain(["config", "--show", "--config", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}: unknown key "database.data_dri"`);
  });

  it("exits 2 from a database command too, before touching any database", async () => {
    const file = write("wrong.yaml", "ib:\n  port: '7497'\n");
    const result = await runMain(["db", "info", "--config", file, "--data-dir", path.join(root, "never")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}: "ib.port"`);
    expect(fs.existsSync(path.join(root, "never"))).toBe(false);
  });

  it("exits 2 naming CHAINVAULT_LOG_LEVEL when it is not a level", async () => {
    const before = process.env.CHAINVAULT_LOG_LEVEL;
    process.env.CHAINVAULT_LOG_LEVEL = "bogus";
    try {
      const result = await runMain(["config", "--show", "--config", write("empty.yaml", "")]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("environment variable CHAINVAULT_LOG_LEVEL (log.level)");
    } finally {
      if (before === undefined) delete process.env.CHAINVAULT_LOG_LEVEL;
      else process.env.CHAINVAULT_LOG_LEVEL = before;
    }
  });

  it("--show prints the effective config with the password redacted", async () => {
    const file = write("secret.yaml", "database:\n  url: postgres://cv:s3cret@db:5432/chainvault\n");
    const result = await runMain(["config", "--show", "--json", "--config", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("s3cret");
    expect(JSON.parse(result.stdout).database.url).toBe("postgres://cv:***@db:5432/chainvault");
  });
});
