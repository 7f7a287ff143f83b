import { randomBytes } from "node:crypto";
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../logger.ts";
import { isAlive } from "../store/data-dir-lock.ts";
import type { QuoteRow } from "../store/repositories/quotes.ts";
import { DatabaseOutageError } from "../store/outage.ts";
import { isDatabaseUnavailable } from "../store/unavailable.ts";

/**
 * The quote spool: where a run keeps the quotes it took while the database was away, until they
 * are stored. Rows are held in memory up to a bound; beyond it they go to a file of the run's own
 * (`quotes-HOST-PID-STAMP-RANDOM.jsonl` in the spool directory): a header line, then one JSON row
 * per line, every append fsynced before the run goes on. A file left by a run that died is stored by
 * the next run (`replayLeftSpools`); storing is idempotent, so a row stored twice is kept once.
 *
 * It lives next to the quote writer rather than in src/store: it is the collector's way of carrying
 * on without the store, holds no SQL, and hands its rows back to the store's normal COPY path.
 */

/** The first line of a spool file. */
interface SpoolHeader {
  chainvault_spool: 1;
  /** databaseIdentity() of the database the rows belong to. */
  database: string;
  host: string;
  pid: number;
  created: string;
}

export interface QuoteSpoolOptions {
  dir: string;
  /** Rows kept in memory before they are written to the file; 0 sends every row to the file. */
  memoryRows: number;
  /** databaseIdentity() of the run's database: the spool is only ever replayed into it. */
  database: string;
  logger?: Logger;
  /**
   * Told once when memory is past its bound and the file cannot take the rows (disk full): the run must
   * stop taking contracts, or memory would grow without bound. Rows still arriving are kept in memory.
   */
  onFull?: (error: unknown) => void;
}

/** How many rows a spool file gave back, and how many lines of it could not be read. */
export interface SpoolRead {
  rows: number;
  /** Lines in the middle of the file that were not a row (not expected; reported). */
  corrupt: number;
  /** A last line without its newline: a write cut short by a crash (expected; ignored). */
  torn: boolean;
}

const SPOOL_NAME = /^quotes-(.+)-(\d+)-(\d{8}T\d{6}Z)-([0-9a-f]{6})\.jsonl$/;

/** Spool files this process is writing or replaying: never another run's to take over. */
const inUse = new Set<string>();

function hostLabel(): string {
  return os.hostname().replace(/[^A-Za-z0-9.-]/g, "_");
}

function ownFileName(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `quotes-${hostLabel()}-${process.pid}-${stamp}-${randomBytes(3).toString("hex")}.jsonl`;
}

/** collect.spool_dir, or `spool` next to the embedded engine's data directory. */
export function spoolDirOf(config: Config): string {
  return path.resolve(
    config.collect.spool_dir ?? path.join(path.dirname(path.resolve(config.database.data_dir)), "spool"),
  );
}

function toLine(row: QuoteRow): string {
  return JSON.stringify(row) + "\n";
}

