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
import { Hold, HeldGroups } from "../held-groups";
import { RedriveReport, redriveMessages } from "../redrive";
import { canAsk, confirm, endProgress, note, progress, sleep, watchInterrupts } from "../terminal";

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
  readonly waitDelivered: number;
}

const DEFAULT_VISIBILITY_SECONDS = 30;
const DEFAULT_WAIT_IN_FLIGHT_SECONDS = 40;

/** A move (to the main queue) or a discard (no destination) of the messages of one queue. */
export interface MoveRequest {
  /** The held groups: released once their dead letters are back (or discarded). @default - none known */
  readonly holds?: HeldGroups;
  /** How long to wait for the forwarder to settle the copies of a held group before leaving it held. */
  readonly waitDeliveredSeconds?: number;
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
function moveResult(request: MoveRequest, report: RedriveReport, total: number, holds: readonly HoldOutcome[] = []): CommandResult {
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
  for (const hold of holds) lines.push(terminalSafe(`group ${hold.group}: ${hold.outcome}${hold.detail ? `: ${hold.detail}` : ""}`));
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
      ...(request.holds && !dryRun && { heldGroups: holds }),
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
  const heldAtStart = request.holds && !dryRun ? new Map((await request.holds.list()).map((hold) => [hold.group, hold])) : new Map<string, Hold>();
  const redriving = new Set<string>();
  let report: RedriveReport | undefined;
  let holds: HoldOutcome[] = [];
  const pass = (passFilter: RedriveFilter, waitInFlightSeconds: number) =>
    redriveMessages({
      clients: request.clients,
      from,
      to,
      filter: passFilter,
      dryRun,
      maxMessages: request.maxMessages ?? Number.MAX_SAFE_INTEGER,
      visibilityTimeout,
      waitInFlightSeconds,
      paceMs: request.paceMs ?? 0,
      stopRequested: interrupts.requested,
      onMoved: (moved, count) =>
        progress(
          terminalSafe(
            `${done} ${(report?.moved.length ?? 0) + count}${scope ? ` (of ${total} in the ${QUEUE_LABELS[from.role]})` : `/${total}`}: group ${moved.groupId}, message ${moved.messageId}`,
          ),
        ),
      onWaiting: (inFlight) =>
        progress(`waiting for ${inFlight} in-flight ${QUEUE_LABELS[from.role]} messages (held by another reader or a killed run) to come back`),
      // A held group's copies are recorded on its hold, and its copies delivered from the first one on.
      recordCopy: async (groupId, deduplicationId, what) => {
        if (!request.holds || !heldAtStart.has(groupId)) return;
        if (!redriving.has(groupId)) {
          await request.holds.startRedriving(groupId);
          redriving.add(groupId);
        }
        await request.holds.recordCopy(groupId, deduplicationId, what);
      },
    });
  try {
    report = await pass(filter, request.waitInFlightSeconds ?? DEFAULT_WAIT_IN_FLIGHT_SECONDS);
    if (request.holds && !dryRun && !report.stopped) {
      holds = await releaseHolds({ request, holds: request.holds, heldAtStart, redriving, report, pass, stopRequested: interrupts.requested });
    }
  } finally {
    interrupts.dispose();
    endProgress();
  }
  if (report.unreleased > 0) note(`${report.unreleased} messages could not be released; they come back within ${visibilityTimeout}s`);
  return moveResult(request, report, total, holds);
}

/** What became of a held group at the end of a run. */
export interface HoldOutcome {
  readonly group: string;
  readonly outcome: "released" | "still held";
  readonly detail?: string;
}

const DEFAULT_WAIT_DELIVERED_SECONDS = 60;

/** Whether a held group is in the run's scope: named by the filter, or one whose message the run moved. */
function holdInScope(hold: Hold, filter: RedriveFilter, report: RedriveReport): boolean {
  if (report.moved.some((moved) => moved.groupId === hold.group)) return true;
  if (filter.messageIds.size > 0) return false;
  const sources = filter.sources ?? new Set<string>();
  return (filter.groups.size === 0 || filter.groups.has(hold.group)) && (sources.size === 0 || sources.has(hold.source ?? DEFAULT_SOURCE_NAME));
}

/**
 * Releases the held groups whose dead letters this run put back (or discarded): once the DLQ
 * holds none of the group and the forwarder settled every copy, a conditional delete of the hold,
 * which fails if anything was dead-lettered since the last look (then the new arrivals are moved
 * too, and it tries again). A group whose copies are not all settled within the wait stays held:
 * the forwarder keeps delivering them, and the next run releases it.
 */
async function releaseHolds(context: {
  readonly request: MoveRequest;
  readonly holds: HeldGroups;
  readonly heldAtStart: ReadonlyMap<string, Hold>;
  readonly redriving: ReadonlySet<string>;
  readonly report: RedriveReport;
  readonly pass: (filter: RedriveFilter, waitInFlightSeconds: number) => Promise<RedriveReport>;
  readonly stopRequested: () => boolean;
}): Promise<HoldOutcome[]> {
  const { request, holds, report } = context;
  const deadline = Date.now() + (request.waitDeliveredSeconds ?? DEFAULT_WAIT_DELIVERED_SECONDS) * 1000;
  const outcomes: HoldOutcome[] = [];
  /** Messages of the group the run left where they were (filtered out of it, skipped, failed). */
  const leftBehind = (group: string, run: RedriveReport) => [...run.skipped, ...run.failed].filter((entry) => entry.groupId === group).length;
  for (const start of context.heldAtStart.values()) {
    if (!holdInScope(start, request.filter, report)) continue;
    const { group } = start;
    const stay = (detail: string) => outcomes.push({ group, outcome: "still held", detail });
    const left = leftBehind(group, report);
    if (left > 0) {
      stay(`${left} of its messages stay in the ${QUEUE_LABELS[request.from.role]}, and its later webhooks wait behind them`);
      continue;
    }
    if (!request.to) {
      // A discard: released only if nothing arrived behind the discarded dead letters meanwhile.
      if (await holds.release(start)) outcomes.push({ group, outcome: "released" });
      else stay(`webhooks were held behind it meanwhile: put them back with "webhook-queue redrive --group ${group}"`);
      continue;
    }
    for (;;) {
      const hold = await holds.get(group);
      if (!hold) {
        outcomes.push({ group, outcome: "released" });
        break;
      }
      if (hold.state === "held" && context.redriving.has(group)) {
        stay(`a copy was dead-lettered again (${hold.reason ?? "no reason"}); it and the rest of the group wait in the DLQ`);
        break;
      }
      const settled = new Set(hold.copiesSettled);
      const unsettled = hold.copiesSent.filter((copy) => !settled.has(copy)).length;
      if (unsettled > 0) {
        if (Date.now() > deadline || context.stopRequested()) {
          stay(
            `${unsettled} of ${hold.copiesSent.length} copies not delivered yet (the forwarder keeps retrying them); ` +
              `run "webhook-queue redrive --group ${group}" again to release it once they are`,
          );
          break;
        }
        progress(
          terminalSafe(
            `group ${group}: ${hold.copiesSent.length - unsettled} of ${hold.copiesSent.length} copies delivered; waiting before releasing it`,
          ),
        );
        await sleep(1000);
        continue;
      }
      const again = await context.pass({ ...request.filter, groups: new Set([group]), sources: new Set(), messageIds: new Set() }, 0);
      report.moved.push(...again.moved);
      if (leftBehind(group, again) > 0) {
        report.skipped.push(...again.skipped.filter((entry) => entry.groupId === group));
        report.failed.push(...again.failed);
        stay(`webhooks held behind it meanwhile could not all be moved`);
        break;
      }
      if (again.moved.length > 0) continue;
      if (await holds.release(hold)) {
        outcomes.push({ group, outcome: "released" });
        break;
      }
    }
  }
  return outcomes;
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
          "A held group (a webhook of it was dead-lettered, and its later webhooks wait behind it in the DLQ) is released once\n" +
          "its messages are back and the forwarder delivered their copies (--wait-delivered); until then its new webhooks keep\n" +
          "following it into the DLQ, so no webhook passes an earlier one. A filter never moves a group's later message\n" +
          "before an earlier one: the rest of a group stays behind a message that stays.\n\n" +
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
      .option("--pace-ms <ms>", "pause after each move, to go gently or rehearse an interruption", integerIn("pace-ms", 0, 600_000), 0)
      .option(
        "--wait-delivered <seconds>",
        "how long to wait for the forwarder to deliver a held group's copies before releasing the group (it stays held otherwise)",
        integerIn("wait-delivered", 0, 3_600),
        DEFAULT_WAIT_DELIVERED_SECONDS,
      );
  },

  async run(global, values): Promise<CommandResult> {
    // Refuses a queue and a DLQ that are not a pair (swapped URLs, another queue's DLQ).
    const { clients, queue, dlq, heldGroupsTable } = await openQueues(global, { queue: "required", dlq: "required", pair: true, heldGroups: true });
    return moveMessages({
      ...(heldGroupsTable && { holds: new HeldGroups(clients.dynamodb, heldGroupsTable) }),
      waitDeliveredSeconds: values.waitDelivered,
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
