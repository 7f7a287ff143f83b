import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import YAML from "yaml";
import type { IsoDate } from "../../src/calendar/index.ts";
import type { Logger } from "../../src/logger.ts";
import { startSimulator } from "../../src/sim/server.ts";
import type { SimOptions, Simulator } from "../../src/sim/server.ts";
import type { Database } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { openDatabase } from "../../src/store/open.ts";
import { BIN } from "../helpers/cli.ts";
import { createServerDatabase } from "../helpers/db.ts";
import { copyMigratedDataDir } from "../helpers/pglite-template.ts";
import { waitUntil } from "../helpers/wait.ts";

/**
 * What the fault tests share: the simulated gateway with a database and a working directory, the one
 * chainvault.yaml writer, chainvault processes started as a user would, and waiting on a condition.
 * Reading a collection back is in ./checks.ts.
 */

export const DATE = "2025-01-15"; // a Wednesday; the simulators start at 16:45 ET, after the close

// ---------------------------------------------------------------------------------------------------
// Waiting

/**
 * Waits until `check` holds (test/helpers/wait.ts), with a generous ceiling; fails at once, with what
 * it printed, when `process` exits first.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs?: number; process?: RunningProcess } = {},
): Promise<void> {
  const running = options.process;
  let exited = false;
  void running?.exited.then(() => (exited = true));
  await waitUntil(
    async () => {
      if (await check()) return true;
      if (exited) throw new Error(`exited while waiting for ${what}:\n${running!.stderr()}`);
      return false;
    },
    { what, timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 20 },
  );
}

// ---------------------------------------------------------------------------------------------------
// chainvault.yaml

type Scalar = string | number | boolean;
/** A chainvault.yaml as data: top-level keys (`symbols`) and sections of keys. */
export type ConfigDoc = Record<string, Scalar | Scalar[] | Record<string, unknown>>;

function merge(base: ConfigDoc, extra: ConfigDoc): ConfigDoc {
  const merged: ConfigDoc = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const before = merged[key];
    merged[key] =
      typeof value === "object" &&
      !Array.isArray(value) &&
      typeof before === "object" &&
      !Array.isArray(before)
        ? { ...before, ...value }
        : value;
  }
  return merged;
}

/**
 * Writes `dir/chainvault.yaml` for runs against the simulator `sim`: the gateway's address, an unpaced
 * client (1,000 msg/s), no VIX and info logs, merged section by section with `extra`. Returns its path.
 */
export function writeConfig(dir: string, sim: { host: string; port: number }, extra: ConfigDoc = {}): string {
  const file = path.join(dir, "chainvault.yaml");
  const base: ConfigDoc = {
    ib: { host: sim.host, port: sim.port, max_messages_per_second: 1000 },
    collect: { include_vix: false },
    log: { level: "info" },
  };
  fs.writeFileSync(file, YAML.stringify(merge(base, extra)));
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Simulator, database, directory

export interface FaultSetup {
  sim: Simulator;
  /** A fresh temporary directory, removed by close(); the config file is written there. */
  dir: string;
  /** dir/chainvault.yaml, when `config` was given. */
  config: string;
  /** The environment that points a chainvault process at the database. */
  env: Record<string, string>;
  /** The server database (engine "postgres"), migrated. */
  server?: Awaited<ReturnType<typeof createServerDatabase>>;
  /** The test's own connection to it. */
  db?: Database;
  /** dir/data, a migrated embedded data directory (engine "embedded"). */
  dataDir?: string;
  close(): Promise<void>;
}

/**
 * The simulator (unlimited rate and lines, clock at 16:45 ET on `date`, `sim` over that), a temporary
 * directory with chainvault.yaml (`config`, see writeConfig), and a migrated database: a fresh one on the
 * shared PostgreSQL server, or an embedded data directory copied from a migrated template.
 */
export async function startFaultSetup(options: {
  engine: "postgres" | "embedded" | "none";
  date?: IsoDate;
  sim?: Partial<SimOptions>;
  config?: ConfigDoc;
}): Promise<FaultSetup> {
  const sim = await startSimulator({
    port: 0,
    start: { date: options.date ?? DATE, timeEt: "16:45" },
    rate: Infinity,
    lines: Infinity,
    ...options.sim,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chainvault-fault-"));
  const setup: FaultSetup = {
    sim,
    dir,
    config: options.config ? writeConfig(dir, sim, options.config) : "",
    env: {},
    async close() {
      await setup.db?.close();
      await setup.server?.drop();
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (options.engine === "postgres") {
      setup.server = await createServerDatabase();
      setup.db = await openDatabase({ url: setup.server.url, dataDir: "unused" });
      await migrate(setup.db);
      setup.env = { DATABASE_URL: setup.server.url };
    } else if (options.engine === "embedded") {
      setup.dataDir = await copyMigratedDataDir(path.join(dir, "data"));
      setup.env = { CHAINVAULT_DATA_DIR: setup.dataDir };
    }
  } catch (error) {
    await setup.close();
    throw error;
  }
  return setup;
}

// ---------------------------------------------------------------------------------------------------
// chainvault processes

/** A chainvault process the test started, with what it printed so far and how it ended. */
export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when it exits: code or signal, and performance.now() at that moment. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves when stderr has matched `pattern`; rejects after `timeoutMs` or when the process exits first. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** The environment without the test machine's chainvault settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(base)) {
    if (name.startsWith("CHAINVAULT_") || name.startsWith("IB_") || name === "DATABASE_URL")
      delete base[name];
  }
  return { ...base, ...env };
}

/** Starts `node <script> …args` (bin/chainvault.js unless `script` is given) as a user would. */
export function startProcess(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; script?: string; execArgv?: string[] } = {},
): RunningProcess {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), options.script ?? BIN, ...args], {
    env: cleanEnv(options.env ?? {}),
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const watcher of [...watchers]) watcher();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStderr(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (pattern.test(stderr)) done();
        };
        const timer = setTimeout(
          () => done(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        void exited.then(() => {
          check();
          if (watchers.has(check)) done(new Error(`exited before ${pattern} appeared:\n${stderr}`));
        });
        watchers.add(check);
        check();
      });
    },
  };
}

/** Runs a chainvault process to its end. */
export async function runProcess(
  args: string[],
  options: Parameters<typeof startProcess>[1] = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const running = startProcess(args, options);
  const { code, signal } = await running.exited;
  return { code, signal, stdout: running.stdout(), stderr: running.stderr() };
}

/** The `--json` summary of a collect run. */
export interface SummaryJson {
  symbols: Array<{
    symbol: string;
    status: string;
    coverage: number;
    contracts_selected: number;
    quotes_stored: number;
    error?: string;
  }>;
}

export function summaryOf(run: { stdout: string } | RunningProcess): SummaryJson {
  const text = typeof run.stdout === "function" ? run.stdout() : run.stdout;
  return JSON.parse(text) as SummaryJson;
}

/** The pid of a process that has exited: what a killed run leaves in its owner row. */
export function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

// ---------------------------------------------------------------------------------------------------
// In-process observers

/** A logger that keeps its messages, for asserting what a user would read. */
export function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() !== "") messages.push(String((JSON.parse(line) as { msg?: string }).msg ?? ""));
      }
      callback();
    },
  });
  return { logger: pino({ level: "info" }, stream), messages };
}

/** Resolves when `emitter` emits `event`; the promise carries the time it happened (Date.now()). */
export function nextEvent(
  emitter: { once(event: string, listener: () => void): unknown },
  event: string,
): Promise<number> {
  return new Promise((resolve) => emitter.once(event, () => resolve(Date.now())));
}