function toRow(line: string): QuoteRow | null {
  const parsed = JSON.parse(line) as Partial<QuoteRow> & { time?: string };
  if (typeof parsed !== "object" || parsed === null || typeof parsed.contractId !== "number") return null;
  const time = new Date(parsed.time ?? Number.NaN);
  if (Number.isNaN(time.getTime()) || typeof parsed.collectionDate !== "string") return null;
  return { ...(parsed as QuoteRow), time };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads a spool file in batches of `batchRows`. The header is checked by the caller; a line that
 * is not a row is skipped and counted, a torn last line is ignored.
 */
export async function* readSpoolFile(
  file: string,
  batchRows: number,
  read: SpoolRead = { rows: 0, corrupt: 0, torn: false },
): AsyncGenerator<QuoteRow[]> {
  let batch: QuoteRow[] = [];
  let pending = "";
  let header = true;
  const take = (line: string): void => {
    if (header) {
      header = false;
      return;
    }
    if (line.length === 0) return;
    let row: QuoteRow | null;
    try {
      row = toRow(line);
    } catch {
      row = null;
    }
    if (row === null) read.corrupt++;
    else {
      batch.push(row);
      read.rows++;
    }
  };
  for await (const chunk of fs.createReadStream(file, { encoding: "utf8" })) {
    pending += chunk as string;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      take(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
      if (batch.length >= batchRows) {
        yield batch;
        batch = [];
      }
    }
  }
  if (pending.length > 0) read.torn = true;
  if (batch.length > 0) yield batch;
}

async function readHeader(file: string): Promise<SpoolHeader | null> {
  const handle = await fs.promises.open(file, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const newline = text.indexOf("\n");
    if (newline < 0) return null;
    const parsed = JSON.parse(text.slice(0, newline)) as Partial<SpoolHeader>;
    return parsed.chainvault_spool === 1 && typeof parsed.database === "string"
      ? (parsed as SpoolHeader)
      : null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** One run's spool: memory up to `memoryRows`, then its fsynced file. Operations run one at a time. */
export class QuoteSpool {
  readonly file: string;
  readonly #options: QuoteSpoolOptions;
  #memory: QuoteRow[] = [];
  #onDisk = 0;
  /** Rows handed to add() that wait for an operation in progress. */
  #arriving = 0;
  #handle: FileHandle | null = null;
  /** Bytes of the file known to be written in full. */
  #bytes = 0;
  #writeError: unknown = undefined;
  /** Set once memory was past its bound with the file refusing rows: `onFull` has been told. */
  #full = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: QuoteSpoolOptions) {
    this.#options = options;
    this.file = path.join(options.dir, ownFileName());
    inUse.add(this.file);
  }

  /** Rows held, in memory and on disk, including those still being added. */
  get size(): number {
    return this.#memory.length + this.#onDisk + this.#arriving;
  }

  get onDisk(): number {
    return this.#onDisk;
  }

  get inMemory(): number {
    return this.#memory.length;
  }

  /** Why the file could not be written (disk full), if it could not; cleared when a later write succeeds. */
  get writeError(): unknown {
    return this.#writeError;
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Keeps rows; once memory holds more than its bound, all of it goes to the file (fsynced). When the
   * file cannot be written (disk full), `onFull` stops the run and the rows stay in memory: past the
   * bound only by what was in flight when the run stopped.
   */
  add(rows: readonly QuoteRow[]): Promise<void> {
    this.#arriving += rows.length;
    return this.#serially(async () => {
      this.#arriving -= rows.length;
      this.#memory.push(...rows);
      if (this.#memory.length <= this.#options.memoryRows) return;
      try {
        await this.#spill();
      } catch (error) {
        if (!this.#full) {
          this.#full = true;
          this.#options.logger?.error(
            { file: this.file, err: errorMessage(error), inMemory: this.#memory.length },
            "cannot write the quote spool and its memory is full: the run stops taking contracts",
          );
          this.#options.onFull?.(error);
        }
      }
    });
  }

  /** Writes what memory holds to the file, so all of the spool survives the process. */
  persist(): Promise<void> {
    return this.#serially(() => this.#spill());
  }

  async #spill(): Promise<void> {
    try {
      await this.#write();
      this.#writeError = undefined;
    } catch (error) {
      this.#writeError = error;
      throw error;
    }
  }

  async #write(): Promise<void> {
    if (this.#memory.length === 0) return;
    let text = this.#memory.map(toLine).join("");
    if (this.#handle === null) {
      await fs.promises.mkdir(this.#options.dir, { recursive: true, mode: 0o700 });
      this.#handle = await fs.promises.open(this.file, "a", 0o600);
    }
    const created = this.#bytes === 0;
    if (created) {
      const header: SpoolHeader = {
        chainvault_spool: 1,
        database: this.#options.database,
        host: os.hostname(),
        pid: process.pid,
        created: new Date().toISOString(),
      };
      text = JSON.stringify(header) + "\n" + text;
    }
    try {
      await this.#handle.write(text);
      await this.#handle.sync();
    } catch (error) {
      // A write cut short (disk full) must not leave half a line for the next append to run into.
      await this.#handle.truncate(this.#bytes).catch(() => undefined);
      throw error;
    }
    this.#bytes += Buffer.byteLength(text);
    // The new file's directory entry must survive a crash too.
    if (created) await syncDirectory(this.#options.dir);
    this.#onDisk += this.#memory.length;
    this.#memory = [];
  }

  /**
   * Hands everything held to `store` in batches (the file's rows first), then forgets it and
   * removes the file. When `store` throws, nothing is forgotten: the next drain offers the same rows
   * again, and the store keeps one copy of each. Returns the rows offered and what `store` counted.
   */
  drain(
    store: (rows: QuoteRow[]) => Promise<number>,
    batchRows: number,
  ): Promise<{ rows: number; stored: number }> {
    return this.#serially(async () => {
      let rows = 0;
      let stored = 0;
      if (this.#onDisk > 0) {
        for await (const batch of readSpoolFile(this.file, batchRows)) {
          stored += await store(batch);
          rows += batch.length;
        }
      }
      for (let start = 0; start < this.#memory.length; start += batchRows) {
        const batch = this.#memory.slice(start, start + batchRows);
        stored += await store(batch);
        rows += batch.length;
      }
      this.#memory = [];
      await this.#removeFile();
      return { rows, stored };
    });
  }

  /** Forgets every row held and removes the file: for quotes another run now collects. Returns how many. */
  discard(): Promise<number> {
    return this.#serially(async () => {
      const rows = this.#memory.length + this.#onDisk;
      this.#memory = [];
      await this.#removeFile();
      return rows;
    });
  }

  async #removeFile(): Promise<void> {
    if (this.#handle === null) return;
    await this.#handle.close();
    this.#handle = null;
    this.#onDisk = 0;
    this.#bytes = 0;
    await fs.promises.rm(this.file, { force: true });
  }

  /**
   * Ends the spool: an empty one leaves nothing behind; rows still held are written to the file,
   * which stays for the next run. Returns the file and its rows, or null when nothing was left.
   */
  close(): Promise<{ file: string; rows: number } | null> {
    return this.#serially(async () => {
      try {
        await this.#spill();
      } finally {
        const opened = this.#handle !== null;
        if (this.#handle !== null) await this.#handle.close();
        this.#handle = null;
        // Opened but holding no row: a header at most, nothing for the next run.
        if (opened && this.#onDisk === 0) await fs.promises.rm(this.file, { force: true });
        inUse.delete(this.file);
      }
      return this.#onDisk > 0 ? { file: this.file, rows: this.#onDisk } : null;
    });
  }
}

