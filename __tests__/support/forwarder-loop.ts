/**
 * Lambda's SQS event source mapping played by hand in the test process: receive a batch, invoke
 * the forwarder's handler, delete what its answer says is done (src/operations/local/event-source-
 * mapping.ts's rules). One poll at a time, or a loop until stopped.
 */
import { DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { settleBatch, sqsEventRecord } from "../../src/operations/local/event-source-mapping";
import type { ForwarderHandler } from "./bundled-lambda";

export interface PollResult {
  readonly received: SQSRecord[];
  readonly failed: SQSRecord[];
}

/** One poll: up to 10 messages, the handler invoked once with them, the done ones deleted. */
export async function pollOnce(sqs: SQSClient, queueUrl: string, queueArn: string, handler: ForwarderHandler): Promise<PollResult> {
  const messages: Message[] =
    (
      await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      )
    ).Messages ?? [];
  if (messages.length === 0) return { received: [], failed: [] };
  const records = messages.map((message) => sqsEventRecord(message, queueArn));
  let outcome: Parameters<typeof settleBatch>[1];
  try {
    outcome = { kind: "returned", result: await handler({ Records: records }), durationMs: 0 };
  } catch (error) {
    outcome = { kind: "error", errorType: (error as Error).name, errorMessage: (error as Error).message, durationMs: 0 };
  }
  const decision = settleBatch(
    records.map((record) => record.messageId),
    outcome,
    true,
  );
  for (const record of records.filter((r) => decision.remove.includes(r.messageId))) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
  }
  return { received: records, failed: records.filter((r) => decision.keep.includes(r.messageId)) };
}

/** Polls until stopped; `stop()` resolves once the poll in hand is done. */
export function startForwarderLoop(sqs: SQSClient, queueUrl: string, queueArn: string, handler: ForwarderHandler): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) await pollOnce(sqs, queueUrl, queueArn, handler);
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
