/**
 * Moving DLQ messages back to the main queue, one message at a time:
 * receive (held) -> SendMessage to the queue -> DeleteMessage from the DLQ.
 * - Group order: a receive batch is handled group by group in FIFO order, and SQS gives
 *   a group's next messages only after these are deleted.
 * - Nothing lost: a message leaves the DLQ only after its copy was accepted.
 * - Re-runnable: the copy's deduplication ID comes from the DLQ message ID, so a re-run
 *   after a kill between send and delete is deduplicated by SQS.
 * - A failed message stops its group (later messages stay in the DLQ behind it).
 */
import { DeleteMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
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

async function sendCopy(sqs: SQSClient, queueUrl: string, message: QueueMessage): Promise<string> {
  const hasAttributes = Object.keys(message.messageAttributes).length > 0;
  const response = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      MessageGroupId: message.groupId,
      MessageDeduplicationId: redriveDeduplicationId(message),
      MessageAttributes: hasAttributes ? message.messageAttributes : undefined,
    }),
  );
  return response.MessageId ?? "";
}

export async function redriveMessages(options: RedriveOptions): Promise<RedriveReport> {
  const { clients, queue, dlq, filter } = options;
  const report = { moved: [] as MovedMessage[], wouldMove: [] as QueueMessage[], skipped: [] as SkippedMessage[], failed: [] as FailedMessage[] };
  let unreleased = 0;
  const blockedGroups = new Set<string>();
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
