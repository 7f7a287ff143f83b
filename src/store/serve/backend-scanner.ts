/**
 * Follows the message boundaries of a backend's answer as it streams past (type byte, int32 length,
 * body), keeping only what the server needs: the type of the last complete message and, when it is
 * ReadyForQuery, the transaction status it reports ('I' idle, 'T' in a transaction, 'E' failed one).
 * Rows are never buffered: a result of any size passes through in the chunks it came in.
 */
export class BackendScanner {
  /** Bytes of the current message's 5-byte header seen so far. */
  #header = Buffer.alloc(5);
  #headerBytes = 0;
  /** Body bytes of the current message still to come. */
  #remaining = 0;
  #type = 0;
  #lastType: string | null = null;
  #status: string | null = null;

  /** The last complete message's type ('Z' for ReadyForQuery), null before any. */
  get lastType(): string | null {
    return this.#lastType;
  }

  /** The transaction status of the last message when it was ReadyForQuery, else null. */
  get readyStatus(): string | null {
    return this.#lastType === "Z" ? this.#status : null;
  }

  /** Whether a message is cut off at the end of what has been fed. */
  get midMessage(): boolean {
    return this.#headerBytes > 0 || this.#remaining > 0;
  }

  feed(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset);
        // ReadyForQuery's body is its one status byte.
        if (this.#type === 0x5a) this.#status = String.fromCharCode(chunk[offset]!);
        offset += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#complete();
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[offset++]!;
      if (this.#headerBytes < 5) continue;
      this.#headerBytes = 0;
      this.#type = this.#header[0]!;
      this.#remaining = this.#header.readInt32BE(1) - 4;
      if (this.#remaining <= 0) {
        this.#remaining = 0;
        this.#complete();
      }
    }
  }

  #complete(): void {
    this.#lastType = String.fromCharCode(this.#type);
    if (this.#type !== 0x5a) this.#status = null;
  }
}
