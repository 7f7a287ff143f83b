import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrlProblem } from "../../src/config/database-url.ts";
import { loadEnvFile } from "../../src/config/env-file.ts";
import { loadConfig, redactConfig } from "../../src/config/load.ts";
import { redactUrl } from "../../src/logger.ts";
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

describe("YAML aliases", () => {
  it("reads a config that reuses a block, and refuses an alias bomb before expanding it", () => {
    const reuse = write(
      "reuse.yaml",
      "selection:\n  tiers:\n    low_iv: &tier { range: 0.05, min_strikes: 3 }\n    normal_iv: *tier\n    high_iv: *tier\n",
    );
    expect(loadConfig({ file: reuse, env: {} }).config.selection.tiers.high_iv).toEqual({
      range: 0.05,
      min_strikes: 3,
    });
    const levels = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const bomb = levels.map((name, index) =>
      index === 0
        ? `a: &a [x, x, x, x, x, x, x, x, x]`
        : `${name}: &${name} [${Array(9)
            .fill(`*${levels[index - 1]}`)
            .join(", ")}]`,
    );
    const file = write("bomb.yaml", `${bomb.join("\n")}\n`);
    expect(() => loadConfig({ file, env: {} })).toThrow(UsageError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/bomb\.yaml: too many YAML aliases/);
  });
});

describe("redactUrl", () => {
  const PASSWORDS = ["s3cret", "p@ss", "p#ss", "p/ss", "a@b#c/d:e", "p?ss&x=1"];

  it("masks the password after user: even when it holds unencoded @ # / ? :", () => {
    for (const password of PASSWORDS) {
      const url = `postgres://collector:${password}@db.example:5432/chainvault?sslmode=require`;
      const redacted = redactUrl(url);
      expect(redacted, url).toBe("postgres://collector:***@db.example:5432/chainvault?sslmode=require");
    }
  });

  it("masks password= and sslpassword= in the query, whatever the case", () => {
    expect(redactUrl("postgres://db.example/chainvault?user=cv&password=p@ss#x/y&sslmode=require")).toBe(
      "postgres://db.example/chainvault?user=cv&password=***&sslmode=require",
    );
    expect(redactUrl("postgresql://cv@db/x?PassWord=s3cret")).toBe("postgresql://cv@db/x?PassWord=***");
    expect(redactUrl("postgres://cv:a@db/x?sslpassword=k3y")).toBe("postgres://cv:***@db/x?sslpassword=***");
  });

  it("leaves URLs without a password as they are", () => {
    for (const url of ["postgres://cv@db:5432/x", "postgres://db:5432/x", "https://example.com/a?b=c"]) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it("redactConfig hides them in any URL-valued setting", () => {
    const redacted = redactConfig({ database: { url: "postgres://cv:a@b#c@db:5432/x?password=q" } });
    expect(redacted.database.url).toBe("postgres://cv:***@db:5432/x?password=***");
  });
});

describe("database.url / DATABASE_URL", () => {
  it("accepts server URLs, percent-encoded passwords and socket hosts", () => {
    for (const url of [
      "postgres://cv:s3cret@db.example:5432/chainvault",
      "postgresql://cv:p%23ss%2Fx@127.0.0.1/chainvault?sslmode=require",
      "postgres://cv:p@ss@db:5432/x",
      "postgres:///chainvault?host=/var/run/postgresql",
    ]) {
      expect(databaseUrlProblem(url), url).toBeNull();
      expect(loadConfig({ env: { DATABASE_URL: url } }).config.database.url).toBe(url);
    }
  });

  it("says what is wrong without repeating the URL", () => {
    const cases: Array<[string, RegExp]> = [
      ["db.example:5432/chainvault", /is not a connection URL/],
      ["mysql://cv:s3cret@db/x", /must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\//],
      ["postgres://cv:s3cret/x@db/x", /characters such as @ # \/ \? : .* percent-encoded/],
      ["postgres://cv:12#s3cret@db/x", /contains "#"/],
      ["postgres://cv:s3cret@:5432/x", /cannot be read|names no host/],
      ["postgres:///chainvault", /names no host/],
    ];
    for (const [url, message] of cases) {
      expect(databaseUrlProblem(url), url).toMatch(message);
      expect(() => loadConfig({ env: { DATABASE_URL: url } }), url).toThrow(UsageError);
      try {
        loadConfig({ env: { DATABASE_URL: url } });
      } catch (error) {
        expect((error as Error).message).toMatch(/^environment variable DATABASE_URL \(database\.url\): /);
        expect((error as Error).message).not.toContain("s3cret");
      }
    }
  });
});

describe("loadEnvFile", () => {
  it("refuses a file group or others can read or write, naming the fix", () => {
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      const file = write(`env-${mode.toString(8)}`, "DATABASE_URL=postgres://cv:s3cret@db/x\n");
      fs.chmodSync(file, mode);
      const env: NodeJS.ProcessEnv = {};
      expect(() => loadEnvFile(file, env)).toThrow(
        new RegExp(`open to other users \\(mode ${mode.toString(8)}\\).*chmod 600 ${file}`),
      );
      expect(env).toEqual({});
    }
  });

  it("reads a private file without overriding what the environment already has", () => {
    const file = write("env-private", "# comment\nDATABASE_URL=postgres://cv:s3cret@db/x\nIB_PORT=4002\n");
    fs.chmodSync(file, 0o600);
    const env: NodeJS.ProcessEnv = { IB_PORT: "7497" };
    expect(loadEnvFile(file, env)).toEqual(["DATABASE_URL"]);
    expect(env).toEqual({ IB_PORT: "7497", DATABASE_URL: "postgres://cv:s3cret@db/x" });
  });

  it("refuses a missing file", () => {
    expect(() => loadEnvFile(path.join(root, "no-such-env"), {})).toThrow(/does not exist/);
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
