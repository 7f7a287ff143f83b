/** Exit codes every command shares: scripts may rely on them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/**
 * The command itself worked, but what it ran or looked at failed: a slot that failed for good, was
 * dead-lettered or missed (`daemon --once`, `status`), or a quality rule at severity error (`quality`). Distinct from 1 so that cron and monitoring can tell
 * "chainvault is broken" from "a night's data is lost or at risk".
 */
export const EXIT_FAILURES_FOUND = 3;
/** Another process holds what the command needs (a collection key, the data directory): try again later (sysexits EX_TEMPFAIL). */
export const EXIT_BUSY = 75;
