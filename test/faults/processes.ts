import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Database } from "../../src/store/database.ts";
import { BIN } from "../helpers/cli.ts";

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
    child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
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

/**
 * Polls `condition` every 50 ms until it holds; fails after `timeoutMs` naming `what`, or as soon as
 * `process` (when given) exits, with what it printed.
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
  process?: RunningProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void process?.exited.then(() => (exited = true));
  while (!(await condition())) {
    if (exited) throw new Error(`exited while waiting for ${what}:\n${process!.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A chainvault.yaml for a collection against the simulator at `port`. `lines` are appended after the
 * `collect:` keys: more of them, then further sections.
 */
export function writeConfig(dir: string, port: number, lines: string[] = []): string {
  const file = path.join(dir, "chainvault.yaml");
  fs.writeFileSync(
    file,
    [
      "ib:",
      `  port: ${port}`,
      "  max_messages_per_second: 1000",
      // A few lines at once and a slow gateway make the run last long enough to be cut in the middle.
      "  max_market_data_lines: 4",
      "collect:",
      "  connect_attempts: 2",
      "  include_vix: false",
      "  write_batch_rows: 10",
      ...lines,
      "log:",
      "  level: info",
      "",
    ].join("\n"),
  );
  return file;
}

export interface StoredQuotes {
  /** Rows per symbol. */
  rows: Map<string, number>;
  total: number;
  /** Distinct (contract, type) keys: one row per contract and collection, so equal to `total` unless duplicated. */
  distinctContracts: number;
  /** `contract_id@time` of every row, to show that committed rows survive. */
  keys: Set<string>;
}

export async function storedQuotes(db: Database, date: string, type = "eod"): Promise<StoredQuotes> {
  const result = await db.query<{ symbol: string; contract_id: number; at: string }>(
    `SELECT u.symbol, q.contract_id, q.time::text AS at
       FROM market_data_ticks q
       JOIN option_chains c ON c.id = q.contract_id
       JOIN underlying_securities u ON u.id = c.underlying_id
      WHERE q.collection_date = $1 AND q.collection_type = $2`,
    [date, type],
  );
  const rows = new Map<string, number>();
  const contracts = new Set<number>();
  const keys = new Set<string>();
  for (const row of result.rows) {
    rows.set(row.symbol, (rows.get(row.symbol) ?? 0) + 1);
    contracts.add(row.contract_id);
    keys.add(`${row.contract_id}@${row.at}`);
  }
  return { rows, total: result.rows.length, distinctContracts: contracts.size, keys };
}

export interface StatusRow {
  symbol: string;
  status: string | null;
  records: number | null;
  error: string | null;
}

export async function statusRows(db: Database, date: string, type = "eod"): Promise<Map<string, StatusRow>> {
  const result = await db.query<{
    symbol: string;
    status: string | null;
    records_collected: number | null;
    error_message: string | null;
  }>(
    `SELECT symbol, status, records_collected, error_message FROM daily_collection_status
      WHERE collection_date = $1 AND collection_type = $2`,
    [date, type],
  );
  return new Map(
    result.rows.map((row) => [
      row.symbol,
      { symbol: row.symbol, status: row.status, records: row.records_collected, error: row.error_message },
    ]),
  );
}

/** The `--json` summary of a collect run. */
export interface SummaryJson {
  symbols: Array<{ symbol: string; status: string; contracts_selected: number; quotes_stored: number }>;
}

export function summaryOf(run: RunningProcess): SummaryJson {
  return JSON.parse(run.stdout()) as SummaryJson;
}
