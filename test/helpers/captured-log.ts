import pino from "pino";
import type { Logger } from "../../src/logger.ts";

export interface LogLine {
  level: number;
  msg: string;
  err?: unknown;
  [field: string]: unknown;
}

/** A logger whose lines a test can read back: what a user would see, as objects. */
export interface CapturedLog {
  logger: Logger;
  lines: LogLine[];
  /** Lines whose message matches. */
  matching(message: RegExp): LogLine[];
}

export function capturedLog(level: pino.LevelWithSilent = "info"): CapturedLog {
  const lines: LogLine[] = [];
  const logger = pino(
    { level, base: undefined },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines, matching: (message) => lines.filter((line) => message.test(line.msg)) };
}
