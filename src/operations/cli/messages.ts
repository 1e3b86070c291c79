/**
 * Messages as the CLI sees them, and the pure rules about them: grouping in FIFO
 * receive order, the redrive filter, and the deduplication ID a redriven copy gets.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { FORGED_REASON_PREFIX, mappedValue, MESSAGE_ATTRIBUTES, REDRIVEN_DEDUPLICATION_PREFIX } from "../../../lambda/forwarder/contract";

export interface QueueMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly receiveCount: number;
  /** ISO time the message was first sent (SentTimestamp); empty when SQS did not say. */
  readonly sentAt: string;
  readonly sequenceNumber?: string;
  readonly deduplicationId?: string;
  /** The webhook's source (its attribute; none on a message queued before sources existed). */
  readonly source?: string;
  /** The webhook's stable ID (its attribute). */
  readonly webhookId?: string;
  /** Why the forwarder quarantined it, when it did. */
  readonly quarantineReason?: string;
  /** Why the forwarder dead-lettered it, when it did (a DLQ message SQS moved has none). */
  readonly deadLetterReason?: string;
  readonly body: string;
  readonly receiptHandle: string;
  /** All system attributes SQS returned. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: NonNullable<Message["MessageAttributes"]>;
}

export function toQueueMessage(message: Message): QueueMessage {
  const attributes: Record<string, string> = { ...(message.Attributes ?? {}) };
  const sent = Number(attributes.SentTimestamp);
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  return {
    source: attribute(MESSAGE_ATTRIBUTES.source),
    webhookId: mappedValue(attribute(MESSAGE_ATTRIBUTES.webhookId)),
    quarantineReason: attribute(MESSAGE_ATTRIBUTES.quarantineReason),
    deadLetterReason: attribute(MESSAGE_ATTRIBUTES.deadLetterReason),
    messageId: message.MessageId ?? "",
    groupId: attributes.MessageGroupId ?? "",
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : "",
    sequenceNumber: attributes.SequenceNumber,
    deduplicationId: attributes.MessageDeduplicationId,
    body: message.Body ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    attributes,
    messageAttributes: message.MessageAttributes ?? {},
  };
}

export interface MessageGroup {
  readonly groupId: string;
  readonly messages: readonly QueueMessage[];
}

/** Groups messages by group ID; groups in order of first appearance, messages in receive order (FIFO order). */
export function groupInReceiveOrder(messages: readonly QueueMessage[]): MessageGroup[] {
  const groups = new Map<string, QueueMessage[]>();
  for (const message of messages) {
    const group = groups.get(message.groupId);
    if (group) group.push(message);
    else groups.set(message.groupId, [message]);
  }
  return [...groups].map(([groupId, grouped]) => ({ groupId, messages: grouped }));
}

/** The source a message without a source attribute belongs to (the stack's default source, by default named so). */
export const DEFAULT_SOURCE_NAME = "default";

export interface RedriveFilter {
  /** Only these message groups (empty: all). */
  readonly groups: ReadonlySet<string>;
  /** Only these sources (empty: all); "default" also matches a message without a source, queued before sources existed. */
  readonly sources?: ReadonlySet<string>;
  /** Only these message IDs (empty: all). */
  readonly messageIds: ReadonlySet<string>;
  /**
   * Messages that carry a quarantine reason: "skip" them (a redrive of the DLQ), "include" them
   * (--include-quarantined; the quarantine queue), or take "only" them (a discard from the DLQ).
   * @default "include"
   */
  readonly quarantined?: "skip" | "include" | "only";
  /**
   * Leave out webhooks quarantined as forged (attributes that contradicted SQS): a move back to the
   * main queue makes a copy whose attributes the forwarder trusts. @default false (a discard takes them)
   */
  readonly refuseForged?: boolean;
}

export function matchesFilter(message: QueueMessage, filter: RedriveFilter): boolean {
  const sources = filter.sources ?? new Set<string>();
  return (
    (filter.groups.size === 0 || filter.groups.has(message.groupId)) &&
    (sources.size === 0 || sources.has(message.source ?? DEFAULT_SOURCE_NAME)) &&
    (filter.messageIds.size === 0 || filter.messageIds.has(message.messageId))
  );
}

/** Skip reasons a run counts without listing each message: the filter left them out. */
export const FILTERED_OUT = "filtered out";
export const NOT_QUARANTINED = "not quarantined (a failed delivery): never discarded";

/** Why a redrive or a discard leaves `message` where it is; undefined when it is to be moved (or discarded). */
export function skipReason(message: QueueMessage, filter: RedriveFilter): string | undefined {
  if (!matchesFilter(message, filter)) return FILTERED_OUT;
  const rule = filter.quarantined ?? "include";
  if (rule === "skip" && message.quarantineReason !== undefined) {
    return (
      `quarantined (${message.quarantineReason}), left in the DLQ: once you vouch for it, move it with ` +
      `"webhook-queue redrive --include-quarantined --message-id ${message.messageId}", or drop it with ` +
      `"webhook-queue quarantine discard --from dlq --message-id ${message.messageId}"`
    );
  }
  if (rule === "only" && message.quarantineReason === undefined) return NOT_QUARANTINED;
  if (filter.refuseForged && message.quarantineReason?.startsWith(FORGED_REASON_PREFIX)) {
    return (
      `${message.quarantineReason}: never put back, its copy's attributes would be trusted; ` +
      `drop it with "webhook-queue quarantine discard --message-id ${message.messageId}"`
    );
  }
  return undefined;
}

/**
 * The MessageDeduplicationId of a message's copy in the main queue. Derived from the DLQ
 * message's ID, so a re-run after an interruption between send and delete is dropped by
 * SQS (within its 5-minute window). Not the message's own deduplication ID: with
 * content-based deduplication that equals the original send's, and SQS would drop the
 * copy if the redrive came within 5 minutes of the original webhook.
 */
export function redriveDeduplicationId(message: Pick<QueueMessage, "messageId">): string {
  return `${REDRIVEN_DEDUPLICATION_PREFIX}${message.messageId}`;
}

export { bodyPreview } from "../shared/terminal-safe";

/** What a script needs to know about a message (no receipt handle: it is useless after the command). */
export function messageDocument(message: QueueMessage): Record<string, unknown> {
  return {
    messageId: message.messageId,
    groupId: message.groupId,
    source: message.source ?? null,
    webhookId: message.webhookId ?? null,
    quarantineReason: message.quarantineReason ?? null,
    deadLetterReason: message.deadLetterReason ?? null,
    receiveCount: message.receiveCount,
    sentAt: message.sentAt,
    sequenceNumber: message.sequenceNumber,
    deduplicationId: message.deduplicationId,
    attributes: message.attributes,
    messageAttributes: message.messageAttributes,
    body: message.body,
  };
}
