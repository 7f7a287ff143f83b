/**
 * Named prepared statements live in the session, and every client of `db serve` shares the one
 * session of the embedded engine. JDBC (DBeaver) names its statements S_1, S_2, … and psycopg 3
 * _pg3_0, …: two such clients, or one that reconnects, would collide ("prepared statement S_1
 * already exists"). So each client's statement names get a prefix of its own on the way in
 * (Parse, Bind, Describe and Close), and the names it created are known when it leaves.
 * Portals need no prefix: they end with their transaction, and a client's transaction holds the session.
 */

const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const DESCRIBE = 0x44; // 'D'
const CLOSE = 0x43; // 'C'
const STATEMENT = 0x53; // 'S' in Describe and Close

function cstringEnd(message: Buffer, from: number): number {
  const end = message.indexOf(0, from);
  if (end < 0) throw new Error("malformed message: a string has no terminator");
  return end;
}

/** The message with the statement name at [start, end) replaced by prefix + name (unnamed stays unnamed). */
function withName(
  message: Buffer,
  start: number,
  end: number,
  prefix: string,
): { message: Buffer; name: string } {
  const name = message.toString("utf8", start, end);
  if (name === "") return { message, name };
  const renamed = Buffer.from(prefix + name, "utf8");
  const out = Buffer.concat([message.subarray(0, start), renamed, message.subarray(end)]);
  out.writeInt32BE(out.length - 1, 1);
  return { message: out, name: prefix + name };
}

export interface RenamedMessage {
  message: Buffer;
  /** A statement this message creates (Parse) or closes (Close), under its prefixed name. */
  created?: string;
  closed?: string;
}

/** Prefixes the statement name a frontend message refers to; other messages pass unchanged. */
export function prefixStatementName(message: Buffer, prefix: string): RenamedMessage {
  const type = message[0];
  if (type === PARSE) {
    const renamed = withName(message, 5, cstringEnd(message, 5), prefix);
    return renamed.name === "" ? { message } : { message: renamed.message, created: renamed.name };
  }
  if (type === BIND) {
    const portalEnd = cstringEnd(message, 5);
    return { message: withName(message, portalEnd + 1, cstringEnd(message, portalEnd + 1), prefix).message };
  }
  if ((type === DESCRIBE || type === CLOSE) && message[5] === STATEMENT) {
    const renamed = withName(message, 6, cstringEnd(message, 6), prefix);
    if (type === CLOSE && renamed.name !== "") return { message: renamed.message, closed: renamed.name };
    return { message: renamed.message };
  }
  return { message };
}
