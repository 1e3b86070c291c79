import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface FifoQueueProps {
  /** Physical name without `.fifo`, e.g. `mz-dev-webhook-queue`; the DLQ adds `-dlq`. */
  readonly queueName: string;
  /** Seconds a received message stays hidden while the forwarder works on it. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ (`var.webhook.max_receive_count`). */
  readonly maxReceiveCount: number;
  /** How long the DLQ keeps a message (`var.webhook.dlq_retention_second`). */
  readonly deadLetterRetentionSeconds: number;
}

/** The webhook queue (FIFO, content-based dedup) and the FIFO dead-letter queue it drains into. */
export class FifoQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  public readonly redriveAllowPolicy: SqsQueueRedriveAllowPolicy;

  constructor(scope: Construct, id: string, props: FifoQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new SqsQueue(this, "dead-letter-queue", {
      name: `${props.queueName}-dlq.fifo`,
      fifoQueue: true,
      messageRetentionSeconds: props.deadLetterRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
    this.deadLetterQueue.overrideLogicalId("webhook_dlq"); // state address: aws_sqs_queue.webhook_dlq

    this.queue = new SqsQueue(this, "queue", {
      name: `${props.queueName}.fifo`,
      fifoQueue: true,
      contentBasedDeduplication: true,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      redrivePolicy: Fn.jsonencode({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount,
      }),
      sqsManagedSseEnabled: true,
    });
    this.queue.overrideLogicalId("webhook_queue"); // state address: aws_sqs_queue.webhook_queue

    // A resource of its own: on the DLQ itself it would make a cycle with the queue's redrive policy.
    this.redriveAllowPolicy = new SqsQueueRedriveAllowPolicy(this, "redrive-allow-policy", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
    this.redriveAllowPolicy.overrideLogicalId("webhook_dlq"); // fixed address: aws_sqs_queue_redrive_allow_policy.webhook_dlq
  }
}
