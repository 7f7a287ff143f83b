/**
 * The few pieces of the PostgreSQL wire protocol (version 3.0) that the server handles itself; every
 * other message goes to the engine as it came. Written here rather than taken from pg-gateway: its
 * release 0.2.4 cuts the second and later messages of one TCP chunk short (node-postgres sends
 * Parse/Bind/Execute/Sync in one write, which then hangs), and its 0.3 line is a beta.
 */

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;

/** What the client sent before its startup message, and the startup message itself. */
export type StartupFrame =
  | { kind: "ssl" | "gssenc" | "cancel" }
  | { kind: "startup"; parameters: Record<string, string> }
  | { kind: "unsupported"; version: number };

/**
 * Cuts the byte stream of one client into frames: untyped ones (length first) until the startup
 * message, typed ones (type byte, then length) after it.
 */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;

  constructor(private readonly maxMessageBytes = 64 * 2 ** 20) {}

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
  }

  /** The next pre-startup frame, or null until it has fully arrived. */
  nextStartup(): StartupFrame | null {
    if (this.#started) throw new Error("the startup message was read already");
    if (this.#buffer.length < 8) return null;
    const length = this.#buffer.readInt32BE(0);
    if (length < 8 || length > 10_000) throw new Error(`invalid startup packet length ${length}`);
    if (this.#buffer.length < length) return null;
    const frame = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    const code = frame.readInt32BE(4);
    if (code === SSL_REQUEST) return { kind: "ssl" };
    if (code === GSSENC_REQUEST) return { kind: "gssenc" };
    if (code === CANCEL_REQUEST) return { kind: "cancel" };
    if (code !== PROTOCOL_3) return { kind: "unsupported", version: code };
    this.#started = true;
    const parameters: Record<string, string> = {};
    const fields = frame.toString("utf8", 8).split("\0");
    for (let i = 0; i + 1 < fields.length && fields[i] !== ""; i += 2)
      parameters[fields[i]!] = fields[i + 1]!;
    return { kind: "startup", parameters };
  }

  /** The next typed message (type byte included), or null until it has fully arrived. */
  nextMessage(): Buffer | null {
    if (this.#buffer.length < 5) return null;
    const length = this.#buffer.readInt32BE(1);
    if (length < 4 || length > this.maxMessageBytes) throw new Error(`invalid message length ${length}`);
    if (this.#buffer.length < 1 + length) return null;
    // A copy: the message may wait in a batch while the buffer it came in is reused.
    const message = Buffer.from(this.#buffer.subarray(0, 1 + length));
    this.#buffer = this.#buffer.subarray(1 + length);
    return message;
  }
}

function typed(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`, "utf8");

export function authenticationOk(): Buffer {
  return typed("R", Buffer.from([0, 0, 0, 0]));
}

export function parameterStatus(name: string, value: string): Buffer {
  return typed("S", Buffer.concat([cstring(name), cstring(value)]));
}

export function readyForQuery(status: "I" | "T" | "E"): Buffer {
  return typed("Z", Buffer.from(status, "latin1"));
}

export function errorResponse(severity: "ERROR" | "FATAL", code: string, message: string): Buffer {
  return typed(
    "E",
    Buffer.concat([
      cstring(`S${severity}`),
      cstring(`V${severity}`),
      cstring(`C${code}`),
      cstring(`M${message}`),
      Buffer.from([0]),
    ]),
  );
}
