import type { Connection, Submittable } from "pg";

/**
 * `COPY … TO STDOUT` straight into a writable, for the export. The server sends one CopyData message per row;
 * pg-copy-streams' copy-to makes a Buffer per message and a Readable stream of them, which cost the export more
 * JavaScript time (and garbage) than psql spends in total on the same rows (docs/backtesting.md, Figures). Here
 * each row's bytes are copied into an OUT_CHUNK buffer that is written when full and reused once written; the
 * socket is paused while OUT_CHUNKS of them wait to be written (back-pressure, and memory bounded by them).
 * Like pg-copy-streams, it reads the connection's socket itself while the COPY runs and gives it back to
 * node-postgres at the first message that is not part of the copy (CopyDone or an error), which then completes
 * the query as usual (CommandComplete, ReadyForQuery).
 */

const COPY_DATA = 0x64; // d
/** Messages skipped while copying: CopyOutResponse, NoticeResponse, ParameterStatus, NotificationResponse. */
const SKIPPED = new Set([0x48, 0x4e, 0x53, 0x41]);
/** A message's type byte and length word. */
const HEADER_BYTES = 5;
const OUT_CHUNK = 1 << 18;
/** Chunks handed to the writable and not yet written at which the socket is paused (back-pressure). */
const OUT_CHUNKS = 4;

type DataListener = (data: Buffer) => void;

/**
 * Written chunks kept for the next rows, shared by every COPY of the process: the Parquet export runs one COPY
 * per symbol-day, and a fresh set for each would be garbage the size of the chunks every time.
 */
const freeChunks: Buffer[] = [];
const takeChunk = (): Buffer => freeChunks.pop() ?? Buffer.allocUnsafeSlow(OUT_CHUNK);

export interface CopyOutSink {
  write(chunk: Buffer, callback: (error?: Error | null) => void): boolean;
  once(event: "error", listener: (error?: Error) => void): unknown;
  removeListener(event: "error", listener: (error?: Error) => void): unknown;
}

export class CopyOut implements Submittable {
  /** Settles when node-postgres has completed the COPY: the number of rows, or the error. */
  readonly done: Promise<number>;
  #resolve!: (rows: number) => void;
  #reject!: (error: Error) => void;
  readonly #text: string;
  readonly #out: CopyOutSink;
  #socket: Connection["stream"] | null = null;
  #pgListener: DataListener | null = null;
  #chunk: Buffer = takeChunk();
  #used = 0;
  /** Chunks handed to the writable and not written yet. */
  #inFlight = 0;
  #paused = false;
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerUsed = 0;
  /** The current message's type and the bytes of its body not read yet. */
  #type = 0;
  #bodyLeft = 0;
  #rows = 0;
  readonly #onData: DataListener = (data) => this.#receive(data);
  readonly #onOutError = (error?: Error): void => this.#reject(error ?? new Error("COPY output failed"));

  constructor(text: string, out: CopyOutSink) {
    this.#text = text;
    this.#out = out;
    this.done = new Promise<number>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Observed here so that a failure before anyone awaits `done` is not an unhandled rejection.
    this.done.catch(() => {});
  }

  submit(connection: Connection): void {
    const socket = connection.stream;
    const listeners = socket.listeners("data") as DataListener[];
    if (listeners.length !== 1)
      throw new Error(`COPY out: the socket has ${listeners.length} data listeners, not 1`);
    this.#socket = socket;
    this.#pgListener = listeners[0]!;
    socket.removeListener("data", this.#pgListener);
    socket.on("data", this.#onData);
    this.#out.once("error", this.#onOutError);
    connection.query(this.#text);
  }

  #receive(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.#bodyLeft === 0) {
        if (this.#headerUsed === 0 && offset + HEADER_BYTES <= data.length) {
          this.#type = data[offset]!;
          this.#bodyLeft = data.readUInt32BE(offset + 1) - 4;
          if (this.#type !== COPY_DATA) data.copy(this.#header, 0, offset, offset + HEADER_BYTES);
          offset += HEADER_BYTES;
        } else {
          // A header split across socket reads.
          const take = Math.min(HEADER_BYTES - this.#headerUsed, data.length - offset);
          data.copy(this.#header, this.#headerUsed, offset, offset + take);
          this.#headerUsed += take;
          offset += take;
          if (this.#headerUsed < HEADER_BYTES) return;
          this.#headerUsed = 0;
          this.#type = this.#header[0]!;
          this.#bodyLeft = this.#header.readUInt32BE(1) - 4;
        }
        if (this.#type !== COPY_DATA && !SKIPPED.has(this.#type)) {
          // CopyDone, an error or anything else ends the copy: node-postgres reads from this message on.
          this.#detach(Buffer.concat([this.#header, data.subarray(offset)]));
          return;
        }
        continue;
      }
      const take = Math.min(this.#bodyLeft, data.length - offset);
      if (this.#type === COPY_DATA) this.#append(data, offset, take);
      offset += take;
      this.#bodyLeft -= take;
    }
  }

  #append(data: Buffer, offset: number, length: number): void {
    let from = offset;
    let left = length;
    while (left > 0) {
      const take = Math.min(left, OUT_CHUNK - this.#used);
      data.copy(this.#chunk, this.#used, from, from + take);
      this.#used += take;
      from += take;
      left -= take;
      if (this.#used === OUT_CHUNK) this.#flush();
    }
  }

  #flush(): void {
    if (this.#used === 0) return;
    const buffer = this.#chunk;
    this.#out.write(this.#used === OUT_CHUNK ? buffer : buffer.subarray(0, this.#used), (error) => {
      if (error === undefined || error === null) this.#written(buffer);
    });
    this.#inFlight += 1;
    this.#chunk = takeChunk();
    this.#used = 0;
    if (this.#inFlight >= OUT_CHUNKS && !this.#paused) {
      this.#paused = true;
      this.#socket!.pause();
    }
  }

  /** A chunk the writable is done with: reused for the next rows, and the socket read again if it waited. */
  #written(buffer: Buffer): void {
    this.#inFlight -= 1;
    if (freeChunks.length < OUT_CHUNKS) freeChunks.push(buffer);
    if (this.#paused && this.#inFlight < OUT_CHUNKS) {
      this.#paused = false;
      this.#socket!.resume();
    }
  }

  #detach(rest: Buffer): void {
    this.#flush();
    if (freeChunks.length < OUT_CHUNKS) freeChunks.push(this.#chunk);
    const socket = this.#socket!;
    socket.removeListener("data", this.#onData);
    socket.on("data", this.#pgListener!);
    if (rest.length > 0) this.#pgListener!(rest);
    // The rows are handed to the writable (at most OUT_CHUNKS in flight); the rest is node-postgres' to read.
    this.#paused = false;
    socket.resume();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? "");
    if (match) this.#rows = Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.#out.removeListener("error", this.#onOutError);
    this.#resolve(this.#rows);
  }

  handleError(error: Error): void {
    this.#out.removeListener("error", this.#onOutError);
    this.#reject(error);
  }
}
