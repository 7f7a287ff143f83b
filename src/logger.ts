import pino from "pino";
import type { Logger } from "pino";
import { prettyFactory } from "pino-pretty";

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

/** pino's JSON lines as a person reads them: local time, level, message, then the fields on the same line. */
export function prettyLines(write: (text: string) => void, colorize = false): pino.DestinationStream {
  const format = prettyFactory({ colorize, singleLine: true, translateTime: "SYS:HH:MM:ss" });
  return { write: (line: string) => write(format(line)) };
}

/**
 * Where a command's log lines go: readable ones on a terminal, JSON lines (one object each, for a
 * log file or a log shipper) anywhere else or when `json` asks for them.
 */
export function logDestination(
  stream: NodeJS.WriteStream = process.stderr,
  options: { json?: boolean } = {},
): pino.DestinationStream {
  if (options.json || !stream.isTTY) return stream;
  return prettyLines((text) => stream.write(text), stream.hasColors());
}

export function createLogger(
  options: { level?: pino.LevelWithSilent; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    { level: options.level ?? "info", base: undefined, redact: { paths: REDACTED_PATHS, censor: "***" } },
    options.destination ?? logDestination(),
  );
}
