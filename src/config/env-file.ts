import fs from "node:fs";
import { UsageError, errorMessage } from "../core/errors.ts";

/**
 * The daemon's env file (`chainvault daemon --environment-file`), read by chainvault itself on every
 * platform rather than by `sh` or systemd's EnvironmentFile=, whose rules differ: a shell expands
 * `$$` and `$w0rd` in `DATABASE_URL=postgres://u:pa$$w0rd@h/db?a=1&b=2` and ends the line at `&`,
 * so the URL arrived empty and the daemon quietly fell back to the embedded database. Node's own
 * parseEnv cuts an unquoted value at any `#`, which is common in generated passwords.
 *
 * The format (README, "Env file format"):
 * - one `NAME=value` per line, optionally after `export `; spaces around the name and `=` are ignored;
 * - blank lines and lines starting with `#` are comments; lines may end in LF or CRLF;
 * - an unquoted value runs to the end of the line, trailing blanks removed; ` #` (a blank, then `#`)
 *   starts a comment, a `#` inside a word does not;
 * - 'single quotes' keep everything literally; "double quotes" too, except `\"` and `\\`;
 * - nothing is ever expanded: `$`, `&`, `` ` `` and `\` outside double quotes are plain characters;
 * - `NAME=` sets an empty value; a name given twice, a line without `=`, an unclosed quote or text
 *   after a closing quote is an error naming the file and line (never the value, which may be secret).
 */
export function parseEnvFile(text: string, file: string): Map<string, string> {
  const values = new Map<string, string>();
  const seenOn = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const fail = (problem: string): never => {
      throw new UsageError(
        `env file ${file}, line ${lineNumber}: ${problem}; each line is NAME=value ` +
          `(see "Env file format" in the README)`,
      );
    };
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const assignment = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/.exec(trimmed);
    if (!assignment) {
      const name = /^(?:export[ \t]+)?([^=\s]*)/.exec(trimmed)?.[1] ?? "";
      return fail(
        trimmed.includes("=")
          ? `"${name}" is not a variable name (letters, digits and _, not starting with a digit)`
          : `no "=" after ${name === "" ? "the name" : `"${name}"`}`,
      );
    }
    const name = assignment[1]!;
    const value = readValue(trimmed.slice(assignment[0].length), name, fail);
    const earlier = seenOn.get(name);
    if (earlier !== undefined) fail(`${name} is already set on line ${earlier}: keep one of the two`);
    seenOn.set(name, lineNumber);
    values.set(name, value);
  });
  return values;
}

function readValue(afterEquals: string, name: string, fail: (problem: string) => never): string {
  const rest = afterEquals.trimStart();
  const quote = rest[0];
  if (quote !== '"' && quote !== "'") {
    // As in sh, `#` starts a comment only after a blank: `pa#ss` keeps it, `NAME= # note` is empty.
    const comment = /[ \t]#/.exec(afterEquals);
    return (comment ? afterEquals.slice(0, comment.index) : afterEquals).trim();
  }
  let value = "";
  let index = 1;
  for (; index < rest.length; index += 1) {
    const char = rest[index]!;
    if (char === quote) break;
    if (quote === '"' && char === "\\" && (rest[index + 1] === '"' || rest[index + 1] === "\\")) {
      index += 1;
      value += rest[index];
      continue;
    }
    value += char;
  }
  if (index >= rest.length) fail(`the value of ${name} opens a ${quote} quote that this line never closes`);
  const after = rest.slice(index + 1);
  if (after.trim() !== "" && !/^[ \t]+#/.test(after)) {
    fail(`text after the closing ${quote} of ${name}: quote the whole value`);
  }
  return value;
}

/**
 * Reads the env file into `env`, refusing a file other users can read (it holds secrets).
 * Variables already in the environment win. Returns the names it set.
 */
export function loadEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `env file ${file} does not exist: create it with chmod 600, or leave out --environment-file`
        : `cannot read env file ${file}: ${errorMessage(error)}`,
    );
  }
  if (!stat.isFile()) throw new UsageError(`env file ${file} is not a file`);
  if ((stat.mode & 0o077) !== 0) {
    throw new UsageError(
      `env file ${file} is open to other users (mode ${(stat.mode & 0o777).toString(8)}) and holds secrets: ` +
        `run chmod 600 ${file}`,
    );
  }
  const set: string[] = [];
  for (const [name, value] of parseEnvFile(fs.readFileSync(file, "utf8"), file)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
