import { connect as netConnect, type Socket } from "node:net";
import { encodeFrame, type Field } from "../../src/sim/protocol/framing.ts";

/** A bare TCP client speaking the TWS framing by hand: for byte-level and fuzz tests. */
export interface RawClient {
  socket: Socket;
  received(): Buffer;
  send(fields: Field[]): void;
  sendBytes(bytes: Buffer): void;
  closed: Promise<void>;
  close(): void;
}

export function handshakeBytes(range = "v100..193"): Buffer {
  const body = Buffer.from(range, "latin1");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.from("API\0", "latin1"), length, body]);
}

export async function rawClient(
  port: number,
  options: { handshake?: boolean; clientId?: number; read?: boolean } = {},
): Promise<RawClient> {
  const socket = netConnect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  const chunks: Buffer[] = [];
  if (options.read === false) socket.pause();
  else socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  if (options.handshake !== false) {
    socket.write(handshakeBytes());
    socket.write(encodeFrame([71, 2, options.clientId ?? 1, ""]));
  }
  return {
    socket,
    received: () => Buffer.concat(chunks),
    send: (fields) => socket.write(encodeFrame(fields)),
    sendBytes: (bytes) => socket.write(bytes),
    closed,
    close: () => socket.destroy(),
  };
}

/** Splits a server byte stream into frames (field arrays); ignores a trailing partial frame. */
export function parseFrames(bytes: Buffer): string[][] {
  const frames: string[][] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    if (offset + 4 + length > bytes.length) break;
    const fields = bytes
      .subarray(offset + 4, offset + 4 + length)
      .toString("utf8")
      .split("\0");
    fields.pop();
    frames.push(fields);
    offset += 4 + length;
  }
  return frames;
}
