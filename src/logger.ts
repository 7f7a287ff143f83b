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
  // Alert channels: a webhook URL is a secret (whoever has it can post), and so is the SMTP password
  // (nodemailer's auth.pass) wherever a channel's settings or transport end up in a log line.
  "url",
  "*.*.url",
  "webhook_url",
  "webhookUrl",
  "*.webhookUrl",
  "pass",
  "*.pass",
  "*.*.pass",
  "smtp_password",
  "*.smtp_password",
];

/**
 * Replaces the passwords in a connection URL so it can be printed: the one after `user:` and any
 * `password=` / `sslpassword=` query parameter. Read as text, not with `new URL`, because a password
 * holding an unencoded @ # or / makes a URL parser split it in the wrong place and print its tail.
 * The user info therefore runs to the last "@": a query with an "@" in it hides more than needed,
 * never less.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url;
  let rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf("@");
  const colon = rest.indexOf(":");
  if (at > 0 && colon >= 0 && colon < at) rest = `${rest.slice(0, colon)}:***${rest.slice(at)}`;
  rest = rest.replace(/([?&](?:ssl)?password=)[^&]*/gi, "$1***");
  return scheme[0] + rest;
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
