import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isAlive } from "../data-dir-lock.ts";
import { EMBEDDED_DATABASE } from "./wire-server.ts";

/**
 * A process that holds an embedded data directory and serves it (`db serve`, the daemon) says where in
 * `chainvault.serve.json` beside the lock file, so a command that finds the directory locked can read
 * through that server instead of failing. Written once the server listens, removed when it stops; a
 * record whose process is gone (killed) is ignored.
 */

export const SERVE_RECORD_FILE = "chainvault.serve.json";

export interface ServeRecord {
  pid: number;
  host: string;
  /** Always 127.0.0.1. */
  address: string;
  port: number;
  database: string;
  /** databaseIdentity() of the served cluster, so a reader can tell it reached this very database. */
  identity: string;
  since: string;
}

/** The URL a client uses to reach a served embedded database (no password: the server asks none). */
export function servedUrl(record: Pick<ServeRecord, "address" | "port" | "database">): string {
  return `postgres://postgres@${record.address}:${record.port}/${record.database}`;
}

export function writeServeRecord(dataDir: string, port: number, identity: string): () => void {
  const record: ServeRecord = {
    pid: process.pid,
    host: os.hostname(),
    address: "127.0.0.1",
    port,
    database: EMBEDDED_DATABASE,
    identity,
    since: new Date().toISOString(),
  };
  const file = path.join(dataDir, SERVE_RECORD_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(record) + "\n", { mode: 0o600 });
  fs.renameSync(temporary, file);
  return () => {
    // Only our own record: a later server may have replaced it.
    if (readRecordFile(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
}

function readRecordFile(file: string): ServeRecord | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<ServeRecord>;
    if (typeof parsed.pid !== "number" || typeof parsed.port !== "number") return null;
    return parsed as ServeRecord;
  } catch {
    return null;
  }
}

/** The record of a live server of this directory on this host, else null. */
export function readServeRecord(dataDir: string): ServeRecord | null {
  const record = readRecordFile(path.join(dataDir, SERVE_RECORD_FILE));
  if (record === null || record.host !== os.hostname() || !isAlive(record.pid)) return null;
  return record;
}
