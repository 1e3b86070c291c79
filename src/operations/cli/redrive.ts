/**
 * Moving DLQ messages back to the main queue, one message at a time:
 * receive (held) -> SendMessage to the queue -> DeleteMessage from the DLQ.
 * - Group order: a receive batch is handled group by group in FIFO order, and SQS gives
 *   a group's next messages only after these are deleted.
 * - Nothing lost: a message leaves the DLQ only after its copy was accepted.
 * - Re-runnable: the copy's deduplication ID comes from the DLQ message ID, so a re-run
 *   after a kill between send and delete is deduplicated by SQS.
 * - A failed message stops its group (later messages stay in the DLQ behind it).
 * - Each webhook moves once per run: one the forwarder fails again while the run goes on (a
 *   secret still wrong, the application still down) comes back to the DLQ as a new message;
 *   it is recognised by its webhook ID (else its group and body) and left there, instead of
 *   going round until the run is stopped.
 */
import { DeleteMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { MESSAGE_ATTRIBUTES } from "../../../lambda/forwarder/contract";
import { AwsClients, QueueState, describeQueue } from "./aws";
import { Lease, receivePage } from "./lease";
import { QueueMessage, RedriveFilter, groupInReceiveOrder, matchesFilter, redriveDeduplicationId } from "./messages";
import { sleep } from "./terminal";

export interface RedriveOptions {
  readonly clients: AwsClients;
  readonly queue: QueueState;
  readonly dlq: QueueState;
  readonly filter: RedriveFilter;
  readonly dryRun: boolean;
  /** Stop after moving this many messages. */
  readonly maxMessages: number;
  readonly visibilityTimeout: number;
  /** Seconds to wait for DLQ messages that were in flight when the run started (e.g. left by a killed run). */
  readonly waitInFlightSeconds: number;
  /** Pause after each move (rehearsals, tests). */
  readonly paceMs: number;
  readonly stopRequested: () => boolean;
  readonly onMoved: (moved: MovedMessage, count: number) => void;
  readonly onWaiting: (inFlight: number) => void;
}

export interface MovedMessage {
  readonly messageId: string;
  readonly groupId: string;
  /** ID of the copy in the main queue. */
  readonly newMessageId: string;
}

export interface SkippedMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly reason: string;
}

export interface FailedMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly error: string;
}

export interface RedriveReport {
  readonly moved: MovedMessage[];
  /** Dry run: what would have moved, in order. */
  readonly wouldMove: QueueMessage[];
  readonly skipped: SkippedMessage[];
  readonly failed: FailedMessage[];
  readonly stopped: boolean;
  /** Messages that could not be made visible again (they come back after the visibility timeout). */
  readonly unreleased: number;
}

/**
 * The copy's attributes: the message's own (source, webhook ID, signature headers, receive time:
 * the webhook still verifies, against the time it was first received), but no quarantine reason,
 * which belongs to the stay in the DLQ.
 */
export function copyAttributes(message: QueueMessage): QueueMessage["messageAttributes"] | undefined {
  const { [MESSAGE_ATTRIBUTES.quarantineReason]: _reason, ...attributes } = message.messageAttributes;
  return Object.keys(attributes).length > 0 ? attributes : undefined;
}

/** What identifies a webhook across its trips between the queues: its webhook ID, else its group and body. */
export function webhookKey(message: QueueMessage): string {
  return message.webhookId ?? `${message.groupId}\n${createHash("sha256").update(message.body).digest("hex")}`;
}

async function sendCopy(sqs: SQSClient, queueUrl: string, message: QueueMessage): Promise<string> {
  const response = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: redriveDeduplicationId(message),
      MessageAttributes: copyAttributes(message),
    }),
  );
  return response.MessageId ?? "";
}

export async function redriveMessages(options: RedriveOptions): Promise<RedriveReport> {
  const { clients, queue, dlq, filter } = options;
  const report = { moved: [] as MovedMessage[], wouldMove: [] as QueueMessage[], skipped: [] as SkippedMessage[], failed: [] as FailedMessage[] };
  let unreleased: number;
  const blockedGroups = new Set<string>();
  const movedWebhooks = new Set<string>();
  const lease = new Lease(clients.sqs, dlq.url, options.visibilityTimeout);
  const waitUntil = dlq.inFlight > 0 ? Date.now() + options.waitInFlightSeconds * 1000 : 0;
  const done = () => options.stopRequested() || report.moved.length >= options.maxMessages;

  const handle = async (message: QueueMessage): Promise<void> => {
    const { messageId, groupId } = message;
    if (blockedGroups.has(groupId)) {
      report.skipped.push({ messageId, groupId, reason: "an earlier message of its group failed" });
      return;
    }
    if (!matchesFilter(message, filter)) {
      report.skipped.push({ messageId, groupId, reason: "filtered out" });
      return;
    }
    if (movedWebhooks.has(webhookKey(message))) {
      const why = message.quarantineReason ? `quarantined again: ${message.quarantineReason}` : "failed again";
      report.skipped.push({ messageId, groupId, reason: `moved earlier in this run and back in the DLQ (${why})` });
      return;
    }
    if (options.dryRun) {
      report.wouldMove.push(message);
      return;
    }
    let newMessageId: string;
    try {
      newMessageId = await sendCopy(clients.sqs, queue.url, message);
    } catch (error) {
      blockedGroups.add(groupId);
      report.failed.push({ messageId, groupId, error: `not sent: ${(error as Error).message}` });
      return;
    }
    try {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: message.receiptHandle }));
      lease.forget(message);
    } catch (error) {
      blockedGroups.add(groupId);
      report.failed.push({
        messageId,
        groupId,
        error: `sent as ${newMessageId} but not deleted from the DLQ (${(error as Error).message}); a re-run within 5 minutes is deduplicated`,
      });
      return;
    }
    const moved = { messageId, groupId, newMessageId };
    movedWebhooks.add(webhookKey(message));
    report.moved.push(moved);
    options.onMoved(moved, report.moved.length);
    if (options.paceMs > 0) await sleep(options.paceMs);
  };

  try {
    while (!done()) {
      const page = await receivePage(lease, 10);
      if (page.length === 0) {
        if (Date.now() >= waitUntil) break;
        const othersInFlight = (await describeQueue(clients, dlq.url, "dlq")).inFlight - lease.size;
        if (othersInFlight <= 0) break;
        options.onWaiting(othersInFlight);
        await sleep(1000);
        continue;
      }
      for (const group of groupInReceiveOrder(page)) {
        for (const message of group.messages) {
          // Unhandled messages stay held and are released below, still in the DLQ.
          if (done()) break;
          await handle(message);
        }
      }
    }
  } finally {
    unreleased = await lease.releaseAll();
  }
  return { ...report, stopped: options.stopRequested(), unreleased };
}
