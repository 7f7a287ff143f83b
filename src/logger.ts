import pino from "pino";
import type { Logger } from "pino";

export type { Logger };

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "databaseUrl",
  "*.databaseUrl",
  "*.url",
  "connectionString",
  "*.connectionString",
  "token",
  "*.token",
  "*.webhook_url",
  "*.*.webhook_url",
];

/** Replaces the password in a connection URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.CHAINVAULT_LOG_LEVEL ?? "info";
  return pino(
    { level, base: undefined, redact: { paths: REDACTED_PATHS, censor: "***" } },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}
