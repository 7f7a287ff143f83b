import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/chainvault.js", import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/chainvault.js` in a separate node process (the same node as the tests), as a user
 * would. DATABASE_URL and CHAINVAULT_* from the test environment are removed unless given in `env`.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, ...env }, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
