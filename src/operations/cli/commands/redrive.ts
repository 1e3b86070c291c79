/**
 * `redrive`: move DLQ messages back to the main queue (see ../redrive.ts for the guarantees).
 * `moveMessages` is the whole run (question, progress, summary), which `quarantine release` and
 * `quarantine discard` share.
 */
import { collect, integerIn, UsageError } from "../../shared/command-line";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from "../../shared/exit-codes";
import { terminalSafe } from "../../shared/terminal-safe";
import { AwsClients, QUEUE_LABELS, QueueState, openQueues } from "../aws";
import { CliCommand } from "../command";
import { DEFAULT_SOURCE_NAME, FILTERED_OUT, NOT_QUARANTINED, RedriveFilter, groupInReceiveOrder, messageDocument } from "../messages";
import { BODY_PREVIEW_CHARS, CommandResult, messageTable } from "../output";
import { RedriveReport, redriveMessages } from "../redrive";
import { canAsk, confirm, endProgress, note, progress, watchInterrupts } from "../terminal";

interface RedriveOptions {
  readonly group: string[];
  readonly source: string[];
  readonly messageId: string[];
  readonly includeQuarantined: boolean;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly max?: number;
  readonly visibilityTimeout: number;
  readonly waitInFlight: number;
  readonly paceMs: number;
}

const DEFAULT_VISIBILITY_SECONDS = 30;
const DEFAULT_WAIT_IN_FLIGHT_SECONDS = 40;

/** A move (to the main queue) or a discard (no destination) of the messages of one queue. */
export interface MoveRequest {
  readonly clients: AwsClients;
  readonly from: QueueState;
  /** The main queue; absent: discard. */
  readonly to?: QueueState;
  readonly filter: RedriveFilter;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly maxMessages?: number;
  readonly visibilityTimeout?: number;
  readonly waitInFlightSeconds?: number;
  readonly paceMs?: number;
}

function filterText(filter: RedriveFilter): string {
  return [
    ...[...filter.groups].map((g) => `group ${g}`),
    ...[...(filter.sources ?? [])].map((s) => `source ${s}`),
    ...[...filter.messageIds].map((id) => `message ${id}`),
    ...(filter.quarantined === "only" ? ["the quarantined ones"] : []),
  ].join(", ");
}

/** The summary of a run; message IDs asked for but never seen count as failures. */
function moveResult(request: MoveRequest, report: RedriveReport, total: number): CommandResult {
  const { dryRun, from, to, filter } = request;
  const [done, doing] = to ? ["moved", "move"] : ["discarded", "discard"];
  const seen = new Set([...report.moved, ...report.wouldMove, ...report.skipped, ...report.failed].map((m) => m.messageId));
  const failed = [...report.failed];
  if (!report.stopped && report.moved.length < (request.maxMessages ?? Number.MAX_SAFE_INTEGER)) {
    for (const messageId of filter.messageIds) {
      if (!seen.has(messageId)) {
        failed.push({ messageId, groupId: "", error: `not found in the ${QUEUE_LABELS[from.role]} (or behind 10 held messages of its group)` });
      }
    }
  }
  const summary = { [done]: report.moved.length, skipped: report.skipped.length, failed: failed.length };
  const unseen = Math.max(0, total - report.wouldMove.length - report.skipped.length);
  const lines: string[] = [];
  if (dryRun && report.wouldMove.length > 0) lines.push(messageTable(report.wouldMove, BODY_PREVIEW_CHARS));
  // Listed: every skip but the filter's own, and a failed delivery only when asked for by its ID.
  const listed = report.skipped.filter((s) => s.reason !== FILTERED_OUT && (s.reason !== NOT_QUARANTINED || filter.messageIds.has(s.messageId)));
  for (const skip of listed) {
    lines.push(terminalSafe(`skipped: message ${skip.messageId} (group ${skip.groupId}): ${skip.reason}`));
  }
  for (const failure of failed) {
    lines.push(terminalSafe(`failed: message ${failure.messageId}${failure.groupId ? ` (group ${failure.groupId})` : ""}: ${failure.error}`));
  }
  lines.push(
    dryRun
      ? `dry run: would ${doing} ${report.wouldMove.length} messages in ${groupInReceiveOrder(report.wouldMove).length} groups, ` +
          `skip ${report.skipped.length}; nothing ${done}` +
          (unseen > 0 ? `; about ${unseen} more not seen (FIFO hides a group's later messages while earlier ones are held)` : "")
      : `${done} ${report.moved.length}, skipped ${report.skipped.length}, failed ${failed.length} (from ${from.url}${to ? ` to ${to.url}` : ""})` +
          (report.stopped ? "; stopped early: run again to finish" : ""),
  );
  return {
    document: {
      dryRun,
      from: from.url,
      to: to?.url ?? null,
      summary,
      [done]: report.moved,
      ...(dryRun ? { [to ? "wouldMove" : "wouldDiscard"]: report.wouldMove.map(messageDocument) } : {}),
      skipped: report.skipped,
      failed,
      stopped: report.stopped,
    },
    text: lines.join("\n"),
    exitCode: report.stopped ? EXIT_INTERRUPTED : failed.length > 0 ? EXIT_FAILURE : EXIT_OK,
  };
}

