import { etInstant, toEt } from "../calendar/index.ts";
import { LOG_LEVELS } from "../config/schema.ts";
import type { LogLevel } from "../config/schema.ts";
import { createLogger } from "../logger.ts";
import { loadFaultConfig, type FaultConfig } from "../sim/faults.ts";
import { startSimulator } from "../sim/server.ts";
import { CommandFailure, UsageError, errorMessage } from "../core/errors.ts";

const SIM_LOG_LEVELS: readonly string[] = [...LOG_LEVELS, "silent"];

function isSimLogLevel(text: string): text is LogLevel | "silent" {
  return SIM_LOG_LEVELS.includes(text);
}

export interface SimCommandOptions {
  port: string;
  host: string;
  seed: string;
  date?: string;
  time?: string;
  rate: string;
  lines: string;
  snapshotLatency: string;
  faults?: string;
  logLevel: string;
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${name} ${text}: give a whole number from ${min} to ${max}`);
  return value;
}

/** A limit: a positive number, or "inf"/"unlimited" to lift it. */
function limit(name: string, text: string): number {
  if (/^(inf|infinity|unlimited|none)$/i.test(text)) return Infinity;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`${name} ${text}: give a positive number, or "inf" to lift the limit`);
  return value;
}

export async function simAction(options: SimCommandOptions): Promise<void> {
  const port = integer("--port", options.port, 0, 65535);
  const seed = integer("--seed", options.seed, 0, 2 ** 31 - 1);
  const now = toEt(new Date());
  const date = options.date ?? now.date;
  const time = options.time ?? now.time;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
    throw new UsageError(`--date ${date}: write it as YYYY-MM-DD, e.g. 2026-01-14`);
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(time))
    throw new UsageError(`--time ${time}: write it as HH:MM (24-hour, New York), e.g. 16:45`);
  if (date < "2022-01-03" || date > "2030-12-31")
    throw new UsageError(`--date ${date}: the synthetic market covers 2022-01-03 to 2030-12-31`);
  let faults: FaultConfig | undefined;
  if (options.faults) {
    try {
      faults = await loadFaultConfig(options.faults);
    } catch (error) {
      throw new UsageError(`--faults: ${errorMessage(error)}`);
    }
  }
  const rate = limit("--rate", options.rate);
  const lines = limit("--lines", options.lines);
  const snapshotLatencyMs = integer("--snapshot-latency", options.snapshotLatency, 0, 60_000);
  const level = options.logLevel;
  if (!isSimLogLevel(level))
    throw new UsageError(`--log-level ${level}: use one of ${SIM_LOG_LEVELS.join(", ")}`);
  const logger = createLogger({ level });
  let sim;
  try {
    sim = await startSimulator({
      port,
      host: options.host,
      seed,
      start: { date, timeEt: time },
      rate,
      lines,
      snapshotLatencyMs,
      faults,
      logger,
    });
  } catch (error) {
    const reason = errorMessage(error);
    throw new CommandFailure(
      `cannot listen on ${options.host}:${port}: ${reason}. Is another gateway running there? Try --port 0 or another port.`,
    );
  }
  process.stderr.write(
    `chainvault sim: listening on ${sim.host}:${sim.port} (seed ${seed}, New York ${date} ${time} = ${etInstant(date, time).toISOString()}); Ctrl-C stops it\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "stopping the simulated gateway");
  await sim.close();
  logger.flush?.();
}
