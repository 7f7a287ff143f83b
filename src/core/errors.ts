/** A mistake in how chainvault was invoked or configured: the CLI exits 2 with this message. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the user should read as one line; the CLI exits 1 without a stack trace. */
export class CommandFailure extends Error {
  override name = "CommandFailure";
}

/** Another process holds what the command needs; the CLI exits 75 (try again later) with this message. */
export class ResourceBusy extends CommandFailure {
  override name = "ResourceBusy";
}

/** The text of anything thrown, for a log field or a status row. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
