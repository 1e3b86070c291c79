/** `redrive`: move DLQ messages back to the main queue (see ../redrive.ts for the guarantees). */
import { openQueues } from "../aws";
import { Command, helpResult, parseCommandArgs } from "../command";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../errors";
import { RedriveFilter, groupInReceiveOrder, messageDocument } from "../messages";
import { integerOption } from "../options";
import { BODY_PREVIEW_CHARS, CommandResult, messageTable } from "../output";
import { RedriveReport, redriveMessages } from "../redrive";
import { EXIT_INTERRUPTED, canAsk, confirm, endProgress, note, progress, watchInterrupts } from "../terminal";

const REDRIVE_OPTIONS = {
  group: { type: "string", multiple: true },
  "message-id": { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  max: { type: "string" },
  "visibility-timeout": { type: "string" },
  "wait-in-flight": { type: "string" },
  "pace-ms": { type: "string" },
} as const;

const DEFAULT_VISIBILITY_SECONDS = 30;
const DEFAULT_WAIT_IN_FLIGHT_SECONDS = 40;

/** The summary a redrive prints; message IDs asked for but never seen count as failures. */
function redriveResult(
  report: RedriveReport,
  run: { dryRun: boolean; from: string; to: string; total: number; filter: RedriveFilter; maxMessages: number },
): CommandResult {
  const { dryRun, from, to } = run;
  const seen = new Set([...report.moved, ...report.wouldMove, ...report.skipped, ...report.failed].map((m) => m.messageId));
  const failed = [...report.failed];
  if (!report.stopped && report.moved.length < run.maxMessages) {
    for (const messageId of run.filter.messageIds) {
      if (!seen.has(messageId)) failed.push({ messageId, groupId: "", error: "not found in the DLQ (or behind 10 held messages of its group)" });
    }
  }
  const summary = { moved: report.moved.length, skipped: report.skipped.length, failed: failed.length };
  const wouldMoveGroups = groupInReceiveOrder(report.wouldMove);
  const unseen = Math.max(0, run.total - report.wouldMove.length - report.skipped.length);
  const lines: string[] = [];
  if (dryRun && report.wouldMove.length > 0) {
    lines.push(messageTable(report.wouldMove, BODY_PREVIEW_CHARS));
  }
  for (const failure of failed) lines.push(`failed: message ${failure.messageId}${failure.groupId ? ` (group ${failure.groupId})` : ""}: ${failure.error}`);
  lines.push(
    dryRun
      ? `dry run: would move ${report.wouldMove.length} messages in ${wouldMoveGroups.length} groups, skip ${summary.skipped}; nothing moved` +
          (unseen > 0 ? `; about ${unseen} more not seen (FIFO hides a group's later messages while earlier ones are held)` : "")
      : `moved ${summary.moved}, skipped ${summary.skipped}, failed ${summary.failed} (from ${from} to ${to})` +
          (report.stopped ? "; stopped early: run again to finish" : ""),
  );
  return {
    document: {
      dryRun,
      from,
      to,
      summary,
      moved: report.moved,
      ...(dryRun ? { wouldMove: report.wouldMove.map(messageDocument) } : {}),
      skipped: report.skipped,
      failed,
      stopped: report.stopped,
    },
    text: lines.join("\n"),
    exitCode: report.stopped ? EXIT_INTERRUPTED : failed.length > 0 ? EXIT_FAILURE : EXIT_OK,
  };
}

export const redriveCommand: Command = {
  name: "redrive",
  summary: "move DLQ messages back to the main queue, keeping each group's order",
  help: `Usage: webhook-queue redrive [options]

Moves messages from the DLQ to the main queue. For each message, in its group's FIFO
order: SendMessage to the queue (same MessageGroupId and attributes, deduplication ID
"redrive-<DLQ message ID>"), then DeleteMessage from the DLQ. A message leaves the DLQ
only after its copy was accepted, so an interrupted run loses nothing; run it again to
finish (within 5 minutes SQS drops the copies the interrupted run had already sent).
If a message fails, the rest of its group stays in the DLQ. Messages not moved
(filtered out, dry run) are released untouched. Ctrl-C stops after the current message.

Asks for confirmation on a terminal; without a terminal it refuses unless --yes.

Options:
  --dry-run              list what would move; move nothing
  --group G              only messages of group G (repeatable)
  --message-id ID        only the message with this ID (repeatable)
  --max N                move at most N messages
  -y, --yes              do not ask for confirmation
  --visibility-timeout S seconds a held message stays hidden if this process dies
                         (default ${DEFAULT_VISIBILITY_SECONDS}; renewed while it runs)
  --wait-in-flight S     when DLQ messages are in flight at the start (e.g. held by a killed
                         run), wait up to S seconds for them to come back (default ${DEFAULT_WAIT_IN_FLIGHT_SECONDS})
  --pace-ms MS           pause after each move, to go gently or rehearse an interruption`,

  async run(args: string[]): Promise<CommandResult> {
    const { global, values } = parseCommandArgs(args, REDRIVE_OPTIONS);
    if (global.help) return helpResult(this);
    const dryRun = values["dry-run"] ?? false;
    const maxMessages = integerOption("max", values.max, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const visibilityTimeout = integerOption("visibility-timeout", values["visibility-timeout"], DEFAULT_VISIBILITY_SECONDS, 1, 43_200);
    const waitInFlightSeconds = integerOption("wait-in-flight", values["wait-in-flight"], DEFAULT_WAIT_IN_FLIGHT_SECONDS, 0, 43_200);
    const paceMs = integerOption("pace-ms", values["pace-ms"], 0, 0, 600_000);
    const filter = { groups: new Set(values.group ?? []), messageIds: new Set(values["message-id"] ?? []) };
    const filterText = [...[...filter.groups].map((g) => `group ${g}`), ...[...filter.messageIds].map((id) => `message ${id}`)].join(", ");

    const { clients, queue, dlq } = await openQueues(global, { queue: "required", dlq: "required" });
    const from = dlq!;
    const to = queue!;
    if (to.deadLetterTargetArn && to.deadLetterTargetArn !== from.arn) {
      note(`warning: ${from.url} is not the dead-letter queue of ${to.url} (its RedrivePolicy names ${to.deadLetterTargetArn})`);
    }
    if (!dryRun && !values.yes) {
      if (!canAsk()) {
        throw new UsageError("refusing to move messages without confirmation: there is no terminal to ask on; pass --yes (or --dry-run to look first)");
      }
      const scope = filterText ? ` (only ${filterText})` : "";
      const limit = values.max ? `, at most ${maxMessages},` : "";
      const question = `Move the DLQ's messages (about ${from.visible + from.inFlight} now${limit})${scope} from ${from.url} to ${to.url}?`;
      if (!(await confirm(question))) {
        return { document: { dryRun, from: from.url, to: to.url, confirmed: false }, text: "not confirmed: nothing moved", exitCode: EXIT_FAILURE };
      }
    }

    const total = from.visible + from.inFlight;
    const interrupts = watchInterrupts();
    let report: RedriveReport;
    try {
      report = await redriveMessages({
        clients,
        queue: to,
        dlq: from,
        filter,
        dryRun,
        maxMessages,
        visibilityTimeout,
        waitInFlightSeconds,
        paceMs,
        stopRequested: interrupts.requested,
        onMoved: (moved, count) =>
          progress(`moved ${count}${filterText ? ` (of ${total} in the DLQ)` : `/${total}`}: group ${moved.groupId}, message ${moved.messageId}`),
        onWaiting: (inFlight) => progress(`waiting for ${inFlight} in-flight DLQ messages (held by another reader or a killed run) to come back`),
      });
    } finally {
      interrupts.dispose();
      endProgress();
    }
    if (report.unreleased > 0) note(`${report.unreleased} messages could not be released; they come back within ${visibilityTimeout}s`);

    return redriveResult(report, { dryRun, from: from.url, to: to.url, total, filter, maxMessages });
  },
};
