/** The exit codes of every operators' tool (webhook-queue, npm run plan / deploy / local). */
export const EXIT_OK = 0;
/** Something went wrong while operating: an AWS error, a failed terraform step, a message not moved. */
export const EXIT_FAILURE = 1;
/** A command line the tool cannot act on (or a question it cannot ask: no terminal and no --yes). */
export const EXIT_USAGE = 2;
/** A plan that would lose messages, refused by the review. */
export const EXIT_BLOCKED = 3;
/** Stopped by SIGINT or SIGTERM. */
export const EXIT_INTERRUPTED = 130;
