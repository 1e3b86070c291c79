import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { SQS_MESSAGE_SIZE } from "../provider-lines";

export interface QuarantineQueueProps {
  /** Physical name without `.fifo`, e.g. `mz-dev-webhook-quarantine`. */
  readonly queueName: string;
  /** How long a quarantined webhook is kept. @default 1209600 (14 days, SQS's longest) */
  readonly retentionSeconds?: number;
  /** The largest message, as the webhook queue's: whatever it holds may be quarantined. @default 262144 */
  readonly maxMessageSizeBytes?: number;
  /** `lifecycle { prevent_destroy = true }`: a wrong secret quarantines genuine webhooks. @default true */
  readonly preventDestroy?: boolean;
}

/**
 * The FIFO queue the forwarder sends what fails verification to: forged requests, and genuine
 * webhooks while a secret is wrong. Apart from the dead-letter queue, so that a forgery neither
 * pages as a delivery failure nor keeps the DLQ's alarms in ALARM, hiding the next real failure.
 */
export class QuarantineQueue extends Construct {
  public readonly queue: SqsQueue;
  /** The physical name (`<queueName>.fifo`), known at synth. */
  public readonly queueName: string;

  constructor(scope: Construct, id: string, props: QuarantineQueueProps) {
    super(scope, id);
    this.queueName = `${props.queueName}.fifo`;
    this.queue = new SqsQueue(this, "queue", {
      name: this.queueName,
      lifecycle: { preventDestroy: props.preventDestroy ?? true },
      fifoQueue: true,
      maxMessageSize: props.maxMessageSizeBytes ?? SQS_MESSAGE_SIZE.classic,
      messageRetentionSeconds: props.retentionSeconds ?? 1_209_600,
      sqsManagedSseEnabled: true,
      // No queue may make it its dead-letter queue: only the forwarder sends here.
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: "denyAll" }),
    });
  }
}