export interface LeftSpoolsOptions {
  dir: string;
  /** databaseIdentity() of the database to store into; files of other databases are left alone. */
  database: string;
  store: (rows: QuoteRow[]) => Promise<number>;
  batchRows: number;
  logger: Logger;
}

/** What replaying the spools left by earlier runs did. */
export interface LeftSpoolsReplay {
  files: number;
  rows: number;
  /** Rows newly stored (the rest were stored before the earlier run died). */
  stored: number;
}

/**
 * Stores the spool files earlier runs left behind: those whose process is gone (on this host), and
 * files of this very pid that no spool of this process holds (a container restarted as PID 1).
 * Each file is first renamed to this process's name, so two runs starting at once do not both take
 * it, and one that dies while replaying leaves it for the next. A file whose rows cannot be stored
 * for another reason than an outage is kept and reported; an outage is thrown to the caller.
 */
export async function replayLeftSpools(options: LeftSpoolsOptions): Promise<LeftSpoolsReplay> {
  const { dir, logger } = options;
  const total: LeftSpoolsReplay = { files: 0, rows: 0, stored: 0 };
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (error) {
    // No spool directory: nothing was ever spooled. One that cannot be read must not stop the collection.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      logger.warn(
        { dir, err: errorMessage(error) },
        "cannot read the spool directory; left spools are not stored",
      );
    return total;
  }
  for (const name of names.sort()) {
    const match = SPOOL_NAME.exec(name);
    if (!match) continue;
    const file = path.join(dir, name);
    const pid = Number(match[2]);
    if (inUse.has(file) || match[1] !== hostLabel()) continue;
    if (pid !== process.pid && isAlive(pid)) continue;
    const header = await readHeader(file).catch(() => null);
    if (header === null) {
      // The header goes out with the first rows in one fsynced write: without it, no row was kept.
      await fs.promises.rm(file, { force: true });
      continue;
    }
    if (header.database !== options.database) {
      logger.warn(
        { file, database: header.database },
        "a quote spool of another database is left in place (point chainvault at that database to store it)",
      );
      continue;
    }
    const claimed = path.join(dir, ownFileName());
    try {
      await fs.promises.rename(file, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // another run took it
      throw error;
    }
    inUse.add(claimed);
    const read: SpoolRead = { rows: 0, corrupt: 0, torn: false };
    let stored = 0;
    try {
      for await (const batch of readSpoolFile(claimed, options.batchRows, read)) {
        stored += await options.store(batch);
      }
      await fs.promises.rm(claimed, { force: true });
    } catch (error) {
      if (isDatabaseUnavailable(error) || error instanceof DatabaseOutageError) throw error;
      logger.error(
        { file: claimed, err: errorMessage(error) },
        "could not store a quote spool left by an earlier run; it is kept and tried again by the next run",
      );
      continue;
    } finally {
      inUse.delete(claimed);
    }
    total.files++;
    total.rows += read.rows;
    total.stored += stored;
    logger.info(
      {
        file,
        rows: read.rows,
        stored,
        alreadyStored: read.rows - stored,
        ...(read.corrupt > 0 ? { unreadableLines: read.corrupt } : {}),
        ...(read.torn ? { tornLastLine: true } : {}),
      },
      "stored the quotes an earlier run spooled while the database was away",
    );
  }
  return total;
}