/**
 * Asks first (on a terminal; refuses without one unless --yes), then moves or discards with
 * progress on stderr and Ctrl-C stopping at a safe point; returns the summary.
 */
export async function moveMessages(request: MoveRequest): Promise<CommandResult> {
  const { from, to, filter, dryRun } = request;
  const [done, doing] = to ? ["moved", "move"] : ["discarded", "discard"];
  const scope = filterText(filter);
  const total = from.visible + from.inFlight;
  if (!dryRun && !request.yes) {
    if (!canAsk()) {
      throw new UsageError(
        `refusing to ${doing} messages without confirmation: there is no terminal to ask on; pass --yes (or --dry-run to look first)`,
      );
    }
    const limit = request.maxMessages ? `, at most ${request.maxMessages},` : "";
    const action = to ? `Move the ${QUEUE_LABELS[from.role]}'s messages` : `Delete for good the ${QUEUE_LABELS[from.role]}'s messages`;
    const question = terminalSafe(
      `${action} (about ${total} now${limit})${scope ? ` (only ${scope})` : ""} from ${from.url}${to ? ` to ${to.url}` : ""}?`,
    );
    if (!(await confirm(question))) {
      return {
        document: { dryRun, from: from.url, to: to?.url ?? null, confirmed: false },
        text: `not confirmed: nothing ${done}`,
        exitCode: EXIT_FAILURE,
      };
    }
  }

  const visibilityTimeout = request.visibilityTimeout ?? DEFAULT_VISIBILITY_SECONDS;
  const interrupts = watchInterrupts();
  let report: RedriveReport;
  try {
    report = await redriveMessages({
      clients: request.clients,
      from,
      to,
      filter,
      dryRun,
      maxMessages: request.maxMessages ?? Number.MAX_SAFE_INTEGER,
      visibilityTimeout,
      waitInFlightSeconds: request.waitInFlightSeconds ?? DEFAULT_WAIT_IN_FLIGHT_SECONDS,
      paceMs: request.paceMs ?? 0,
      stopRequested: interrupts.requested,
      onMoved: (moved, count) =>
        progress(
          terminalSafe(
            `${done} ${count}${scope ? ` (of ${total} in the ${QUEUE_LABELS[from.role]})` : `/${total}`}: group ${moved.groupId}, message ${moved.messageId}`,
          ),
        ),
      onWaiting: (inFlight) =>
        progress(`waiting for ${inFlight} in-flight ${QUEUE_LABELS[from.role]} messages (held by another reader or a killed run) to come back`),
    });
  } finally {
    interrupts.dispose();
    endProgress();
  }
  if (report.unreleased > 0) note(`${report.unreleased} messages could not be released; they come back within ${visibilityTimeout}s`);
  return moveResult(request, report, total);
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
          "A DLQ message with a quarantine-reason (a webhook that failed verification, quarantined there by an older forwarder) is\n" +
          "skipped and reported, unless --include-quarantined. Today's forwarder quarantines into the quarantine queue: see\n" +
          '"webhook-queue quarantine --help".\n\n' +
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
      .option(
        "--include-quarantined",
        "also move DLQ messages that carry a quarantine-reason (they failed verification: vouch for them first, e.g. after fixing a wrong secret)",
        false,
      )
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
    // Refuses a queue and a DLQ that are not a pair (swapped URLs, another queue's DLQ).
    const { clients, queue, dlq } = await openQueues(global, { queue: "required", dlq: "required", pair: true });
    return moveMessages({
      clients,
      from: dlq!,
      to: queue!,
      filter: {
        groups: new Set(values.group),
        sources: new Set(values.source),
        messageIds: new Set(values.messageId),
        quarantined: values.includeQuarantined ? "include" : "skip",
        refuseForged: true,
      },
      dryRun: values.dryRun,
      yes: values.yes,
      maxMessages: values.max,
      visibilityTimeout: values.visibilityTimeout,
      waitInFlightSeconds: values.waitInFlight,
      paceMs: values.paceMs,
    });
  },
};
