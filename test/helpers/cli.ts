import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/chainvault.js", import.meta.url));

export interface CliRun {
  code: number | null;
  /** The signal that ended the process (a test's SIGKILL), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process still running: the child (to signal it) and its outcome. */
export interface StartedCli {
  child: ChildProcess;
  done: Promise<CliRun>;
}

/** The test's environment without the variables that would point the CLI elsewhere, then `env`. */
function cliEnvironment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of [
    "DATABASE_URL",
    "CHAINVAULT_CONFIG",
    "CHAINVAULT_DATA_DIR",
    "IB_HOST",
    "IB_PORT",
    "IB_CLIENT_ID",
  ]) {
    delete base[name];
  }
  const merged = { ...base, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  return merged;
}

/**
 * Starts `bin/chainvault.js` in a separate node process (the same node as the tests), as a user
 * would. DATABASE_URL and CHAINVAULT_* from the test environment are removed unless given in `env`.
 */
export function startCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string } = {},
): StartedCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cliEnvironment(env),
    stdio: "pipe",
    cwd: options.cwd,
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to its end (see startCli). */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string } = {},
): Promise<CliRun> {
  return startCli(args, env, options).done;
}

/**
 * Runs the CLI's `main` in this process with stdout and stderr captured (no child process: seconds
 * faster). process.exitCode is reset before and after, so one command's code never leaks into the next.
 * With `as`, the command sees the environment startCli would give a child (`as.env` included) and runs in
 * `as.cwd`; both are restored afterwards, also what the command itself put into process.env (an env file).
 */
export async function runMain(
  argv: string[],
  as?: { env?: Record<string, string | undefined>; cwd?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import("../../src/cli/main.ts");
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof stdout;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof stderr;
  process.exitCode = undefined;
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  if (as !== undefined) {
    replaceEnvironment(cliEnvironment(as.env ?? {}));
    if (as.cwd !== undefined) process.chdir(as.cwd);
  }
  try {
    const code = await main(["node", "chainvault", ...argv]);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    process.exitCode = undefined;
    if (as !== undefined) {
      replaceEnvironment(savedEnv);
      process.chdir(savedCwd);
    }
  }
}

/** process.env is special (values become strings): it is changed in place, never reassigned. */
function replaceEnvironment(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
}
