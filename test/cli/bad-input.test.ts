import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, runMain } from "../helpers/cli.ts";

/**
 * Mistakes a new user makes, each in an empty directory: exit 2, one line on stderr that says what is
 * wrong, no stack trace, and nothing created - no data directory, no database. No gateway listens on
 * IB_PORT, so anything that got as far as connecting would fail differently. The cases run the CLI's main
 * in this process with the environment and directory a child would have (seconds faster); `spawned` runs
 * some of them as a user would, a real process, for its exit status and its whole stderr.
 */
const SECRET = "s3cr3t-pw";
let cwd: string;

beforeEach(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-bad-input-"));
});
afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return runMain(args, { env: { IB_PORT: "9", CHAINVAULT_LOG_LEVEL: undefined, ...env }, cwd });
}

async function spawned(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return runCli(args, { IB_PORT: "9", CHAINVAULT_LOG_LEVEL: undefined, ...env }, { cwd });
}

/** Exit 2, exactly one line on stderr matching `message`, no stack, and `cwd` holds only `keep`. */
function expectRefused(result: Outcome, message: RegExp, keep: string[] = []): void {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^chainvault: /);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe("");
  expect(fs.readdirSync(cwd).sort()).toEqual([...keep].sort());
}

describe("bad input: exit 2, one line, nothing written", () => {
  it("worker and collect --split on the embedded database: they need a server's shared queue", async () => {
    expectRefused(await cli(["worker"]), /share the job queue of a PostgreSQL server: set DATABASE_URL/);
    expectRefused(await cli(["collect", "--split"]), /share the job queue of a PostgreSQL server/);
  });

  it("collect --symbols '' does not fall back to the configured symbols", async () => {
    expectRefused(await spawned(["collect", "--symbols", ""]), /--symbols needs at least one ticker/);
    expectRefused(await cli(["collect", "--symbols", " , "]), /--symbols needs at least one ticker/);
  });

  it("--data-dir '' does not put a database in the current directory", async () => {
    expectRefused(
      await cli(["collect", "--symbols", "SPY", "--data-dir", ""]),
      /--data-dir needs a directory/,
    );
    expectRefused(await cli(["status", "--data-dir", ""]), /--data-dir needs a directory/);
    expectRefused(await cli(["db", "migrate", "--data-dir", " "]), /--data-dir needs a directory/);
  });

  it("--date 2026-02-30 is refused before anything opens", async () => {
    for (const command of [["collect", "--symbols", "SPY"], ["status"]]) {
      expectRefused(
        await cli([...command, "--date", "2026-02-30", "--data-dir", "data"]),
        /--date must be a calendar date YYYY-MM-DD .*got "2026-02-30"/,
      );
    }
    expectRefused(
      await cli(["status", "--date", "", "--data-dir", "data"]),
      /--date must be a calendar date/,
    );
  });

  it("a YAML alias bomb in the config file is refused without expanding it", async () => {
    const bomb = [
      'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
      ...["b", "c", "d", "e", "f", "g", "h", "i"].map((name, index) => {
        const previous = "abcdefghi"[index]!;
        return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`;
      }),
    ].join("\n");
    fs.writeFileSync(path.join(cwd, "bomb.yaml"), `${bomb}\n`);
    const started = Date.now();
    expectRefused(await cli(["config", "--config", "bomb.yaml"]), /bomb\.yaml: too many YAML aliases/, [
      "bomb.yaml",
    ]);
    expectRefused(
      await cli(["status", "--config", "bomb.yaml", "--data-dir", "data"]),
      /too many YAML aliases/,
      ["bomb.yaml"],
    );
    // 9^9 nodes if expanded: refusing takes as long as any start-up, not minutes.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("CHAINVAULT_LOG_LEVEL=bogus names the variable and the levels", async () => {
    expectRefused(
      await cli(["status", "--data-dir", "data"], { CHAINVAULT_LOG_LEVEL: "bogus" }),
      /environment variable CHAINVAULT_LOG_LEVEL \(log\.level\): .*"info"/,
    );
  });

  it("a malformed DATABASE_URL says what is wrong and never prints the password", async () => {
    const cases: Array<[string, RegExp]> = [
      ["not a url", /DATABASE_URL \(database\.url\): is not a connection URL: write it as postgres:\/\//],
      [`mysql://u:${SECRET}@127.0.0.1/db`, /must start with postgres:\/\/ or postgresql:\/\//],
      [`postgres://u:${SECRET}#x@127.0.0.1:5432/db`, /percent-encoded \(%40 %23 %2F %3F %3A\)/],
      [`postgres://u:12#${SECRET}@127.0.0.1/db`, /contains "#", which ends a URL: .* %23/],
      [`postgres://u:${SECRET}/x@127.0.0.1:5432/db`, /percent-encoded/],
    ];
    for (const [url, message] of cases) {
      const result = await cli(["status"], { DATABASE_URL: url });
      expectRefused(result, message);
      expect(result.stderr).not.toContain(SECRET);
    }
  });

  it("daemon --environment-file refuses a file other users can read, and reads a private one", async () => {
    const envFile = path.join(cwd, "env");
    fs.writeFileSync(envFile, `DATABASE_URL=postgres://u:${SECRET}@127.0.0.1:9/db\n`, { mode: 0o644 });
    fs.chmodSync(envFile, 0o644);
    const open = await spawned(["daemon", "--environment-file", envFile, "--data-dir", "data"]);
    expectRefused(open, /env file .*env is open to other users \(mode 644\) .*chmod 600/, ["env"]);
    expect(open.stderr).not.toContain(SECRET);
    fs.chmodSync(envFile, 0o640);
    expectRefused(await cli(["daemon", "--environment-file", envFile]), /\(mode 640\)/, ["env"]);
    // Private, it is read: its bad log level is what the daemon now reports.
    fs.writeFileSync(envFile, "CHAINVAULT_LOG_LEVEL=bogus\n");
    fs.chmodSync(envFile, 0o600);
    expectRefused(
      await cli(["daemon", "--environment-file", envFile, "--data-dir", "data"]),
      /environment variable CHAINVAULT_LOG_LEVEL/,
      ["env"],
    );
    expectRefused(
      await cli(["daemon", "--environment-file", path.join(cwd, "missing")]),
      /env file .*missing does not exist/,
      ["env"],
    );
  });
});
