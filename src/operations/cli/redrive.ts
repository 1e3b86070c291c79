/**
 * Moving messages from the DLQ (or the quarantine queue) back to the main queue, one message at a time:
 * receive (held) -> SendMessage to the queue -> DeleteMessage from where it was. Without a
 * destination the same run discards: receive (held) -> DeleteMessage.
 * - Group order: a receive batch is handled group by group in FIFO order, and SQS gives
 *   a group's next messages only after these are deleted.
 * - Nothing lost: a message leaves its queue only after its copy was accepted.
 * - Re-runnable: the copy's deduplication ID comes from the message ID, so a re-run
 *   after a kill between send and delete is deduplicated by SQS.
 * - Never a later message of a group before an earlier one: once a message of a group is not
 *   moved (filtered out, failed, back again), the rest of its group stays behind it. Only a
 *   quarantined message (a webhook that failed verification, no part of the entity's order until
 *   someone vouches for it) is stepped over.
 * - Held groups (./held-groups.ts): each copy of a held group's message is recorded on the hold
 *   (its deduplication ID) before it is sent, so that the release can wait for the forwarder to
 *   settle them all.
 * - Each webhook moves once per run: one the forwarder fails or quarantines again while the run
 *   goes on (a secret still wrong, the application still down) comes back as a new message;
 *   it is recognised by its webhook ID (else its group and body) and left there, instead of
 *   going round until the run is stopped.
 */
import { DeleteMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { MESSAGE_ATTRIBUTES } from "../../../lambda/forwarder/contract";
import { AwsClients, QUEUE_LABELS, QueueState, describeQueue } from "./aws";
import { Lease, receivePage } from "./lease";
import { FILTERED_OUT, QueueMessage, RedriveFilter, groupInReceiveOrder, redriveDeduplicationId, skipReason } from "./messages";
import { sleep } from "./terminal";

export interface RedriveOptions {
  readonly clients: AwsClients;
  /** Where the messages are: the DLQ or the quarantine queue. */
  readonly from: QueueState;
  /** The main queue; absent: the messages are discarded (deleted, not moved). */
  readonly to?: QueueState;
  readonly filter: RedriveFilter;
  readonly dryRun: boolean;
  /** Stop after moving this many messages. */
  readonly maxMessages: number;
  readonly visibilityTimeout: number;
  /** Seconds to wait for messages that were in flight when the run started (e.g. left by a killed run). */
  readonly waitInFlightSeconds: number;
  /** Pause after each move (rehearsals, tests). */
  readonly paceMs: number;
  readonly stopRequested: () => boolean;
  readonly onMoved: (moved: MovedMessage, count: number) => void;
  readonly onWaiting: (inFlight: number) => void;
  /** Called before each copy of a message of `groupId` is sent ("sending"), and again when the send failed ("not sent"). */
  readonly recordCopy?: (groupId: string, deduplicationId: string, what: "sending" | "not sent") => Promise<void>;
}

export interface MovedMessage {
  readonly messageId: string;
  readonly groupId: string;
  /** ID of the copy in the main queue; absent when discarded. */
  readonly newMessageId?: string;
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
  /** Dry run: what would have moved (or been discarded), in order. */
  readonly wouldMove: QueueMessage[];
  readonly skipped: SkippedMessage[];
  readonly failed: FailedMessage[];
  readonly stopped: boolean;
  /** Messages that could not be made visible again (they come back after the visibility timeout). */
  readonly unreleased: number;
}

/**
 * The copy's attributes: the message's own (source, webhook ID, signature headers, receive time:
 * the webhook still verifies, against the time it was first received), but no quarantine or dead
 * letter reason, which belong to the stay in the quarantine queue or the DLQ (and which the
 * forwarder would take for attributes no route writes).
 */
export function copyAttributes(message: QueueMessage): QueueMessage["messageAttributes"] | undefined {
  const {
    [MESSAGE_ATTRIBUTES.quarantineReason]: _quarantine,
    [MESSAGE_ATTRIBUTES.deadLetterReason]: _deadLetter,
    ...attributes
  } = message.messageAttributes;
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

/** Why a message stays when an earlier one of its group did. */
export function heldBehind(messageId: string): string {
  return `held behind message ${messageId} of its group, which stays: a group's order is kept`;
}

export async function redriveMessages(options: RedriveOptions): Promise<RedriveReport> {
  const { clients, from, to, filter } = options;
  const fromLabel = QUEUE_LABELS[from.role];
  const report = { moved: [] as MovedMessage[], wouldMove: [] as QueueMessage[], skipped: [] as SkippedMessage[], failed: [] as FailedMessage[] };
  let unreleased: number;
  /** Groups with a message left behind in this run, and that message: their later messages stay too. */
  const blockedGroups = new Map<string, string>();
  const movedWebhooks = new Set<string>();
  const lease = new Lease(clients.sqs, from.url, options.visibilityTimeout);
  const waitUntil = from.inFlight > 0 ? Date.now() + options.waitInFlightSeconds * 1000 : 0;
  const done = () => options.stopRequested() || report.moved.length >= options.maxMessages;

  const handle = async (message: QueueMessage): Promise<void> => {
    const { messageId, groupId } = message;
    const reason = skipReason(message, filter);
    const blocker = blockedGroups.get(groupId);
    if (blocker !== undefined) {
      // Named by the filter, or not: it stays behind the earlier message either way.
      report.skipped.push({ messageId, groupId, reason: reason === FILTERED_OUT ? FILTERED_OUT : heldBehind(blocker) });
      return;
    }
    /** Leaves the message, and the rest of its group behind it. */
    const leave = (why: string) => {
      report.skipped.push({ messageId, groupId, reason: why });
      // A discard reorders nothing: it goes on.
      if (to) blockedGroups.set(groupId, messageId);
    };
    if (reason) {
      // A quarantined message is no part of its entity's order (until vouched for): the group goes on past it.
      if (message.quarantineReason === undefined) return leave(reason);
      report.skipped.push({ messageId, groupId, reason });
      return;
    }
    if (movedWebhooks.has(webhookKey(message))) {
      const why = message.quarantineReason ? `quarantined again: ${message.quarantineReason}` : "failed again";
      return leave(`moved earlier in this run and back in the ${fromLabel} (${why})`);
    }
    if (options.dryRun) {
      report.wouldMove.push(message);
      return;
    }
    let newMessageId: string | undefined;
    let recorded = false;
    try {
      if (to) {
        await options.recordCopy?.(groupId, redriveDeduplicationId(message), "sending");
        recorded = true;
        newMessageId = await sendCopy(clients.sqs, to.url, message);
      }
    } catch (error) {
      if (recorded) await options.recordCopy?.(groupId, redriveDeduplicationId(message), "not sent").catch(() => undefined);
      blockedGroups.set(groupId, messageId);
      report.failed.push({ messageId, groupId, error: `not sent: ${(error as Error).message}` });
      return;
    }
    try {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: from.url, ReceiptHandle: message.receiptHandle }));
      lease.forget(message);
    } catch (error) {
      blockedGroups.set(groupId, messageId);
      const notDeleted = `not deleted from the ${fromLabel} (${(error as Error).message})`;
      report.failed.push({
        messageId,
        groupId,
        error: to ? `sent as ${newMessageId} but ${notDeleted}; a re-run within 5 minutes is deduplicated` : notDeleted,
      });
      return;
    }
    const moved = { messageId, groupId, ...(newMessageId !== undefined && { newMessageId }) };
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
        const othersInFlight = (await describeQueue(clients, from.url, from.role)).inFlight - lease.size;
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
