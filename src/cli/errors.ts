/** Exit codes every command shares: scripts may rely on them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how chainvault was invoked or configured: exits 2 with this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the user should read as one line; the command exits 1 without a stack trace. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}
