/**
 * TWS socket framing: a 4-byte big-endian length, then NUL-terminated text fields (the last one too).
 * The client opens with the literal "API\0" and one length-prefixed version-range string.
 */

export type Field = string | number;

/** Frames larger than this are refused: IB's own messages are tiny, so a huge length is garbage or abuse. */
export const MAX_INBOUND_FRAME = 1 << 20;

export function encodeFrame(fields: readonly Field[]): Buffer {
  const body = fields.map((field) => `${field}\0`).join("");
  const payload = Buffer.from(body, "utf8");
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

export type InboundEvent =
  | { kind: "handshake"; minVersion: number; maxVersion: number; raw: string }
  | { kind: "message"; fields: string[] }
  | { kind: "error"; reason: string; fatal: boolean };

const API_PREFIX = Buffer.from("API\0", "latin1");

/** Incremental parser of a client's byte stream; feed chunks, get whole handshakes and messages. */
export class InboundParser {
  private buffer: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private failed = false;

  feed(chunk: Buffer): InboundEvent[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: InboundEvent[] = [];
    for (;;) {
      if (!this.handshakeDone) {
        if (this.buffer.length < API_PREFIX.length) {
          if (!API_PREFIX.subarray(0, this.buffer.length).equals(this.buffer))
            return this.fail(events, "the connection did not start with API\\0");
          return events;
        }
        if (!this.buffer.subarray(0, 4).equals(API_PREFIX))
          return this.fail(events, "the connection did not start with API\\0");
        if (this.buffer.length < 8) return events;
        const length = this.buffer.readUInt32BE(4);
        if (length === 0 || length > 1024)
          return this.fail(events, `handshake length ${length} is not plausible`);
        if (this.buffer.length < 8 + length) return events;
        const raw = this.buffer.subarray(8, 8 + length).toString("latin1");
        this.buffer = this.buffer.subarray(8 + length);
        this.handshakeDone = true;
        const match = /^v(\d+)(?:\.\.(\d+))?(?:\s.*)?$/.exec(raw.replace(/\0+$/, ""));
        if (!match) return this.fail(events, `handshake "${raw}" is not v<min>..<max>`);
        const minVersion = Number(match[1]);
        events.push({
          kind: "handshake",
          minVersion,
          maxVersion: match[2] ? Number(match[2]) : minVersion,
          raw,
        });
        continue;
      }
      if (this.buffer.length < 4) return events;
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_INBOUND_FRAME)
        return this.fail(events, `a message of ${length} bytes exceeds the ${MAX_INBOUND_FRAME}-byte limit`);
      if (this.buffer.length < 4 + length) return events;
      const payload = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      if (length === 0) {
        events.push({ kind: "error", reason: "empty message", fatal: false });
        continue;
      }
      const text = payload.toString("utf8");
      const fields = text.split("\0");
      // A well-formed payload ends with NUL, so split leaves one empty string at the end.
      if (fields.at(-1) === "") fields.pop();
      events.push({ kind: "message", fields });
    }
  }

  private fail(events: InboundEvent[], reason: string): InboundEvent[] {
    this.failed = true;
    this.buffer = Buffer.alloc(0);
    events.push({ kind: "error", reason, fatal: true });
    return events;
  }
}
