/**
 * Quarantine: a webhook that fails verification goes to the dead-letter queue, with its body,
 * group and attributes and the reason, and is then deleted from the queue by the event source
 * mapping (the record counts as handled). It never reaches the application and does not hold up
 * its group; the DLQ alarm fires; nothing is lost: fix the secret and redrive it.
 */
import type { MessageAttributeValue, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { MESSAGE_ATTRIBUTES } from "./contract";

let client: SQSClient | undefined;

/** The record's message attributes as SendMessage takes them, plus the quarantine reason. */
export function quarantineAttributes(record: SQSRecord, reason: string): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
    else if (value.binaryValue !== undefined) attributes[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, "base64") };
  }
  // SQS keeps at most 256 characters of sense in a log line; a reason is short anyway.
  attributes[MESSAGE_ATTRIBUTES.quarantineReason] = { DataType: "String", StringValue: reason.slice(0, 256) };
  return attributes;
}

/** Sends the record to the DLQ; resolves with the DLQ message ID. A failure throws, so the record is retried. */
export async function quarantine(record: SQSRecord, reason: string, deadLetterQueueUrl: string): Promise<string> {
  // Loaded on first use: most invocations never quarantine anything.
  const { SendMessageCommand, SQSClient } = await import("@aws-sdk/client-sqs");
  client ??= new SQSClient({});
  const response = await client.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageGroupId: record.attributes.MessageGroupId,
      // A retried quarantine of the same message is dropped by SQS instead of queued twice.
      MessageDeduplicationId: `quarantine-${record.messageId}`,
      MessageAttributes: quarantineAttributes(record, reason),
    }),
  );
  return response.MessageId ?? "";
}
