import fs from "node:fs";
import { parseEnv } from "node:util";
import { UsageError, errorMessage } from "../core/errors.ts";

/**
 * The daemon's env file (`chainvault daemon --environment-file`): KEY=value lines with DATABASE_URL and the
 * like, read by the daemon itself rather than by the service manager, so that a file other users
 * can read is refused instead of quietly used. Variables already in the environment win.
 * Returns the names it set.
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
  const values = parseEnv(fs.readFileSync(file, "utf8"));
  const set: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
