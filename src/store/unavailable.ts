/**
 * Whether an error means the database is away (stopped, restarting, unreachable) rather than that a
 * statement is wrong. Only the former is worth waiting out: the same statement succeeds once the
 * server is back. A constraint or type error fails again however long one waits, so it is not one.
 */

/** SQLSTATEs of a server that is going away, starting up or refusing connections for now. */
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown: terminating connection due to administrator command
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
  "53300", // too_many_connections
]);

/** Socket errors of a connection that could not be made or was cut. */
const UNAVAILABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/** node-postgres reports a lost or timed-out connection with these messages and no code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /timeout exceeded when trying to connect/,
  /Client was closed and is not queryable/,
];

function isUnavailableItself(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    // Class 08: connection exception (08000, 08003, 08006, 08001, 08004, …).
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
    // Any other SQLSTATE is the server answering: the statement itself failed.
    if (/^[0-9A-Z]{5}$/.test(code)) return false;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * True for connection failures: refused or reset sockets, class 08 SQLSTATEs, a server shutting
 * down or starting up (57P01–57P03). Looks through `cause` and AggregateError (a connect to a host
 * with several addresses fails with one error per address).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  if (isUnavailableItself(error)) return true;
  const nested = error as { cause?: unknown; errors?: unknown };
  if (Array.isArray(nested.errors) && nested.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1)))
    return true;
  return isDatabaseUnavailable(nested.cause, depth + 1);
}

/** No room left where data is written: the filesystem's (errno) or the database server's (SQLSTATE 53100). */
const DISK_FULL_CODES = new Set(["53100", "ENOSPC", "EDQUOT", "EFBIG"]);

/**
 * True when a write failed for want of disk space: a full database disk (53100 disk_full, which PGlite
 * and PostgreSQL answer while staying usable) or a full filesystem under a file of ours (ENOSPC, a
 * quota, a file-size limit). Waiting does not help until someone frees space, so it is not an outage.
 */
export function isDiskFull(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && DISK_FULL_CODES.has(code)) return true;
  return isDiskFull((error as { cause?: unknown }).cause, depth + 1);
}
