/**
 * The forwarder's own SQS calls (the event source mapping receives and deletes): setting a webhook
 * aside (./set-aside.ts) and hiding a failed one for its backoff. One client, and the SDK loaded on
 * first use: a healthy target with genuine webhooks never needs either.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";

let client: SQSClient | undefined;

/** The SDK's SQS module and the forwarder's one client. */
export async function sqs(): Promise<{ readonly sdk: typeof import("@aws-sdk/client-sqs"); readonly client: SQSClient }> {
  const sdk = await import("@aws-sdk/client-sqs");
  client ??= new sdk.SQSClient({});
  return { sdk, client };
}

/** ChangeMessageVisibilityBatch: each receipt handle hidden for its seconds; throws when SQS refused any. */
export async function changeVisibility(
  queueUrl: string,
  entries: readonly { readonly receiptHandle: string; readonly seconds: number }[],
): Promise<void> {
  if (entries.length === 0) return;
  const { sdk, client } = await sqs();
  const answer = await client.send(
    new sdk.ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receiptHandle, VisibilityTimeout: entry.seconds })),
    }),
  );
  const failed = answer.Failed ?? [];
  if (failed.length > 0) throw new Error(`ChangeMessageVisibility failed: ${failed.map((entry) => entry.Message ?? entry.Code).join("; ")}`);
}
