/** `redrive`: move DLQ messages back to the main queue (see ../redrive.ts for the guarantees). */
import { collect, integerIn, UsageError } from "../../shared/command-line";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from "../../shared/exit-codes";
import { openQueues } from "../aws";
import { CliCommand } from "../command";
import { DEFAULT_SOURCE_NAME, RedriveFilter, groupInReceiveOrder, messageDocument } from "../messages";
import { BODY_PREVIEW_CHARS, CommandResult, messageTable } from "../output";
import { RedriveReport, redriveMessages } from "../redrive";
import { canAsk, confirm, endProgress, note, progress, watchInterrupts } from "../terminal";

interface RedriveOptions {
  readonly group: string[];
  readonly source: string[];
  readonly messageId: string[];
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly max?: number;
  readonly visibilityTimeout: number;
  readonly waitInFlight: number;
  readonly paceMs: number;
}

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
  for (const failure of failed)
    lines.push(`failed: message ${failure.messageId}${failure.groupId ? ` (group ${failure.groupId})` : ""}: ${failure.error}`);
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

export const redriveCommand: CliCommand<RedriveOptions> = {
  name: "redrive",
  summary: "move DLQ messages back to the main queue, keeping each group's order",
  configure(command) {
    command
      .description(
        "Moves messages from the DLQ to the main queue. For each message, in its group's FIFO order: SendMessage to the queue\n" +
          '(same MessageGroupId and attributes, deduplication ID "redrive-<DLQ message ID>"), then DeleteMessage from the DLQ.\n' +
          "A message leaves the DLQ only after its copy was accepted, so an interrupted run loses nothing; run it again to finish\n" +
          "(within 5 minutes SQS drops the copies the interrupted run had already sent). If a message fails, the rest of its group\n" +
          "stays in the DLQ. Messages not moved (filtered out, dry run) are released untouched. Ctrl-C stops after the current message.\n\n" +
          "Asks for confirmation on a terminal; without a terminal it refuses unless --yes.",
      )
      .option("--dry-run", "list what would move; move nothing", false)
      .option("--group <group>", "only messages of this group (repeatable)", collect, [])
      .option(
        "--source <name>",
        `only webhooks of this source (repeatable; "${DEFAULT_SOURCE_NAME}" includes messages queued before sources existed)`,
        collect,
        [],
      )
      .option("--message-id <id>", "only the message with this ID (repeatable)", collect, [])
      .option("--max <n>", "move at most N messages", integerIn("max", 1, Number.MAX_SAFE_INTEGER))
      .option("-y, --yes", "do not ask for confirmation", false)
      .option(
        "--visibility-timeout <seconds>",
        "seconds a held message stays hidden if this process dies (renewed while it runs)",
        integerIn("visibility-timeout", 1, 43_200),
        DEFAULT_VISIBILITY_SECONDS,
      )
      .option(
        "--wait-in-flight <seconds>",
        "when DLQ messages are in flight at the start (e.g. held by a killed run), wait up to this long for them to come back",
        integerIn("wait-in-flight", 0, 43_200),
        DEFAULT_WAIT_IN_FLIGHT_SECONDS,
      )
      .option("--pace-ms <ms>", "pause after each move, to go gently or rehearse an interruption", integerIn("pace-ms", 0, 600_000), 0);
  },

  async run(global, values): Promise<CommandResult> {
    const dryRun = values.dryRun;
    const maxMessages = values.max ?? Number.MAX_SAFE_INTEGER;
    const { visibilityTimeout, paceMs } = values;
    const waitInFlightSeconds = values.waitInFlight;
    const filter = { groups: new Set(values.group), sources: new Set(values.source), messageIds: new Set(values.messageId) };
    const filterText = [
      ...[...filter.groups].map((g) => `group ${g}`),
      ...[...filter.sources].map((s) => `source ${s}`),
      ...[...filter.messageIds].map((id) => `message ${id}`),
    ].join(", ");

    // Refuses a queue and a DLQ that are not a pair (swapped URLs, another queue's DLQ).
    const { clients, queue, dlq } = await openQueues(global, { queue: "required", dlq: "required", pair: true });
    const from = dlq!;
    const to = queue!;
    if (!dryRun && !values.yes) {
      if (!canAsk()) {
        throw new UsageError(
          "refusing to move messages without confirmation: there is no terminal to ask on; pass --yes (or --dry-run to look first)",
        );
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
