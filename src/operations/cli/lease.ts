/**
 * Holding received messages without consuming them. Every message the CLI receives is
 * kept invisible by a heartbeat while the command works, and made visible again
 * (visibility 0) when the command ends: peek leaves the queue as it found it, and
 * redrive releases what it did not move. If the process is killed, SQS makes the
 * messages visible again within one visibility timeout.
 */
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { QueueMessage, toQueueMessage } from "./messages";

const SQS_BATCH_LIMIT = 10;

export class Lease {
  private readonly handles = new Map<string, string>();
  private heartbeat?: NodeJS.Timeout;
  /** The renewal under way, awaited before releasing so it cannot hide released messages again. */
  private renewal?: Promise<unknown>;

  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    /** Seconds each received message stays invisible, renewed while held. */
    readonly visibilityTimeout: number,
  ) {}

  /** How many messages are held. */
  get size(): number {
    return this.handles.size;
  }

  /** Receives up to 10 messages and holds them; renews every held message's visibility until released. */
  async receive(maxMessages: number, waitSeconds = 0): Promise<QueueMessage[]> {
    this.startHeartbeat();
    const response = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, Math.max(1, maxMessages)),
        VisibilityTimeout: this.visibilityTimeout,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = (response.Messages ?? []).map(toQueueMessage);
    for (const message of messages) this.handles.set(message.messageId, message.receiptHandle);
    return messages;
  }

  /** Stops holding a message (it was deleted). */
  forget(message: QueueMessage): void {
    this.handles.delete(message.messageId);
  }

  /** Makes every held message visible again; returns how many could not be released. */
  async releaseAll(): Promise<number> {
    this.stopHeartbeat();
    await this.renewal;
    const failed = await this.changeVisibility([...this.handles.values()], 0);
    this.handles.clear();
    return failed;
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    const everyMs = Math.max(500, (this.visibilityTimeout * 1000) / 3);
    this.heartbeat = setInterval(() => {
      if (this.renewal) return;
      // A renewal that fails leaves the message to come back by itself: nothing is lost.
      this.renewal = this.changeVisibility([...this.handles.values()], this.visibilityTimeout).finally(() => {
        this.renewal = undefined;
      });
    }, everyMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async changeVisibility(receiptHandles: readonly string[], visibilityTimeout: number): Promise<number> {
    let failed = 0;
    for (let start = 0; start < receiptHandles.length; start += SQS_BATCH_LIMIT) {
      const chunk = receiptHandles.slice(start, start + SQS_BATCH_LIMIT);
      try {
        const response = await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((ReceiptHandle, index) => ({ Id: String(index), ReceiptHandle, VisibilityTimeout: visibilityTimeout })),
          }),
        );
        failed += response.Failed?.length ?? 0;
      } catch {
        failed += chunk.length;
      }
    }
    return failed;
  }
}

/**
 * One receive batch; when a short poll finds nothing, a 1-second long poll (which asks
 * every SQS server) confirms the queue has nothing visible left.
 */
export async function receivePage(lease: Lease, maxMessages: number): Promise<QueueMessage[]> {
  const page = await lease.receive(maxMessages, 0);
  return page.length > 0 ? page : lease.receive(maxMessages, 1);
}

/**
 * Receives until the queue has nothing more to give (or `max` messages), holding all of
 * them. A FIFO queue gives nothing more of a group while its earlier messages are held,
 * so at most one receive batch (10) per group is seen.
 */
export async function receiveAllHeld(lease: Lease, max: number, stopRequested: () => boolean = () => false): Promise<QueueMessage[]> {
  const messages: QueueMessage[] = [];
  while (messages.length < max && !stopRequested()) {
    const page = await receivePage(lease, max - messages.length);
    if (page.length === 0) break;
    messages.push(...page);
  }
  return messages;
}
