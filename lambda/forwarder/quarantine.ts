/**
 * Quarantine: a webhook that fails verification, or whose attributes contradict SQS, goes to the
 * quarantine queue with its body, group and attributes and the reason, and is then deleted from
 * the queue by the event source mapping (the record counts as handled). It never reaches the
 * application, does not hold up its group, and stays out of the dead-letter queue and its alarms,
 * which are for delivery failures. Nothing is lost: `webhook-queue quarantine` lists, releases or
 * discards it.
 */
import type { MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { MESSAGE_ATTRIBUTES } from "./contract";

let client: SQSClient | undefined;

/** Longest quarantine reason kept; a reason is short anyway. */
export const MAX_REASON_CHARS = 256;

/** The record's message attributes as SendMessage takes them, plus the quarantine reason. */
export function quarantineAttributes(record: SQSRecord, reason: string): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    else if (value.binaryValue !== undefined) attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, "base64") };
  }
  attributes[MESSAGE_ATTRIBUTES.quarantineReason] = { DataType: "String", StringValue: reason.slice(0, MAX_REASON_CHARS) };
  return attributes;
}

/** What SQS answers when body and attributes together exceed the queue's maximum message size. */
function isTooLarge(error: unknown): boolean {
  return /shorter than|too long|exceeds.*size/i.test((error as Error)?.message ?? "");
}

/**
 * Sends the record to the quarantine queue; resolves with the new message's ID. A webhook that
 * filled the queue's maximum size has no room for the reason beside its own attributes: it is
 * quarantined with the reason alone then (the body is what matters). Any other failure throws, so
 * the record is retried.
 */
export async function quarantine(record: SQSRecord, reason: string, quarantineQueueUrl: string): Promise<string> {
  // Loaded on first use: most invocations never quarantine anything.
  const { SendMessageCommand, SQSClient } = await import("@aws-sdk/client-sqs");
  client ??= new SQSClient({});
  const send = (attributes: Record<string, MessageAttributeValue>) =>
    client!.send(
      new SendMessageCommand({
        QueueUrl: quarantineQueueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId,
        // A retried quarantine of the same message is dropped by SQS instead of queued twice.
        MessageDeduplicationId: `quarantine-${record.messageId}`,
        MessageAttributes: attributes,
      }),
    );
  try {
    return (await send(quarantineAttributes(record, reason))).MessageId ?? "";
  } catch (error) {
    if (!isTooLarge(error)) throw error;
    const reasonOnly = {
      [MESSAGE_ATTRIBUTES.quarantineReason]: quarantineAttributes(record, `${reason} (attributes dropped: no room)`)[
        MESSAGE_ATTRIBUTES.quarantineReason
      ],
    };
    return (await send(reasonOnly)).MessageId ?? "";
  }
}
