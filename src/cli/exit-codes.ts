/** Exit codes every command shares: scripts may rely on them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `status`: a planned slot in the range failed, was dead-lettered or missed — data was lost or is at risk. */
export const EXIT_SLOTS_FAILED = 3;
/** Another process holds what the command needs (a collection key, the data directory): try again later (sysexits EX_TEMPFAIL). */
export const EXIT_BUSY = 75;
