import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { SQS_MESSAGE_SIZE } from "../provider-lines";

export interface FifoQueueProps {
  /** Physical name without `.fifo`, e.g. `mz-dev-webhook-queue`; the DLQ adds `-dlq`. */
  readonly queueName: string;
  /** Seconds a received message stays hidden while the forwarder works on it. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before SQS moves a message to the DLQ (`var.webhook.max_receive_count`). @default 1 */
  readonly maxReceiveCount?: number;
  /** The largest message, body and attributes, both queues take. @default 262144 (256 KiB, what every provider accepts) */
  readonly maxMessageSizeBytes?: number;
  /** How long the DLQ keeps a message (`var.webhook.dlq_retention_second`). @default 345600 (4 days) */
  readonly deadLetterRetentionSeconds?: number;
  /**
   * `lifecycle { prevent_destroy = true }` on both queues: Terraform itself refuses any plan that
   * destroys or replaces one (their messages would go with them). @default true
   */
  readonly preventDestroy?: boolean;
  /**
   * SQS's high-throughput FIFO mode on the queue (not the DLQ, whose traffic is the failures):
   * `fifo_throughput_limit = "perMessageGroupId"` and `deduplication_scope = "messageGroup"`.
   * Otherwise both are set to SQS's normal values (`perQueue`, `queue`): left out, these Optional +
   * Computed attributes would keep whatever is deployed, and switching the mode off would plan
   * nothing. @default false
   */
  readonly highThroughput?: boolean;
  /**
   * The account and region the queues live in: `queueArn` is then spelled from the name, so that
   * policy documents naming the queue are not deferred to apply time (and shown as updates) by
   * any change to it. @default - `queueArn` is the queue's `arn` attribute
   */
  readonly account?: string;
  readonly region?: string;
}

/** SQS's high-throughput FIFO mode: both together, or SQS gives normal throughput. */
export const HIGH_THROUGHPUT = { fifoThroughputLimit: "perMessageGroupId", deduplicationScope: "messageGroup" } as const;
/** SQS's defaults for a FIFO queue (what the article's queue has). */
export const NORMAL_THROUGHPUT = { fifoThroughputLimit: "perQueue", deduplicationScope: "queue" } as const;

/** The webhook queue (FIFO, content-based dedup) and the FIFO dead-letter queue it drains into. */
export class FifoQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  public readonly redriveAllowPolicy: SqsQueueRedriveAllowPolicy;
  /** The queue's ARN for policy documents (see `account`). */
  public readonly queueArn: string;
  /** The physical names (`<queueName>.fifo`, `<queueName>-dlq.fifo`), known at synth. */
  public readonly queueName: string;
  public readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: FifoQueueProps) {
    super(scope, id);
    const lifecycle = { preventDestroy: props.preventDestroy ?? true };
    // The same on both: whatever the queue holds can move to the DLQ.
    const maxMessageSize = props.maxMessageSizeBytes ?? SQS_MESSAGE_SIZE.classic;
    this.queueName = `${props.queueName}.fifo`;
    this.deadLetterQueueName = `${props.queueName}-dlq.fifo`;
    this.deadLetterQueue = new SqsQueue(this, "dead-letter-queue", {
      name: this.deadLetterQueueName,
      lifecycle,
      fifoQueue: true,
      maxMessageSize,
      messageRetentionSeconds: props.deadLetterRetentionSeconds ?? 345_600,
      sqsManagedSseEnabled: true,
    });

    this.queue = new SqsQueue(this, "queue", {
      name: this.queueName,
      lifecycle,
      fifoQueue: true,
      contentBasedDeduplication: true,
      maxMessageSize,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 60,
      ...(props.highThroughput ? HIGH_THROUGHPUT : NORMAL_THROUGHPUT),
      redrivePolicy: Fn.jsonencode({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount ?? 1,
      }),
      sqsManagedSseEnabled: true,
    });

    this.queueArn =
      props.account !== undefined && props.region !== undefined ? `arn:aws:sqs:${props.region}:${props.account}:${this.queueName}` : this.queue.arn;

    // A resource of its own: on the DLQ itself it would make a cycle with the queue's redrive policy.
    this.redriveAllowPolicy = new SqsQueueRedriveAllowPolicy(this, "redrive-allow-policy", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
  }
}
