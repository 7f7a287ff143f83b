import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadEnvFile, parseEnvFile } from "../../src/config/env-file.ts";
import { loadConfig } from "../../src/config/load.ts";
import { UsageError } from "../../src/core/errors.ts";
import { runMain } from "../helpers/cli.ts";

const FILE = "/home/dana/.config/chainvault/env";
const URL_WITH_SHELL_CHARACTERS = "postgres://u:pa$$w0rd@h/db?a=1&b=2";

function parse(text: string): Record<string, string> {
  return Object.fromEntries(parseEnvFile(text, FILE));
}

function problem(text: string): string {
  try {
    parseEnvFile(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`parsed without complaint: ${JSON.stringify(text)}`);
}

describe("the env file format (one parser for launchd and systemd)", () => {
  it("keeps $, $$, & and ? literally: nothing is expanded", () => {
    expect(parse(`DATABASE_URL=${URL_WITH_SHELL_CHARACTERS}\n`)).toEqual({
      DATABASE_URL: URL_WITH_SHELL_CHARACTERS,
    });
    expect(parse("A=$HOME/${USER}/$(id -u)/`id`\n")).toEqual({ A: "$HOME/${USER}/$(id -u)/`id`" });
  });

  it("strips one pair of single or double quotes and keeps what is inside as written", () => {
    expect(
      parse(
        [
          `SINGLE='${URL_WITH_SHELL_CHARACTERS}'`,
          `DOUBLE="${URL_WITH_SHELL_CHARACTERS}"`,
          `IN_SINGLE='say "hi" # not a comment'`,
          `IN_DOUBLE="it's # not a comment either"`,
          String.raw`ESCAPED="a \"quoted\" word and a back\\slash, \n stays"`,
          String.raw`RAW='back\slash \n'`,
          `UNQUOTED=it's a "word"`,
        ].join("\n"),
      ),
    ).toEqual({
      SINGLE: URL_WITH_SHELL_CHARACTERS,
      DOUBLE: URL_WITH_SHELL_CHARACTERS,
      IN_SINGLE: 'say "hi" # not a comment',
      IN_DOUBLE: "it's # not a comment either",
      ESCAPED: String.raw`a "quoted" word and a back\slash, \n stays`,
      RAW: String.raw`back\slash \n`,
      UNQUOTED: `it's a "word"`,
    });
  });

  it("treats # as a comment at the start of a line or after a blank, and as text inside a word", () => {
    expect(
      parse(
        [
          "# the daemon's secrets",
          "   # indented comment",
          "PASSWORD=pa#ss#word",
          "IB_PORT=4002 # paper account",
          "IB_HOST=127.0.0.1\t# tab before it",
          'QUOTED="x y" # after the quotes',
          "EMPTY_WITH_NOTE= # nothing yet",
          "HASH_FIRST=#abc",
        ].join("\n"),
      ),
    ).toEqual({
      PASSWORD: "pa#ss#word",
      IB_PORT: "4002",
      IB_HOST: "127.0.0.1",
      QUOTED: "x y",
      EMPTY_WITH_NOTE: "",
      HASH_FIRST: "#abc",
    });
  });

  it("ignores blanks around names, = and values, keeps inner spaces, and allows empty values", () => {
    expect(
      parse(
        [
          "  SPACED  =  two words  ",
          "EMPTY=",
          'EMPTY_QUOTED=""',
          "EMPTY_SINGLE=''",
          "KEEP_PADDING='  padded  '",
          "",
          "   ",
        ].join("\n"),
      ),
    ).toEqual({
      SPACED: "two words",
      EMPTY: "",
      EMPTY_QUOTED: "",
      EMPTY_SINGLE: "",
      KEEP_PADDING: "  padded  ",
    });
  });

  it("accepts an export prefix, CRLF line ends and a byte-order mark", () => {
    expect(
      parse(
        `\uFEFFexport DATABASE_URL=${URL_WITH_SHELL_CHARACTERS}\r\nexport\tIB_PORT="4002"\r\nIB_HOST=gw\r\n`,
      ),
    ).toEqual({ DATABASE_URL: URL_WITH_SHELL_CHARACTERS, IB_PORT: "4002", IB_HOST: "gw" });
  });

  it("refuses what it cannot read without guessing, naming file and line but never the value", () => {
    const cases: Array<[string, RegExp]> = [
      ["A=1\nDATABASE_URL\n", /line 2: no "=" after "DATABASE_URL"/],
      ["1BAD=x\n", /line 1: "1BAD" is not a variable name/],
      ["MY-VAR=x\n", /line 1: "MY-VAR" is not a variable name/],
      ["PASSWORD='s3cret\n", /line 1: the value of PASSWORD opens a ' quote that this line never closes/],
      ['PASSWORD="s3cret\r\n', /line 1: the value of PASSWORD opens a " quote/],
      ['PASSWORD="s3cret"tail\n', /line 1: text after the closing " of PASSWORD/],
      ["A=1\n\nA=2\n", /line 3: A is already set on line 1: keep one of the two/],
    ];
    for (const [text, message] of cases) {
      const said = problem(text);
      expect(said, text).toMatch(message);
      expect(said).toContain(`env file ${FILE}, line `);
      expect(said).not.toContain("s3cret");
    }
  });
});

describe("a set but unusable DATABASE_URL", () => {
  it("is an error when set but empty or blank, instead of meaning the embedded database", () => {
    for (const value of ["", "  ", "\t"]) {
      expect(() => loadConfig({ env: { DATABASE_URL: value } })).toThrow(
        /^environment variable DATABASE_URL is set but empty: set it to postgres:\/\/.* or unset it to use the embedded database$/,
      );
    }
    expect(loadConfig({ env: {} }).config.database.url).toBeUndefined();
    // Other variables keep meaning "use the default" when empty.
    expect(loadConfig({ env: { IB_HOST: "" } }).config.ib.host).toBe("127.0.0.1");
  });

  it("reaches the configuration intact from an env file, $ and & included", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-env-file-"));
    try {
      const file = path.join(dir, "env");
      fs.writeFileSync(file, `DATABASE_URL=${URL_WITH_SHELL_CHARACTERS}\n`, { mode: 0o600 });
      const env: NodeJS.ProcessEnv = {};
      expect(loadEnvFile(file, env)).toEqual(["DATABASE_URL"]);
      expect(loadConfig({ env }).config.database.url).toBe(URL_WITH_SHELL_CHARACTERS);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `chainvault daemon --environment-file` end to end (in this process): whatever the env file says for
 * DATABASE_URL is what the daemon connects to, or it stops with one line - never the embedded database.
 */
describe("daemon --environment-file and DATABASE_URL", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-daemon-env-"));
    delete process.env.DATABASE_URL;
  });
  afterEach(() => {
    // The daemon loads the env file into this process's environment.
    delete process.env.DATABASE_URL;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function daemonWith(envLine: string) {
    const envFile = path.join(dir, "env");
    fs.writeFileSync(envFile, `# secrets\n${envLine}\n`, { mode: 0o600 });
    const dataDir = path.join(dir, "data");
    delete process.env.DATABASE_URL; // set by an earlier run, it would win over the file
    const result = await runMain(["daemon", "--once", "--environment-file", envFile, "--data-dir", dataDir]);
    // No embedded database was created in its place.
    expect(fs.existsSync(dataDir)).toBe(false);
    return { ...result, envFile };
  }

  it("exits 2 with one line naming DATABASE_URL and the env file when it is set but empty", async () => {
    // What a shell-sourced env file used to hand the daemon for DATABASE_URL=postgres://u:pa$$w0rd@…
    const { code, stderr, envFile } = await daemonWith("DATABASE_URL=");
    expect(code).toBe(2);
    expect(stderr).toBe(
      "chainvault: environment variable DATABASE_URL is set but empty: set it to " +
        "postgres://user:password@host:5432/database, or unset it to use the embedded database " +
        `(DATABASE_URL is set in ${envFile})\n`,
    );
  });

  it("exits 2 naming the variable for an unknown scheme or an unreadable line", async () => {
    const scheme = await daemonWith("DATABASE_URL='mysql://u:s3cret@db/x'");
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toMatch(
      /^chainvault: environment variable DATABASE_URL \(database\.url\): must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\/ \(DATABASE_URL is set in .*env\)\n$/,
    );
    const unclosed = await daemonWith('DATABASE_URL="postgres://u:s3cret@db/x');
    expect(unclosed.code).toBe(2);
    expect(unclosed.stderr).toMatch(
      /^chainvault: env file .*env, line 2: the value of DATABASE_URL opens a " quote/,
    );
    for (const said of [scheme.stderr, unclosed.stderr]) expect(said).not.toContain("s3cret");
  });

  it("connects to the URL exactly as written, $$, $ and & included", async () => {
    // Port 9 refuses at once: the error names the URL the daemon used, its password masked.
    const { code, stderr } = await daemonWith(`DATABASE_URL=postgres://u:pa$$w0rd@127.0.0.1:9/db?a=1&b=$2`);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^chainvault: cannot open the database: cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:9\/db\?a=1&b=\$2: /m,
    );
    expect(stderr).not.toContain("w0rd");
  });
});
