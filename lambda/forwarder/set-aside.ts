/**
 * Setting a webhook aside: the forwarder sends it, with its body, group and attributes and the
 * reason, to another queue, and the event source mapping then deletes it from the queue (the record
 * counts as handled). Nothing is lost: the operators' tool lists it there, and puts it back or
 * discards it.
 * - Quarantine: a webhook that fails verification, or whose attributes contradict SQS, goes to the
 *   quarantine queue. It never reaches the application, does not hold up its group, and stays out
 *   of the DLQ and its alarms, which are for delivery failures (`webhook-queue quarantine`).
 * - Dead letter: a webhook whose retry budget is spent, and the webhooks of its group held behind
 *   it (./held-groups.ts), go to the DLQ, in order (`webhook-queue redrive`).
 */
import type { MessageAttributeValue } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { MESSAGE_ATTRIBUTES } from "./contract";
import { sqs } from "./sqs";

/** The deduplication IDs of what the forwarder sets aside: `<prefix><its message ID in the queue>`. */
const DEDUPLICATION_PREFIX = { quarantine: "quarantine-", deadLetter: "dead-" } as const;

/** Longest reason kept; a reason is short anyway. */
export const MAX_REASON_CHARS = 256;

type ReasonAttribute = typeof MESSAGE_ATTRIBUTES.quarantineReason | typeof MESSAGE_ATTRIBUTES.deadLetterReason;

/** The record's message attributes as SendMessage takes them, plus the reason. */
export function setAsideAttributes(record: SQSRecord, reasonAttribute: ReasonAttribute, reason: string): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    else if (value.binaryValue !== undefined) attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, "base64") };
  }
  attributes[reasonAttribute] = { DataType: "String", StringValue: reason.slice(0, MAX_REASON_CHARS) };
  return attributes;
}

/** What SQS answers when body and attributes together exceed the queue's maximum message size. */
function isTooLarge(error: unknown): boolean {
  return /shorter than|too long|exceeds.*size/i.test((error as Error)?.message ?? "");
}

/**
 * Sends the record to `queueUrl` with the reason; resolves with the new message's ID. A webhook
 * that filled the queue's maximum size has no room for the reason beside its own attributes: it is
 * set aside with the reason alone then (the body is what matters). Any other failure throws, so the
 * record is retried. A retried send of the same record is dropped by SQS (the deduplication ID
 * comes from the record's message ID) instead of queued twice.
 */
async function setAside(
  record: SQSRecord,
  queueUrl: string,
  reasonAttribute: ReasonAttribute,
  reason: string,
  deduplicationPrefix: string,
): Promise<string> {
  const { sdk, client } = await sqs();
  const send = (attributes: Record<string, MessageAttributeValue>) =>
    client.send(
      new sdk.SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId,
        MessageDeduplicationId: `${deduplicationPrefix}${record.messageId}`,
        MessageAttributes: attributes,
      }),
    );
  try {
    return (await send(setAsideAttributes(record, reasonAttribute, reason))).MessageId ?? "";
  } catch (error) {
    if (!isTooLarge(error)) throw error;
    const reasonOnly = { [reasonAttribute]: setAsideAttributes(record, reasonAttribute, `${reason} (attributes dropped: no room)`)[reasonAttribute] };
    return (await send(reasonOnly)).MessageId ?? "";
  }
}

/** Sends the record to the quarantine queue with a `quarantine-reason`. */
export function quarantine(record: SQSRecord, reason: string, quarantineQueueUrl: string): Promise<string> {
  return setAside(record, quarantineQueueUrl, MESSAGE_ATTRIBUTES.quarantineReason, reason, DEDUPLICATION_PREFIX.quarantine);
}

/** Sends the record to the DLQ with a `dead-letter-reason`. */
export function deadLetter(record: SQSRecord, reason: string, deadLetterQueueUrl: string): Promise<string> {
  return setAside(record, deadLetterQueueUrl, MESSAGE_ATTRIBUTES.deadLetterReason, reason, DEDUPLICATION_PREFIX.deadLetter);
}
