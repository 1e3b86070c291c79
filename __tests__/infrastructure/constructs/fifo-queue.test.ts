import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Testing, Token } from "cdktf";
import { FifoQueue, FifoQueueProps } from "../../../src/infrastructure/constructs/fifo-queue";

/** The construct on its own, with only the required prop unless told otherwise. */
function synthQueues(props: Partial<FifoQueueProps> = {}) {
  let construct!: FifoQueue;
  const text = Testing.synthScope((scope) => {
    construct = new FifoQueue(scope, "queues", { queueName: "shop-webhooks", ...props });
  });
  const json = JSON.parse(text);
  const queues = json.resource.aws_sqs_queue;
  return {
    text,
    json,
    queueId: construct.queue.friendlyUniqueId,
    dlqId: construct.deadLetterQueue.friendlyUniqueId,
    queue: queues[construct.queue.friendlyUniqueId],
    dlq: queues[construct.deadLetterQueue.friendlyUniqueId],
    construct,
  };
}

describe("FifoQueue", () => {
  test("creates exactly the queue, the dead-letter queue and the DLQ's redrive-allow policy", () => {
    const { json } = synthQueues();
    expect(Object.keys(json.resource).sort()).toEqual(["aws_sqs_queue", "aws_sqs_queue_redrive_allow_policy"]);
    expect(Object.keys(json.resource.aws_sqs_queue)).toHaveLength(2);
    expect(Object.keys(json.resource.aws_sqs_queue_redrive_allow_policy)).toHaveLength(1);
    expect(json.data).toBeUndefined();
  });

  test("the queue: FIFO, content-based deduplication, SQS-managed encryption, named <queueName>.fifo", () => {
    const { text, queue } = synthQueues();
    expect(text).toHaveResourceWithProperties(SqsQueue, {
      name: "shop-webhooks.fifo",
      fifo_queue: true,
      content_based_deduplication: true,
      sqs_managed_sse_enabled: true,
    });
    expect(queue.name).toBe("shop-webhooks.fifo");
  });

  test("the dead-letter queue: FIFO, SQS-managed encryption, named <queueName>-dlq.fifo, no deduplication or redrive of its own", () => {
    const { text, dlq } = synthQueues();
    expect(text).toHaveResourceWithProperties(SqsQueue, { name: "shop-webhooks-dlq.fifo", fifo_queue: true, sqs_managed_sse_enabled: true });
    expect(dlq).toEqual({
      name: "shop-webhooks-dlq.fifo",
      fifo_queue: true,
      max_message_size: 262144,
      message_retention_seconds: 345600,
      sqs_managed_sse_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
  });

  test("message size: 256 KiB on both queues by default, what every provider accepts; maxMessageSizeBytes sets both", () => {
    const defaults = synthQueues();
    expect([defaults.queue.max_message_size, defaults.dlq.max_message_size]).toEqual([262_144, 262_144]);
    const large = synthQueues({ maxMessageSizeBytes: 1_048_576 });
    expect([large.queue.max_message_size, large.dlq.max_message_size]).toEqual([1_048_576, 1_048_576]);
  });

  test("visibility timeout: 60 s by default", () => {
    expect(synthQueues().queue.visibility_timeout_seconds).toBe(60);
  });

  test("visibility timeout: visibilityTimeoutSeconds overrides it", () => {
    expect(synthQueues({ visibilityTimeoutSeconds: 360 }).queue.visibility_timeout_seconds).toBe(360);
  });

  test("queueArn: the queue's arn attribute, or spelled from its name when the account and region are known (no reference to the queue)", () => {
    expect(Token.isUnresolved(synthQueues().construct.queueArn)).toBe(true);
    const spelled = synthQueues({ account: "123456789012", region: "ap-northeast-1" }).construct.queueArn;
    expect(spelled).toBe("arn:aws:sqs:ap-northeast-1:123456789012:shop-webhooks.fifo");
  });

  test("redrive policy: into the DLQ after 1 receive by default", () => {
    const { queue, dlqId } = synthQueues();
    expect(queue.redrive_policy).toBe(`\${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.${dlqId}.arn, "maxReceiveCount" = 1})}`);
  });

  test("redrive policy: maxReceiveCount overrides the receive count", () => {
    const { queue, dlqId } = synthQueues({ maxReceiveCount: 5 });
    expect(queue.redrive_policy).toBe(`\${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.${dlqId}.arn, "maxReceiveCount" = 5})}`);
  });

  test("DLQ retention: 345600 s (4 days) by default", () => {
    expect(synthQueues().dlq.message_retention_seconds).toBe(345600);
  });

  test("DLQ retention: deadLetterRetentionSeconds overrides it; the queue keeps SQS's default retention", () => {
    const { queue, dlq } = synthQueues({ deadLetterRetentionSeconds: 1209600 });
    expect(dlq.message_retention_seconds).toBe(1209600);
    expect(queue.message_retention_seconds).toBeUndefined();
  });

  test("lifecycle.prevent_destroy is true on both queues by default", () => {
    const { queue, dlq } = synthQueues();
    expect(queue.lifecycle).toEqual({ prevent_destroy: true });
    expect(dlq.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("lifecycle.prevent_destroy: preventDestroy false lifts it on both queues", () => {
    const { queue, dlq } = synthQueues({ preventDestroy: false });
    expect(queue.lifecycle).toEqual({ prevent_destroy: false });
    expect(dlq.lifecycle).toEqual({ prevent_destroy: false });
  });

  test("lifecycle.prevent_destroy: preventDestroy true keeps it on both queues", () => {
    const { queue, dlq } = synthQueues({ preventDestroy: true });
    expect(queue.lifecycle).toEqual({ prevent_destroy: true });
    expect(dlq.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("the DLQ accepts redrives from the queue only (byQueue), as a resource of its own on the DLQ's URL", () => {
    const { text, json, queueId, dlqId } = synthQueues();
    const expected = {
      queue_url: `\${aws_sqs_queue.${dlqId}.url}`,
      redrive_allow_policy: `\${jsonencode({"redrivePermission" = "byQueue", "sourceQueueArns" = [aws_sqs_queue.${queueId}.arn]})}`,
    };
    expect(text).toHaveResourceWithProperties(SqsQueueRedriveAllowPolicy, expected);
    expect(Object.values(json.resource.aws_sqs_queue_redrive_allow_policy)).toEqual([expected]);
    expect(json.resource.aws_sqs_queue[dlqId].redrive_allow_policy).toBeUndefined();
  });

  test("the whole queue, defaults in place", () => {
    const { queue, dlqId } = synthQueues();
    expect(queue).toEqual({
      name: "shop-webhooks.fifo",
      fifo_queue: true,
      content_based_deduplication: true,
      max_message_size: 262144,
      visibility_timeout_seconds: 60,
      fifo_throughput_limit: "perQueue",
      deduplication_scope: "queue",
      redrive_policy: `\${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.${dlqId}.arn, "maxReceiveCount" = 1})}`,
      sqs_managed_sse_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
  });

  test("throughput: SQS's normal FIFO mode spelled out by default (so that switching back from high throughput is a change), on the queue only", () => {
    for (const props of [{}, { highThroughput: false }]) {
      const { queue, dlq } = synthQueues(props);
      expect([queue.fifo_throughput_limit, queue.deduplication_scope]).toEqual(["perQueue", "queue"]);
      expect([dlq.fifo_throughput_limit, dlq.deduplication_scope]).toEqual([undefined, undefined]);
    }
  });

  test("throughput: highThroughput sets both attributes of SQS's high-throughput mode on the queue, and nothing else changes; the DLQ keeps its own", () => {
    const normal = synthQueues();
    const high = synthQueues({ highThroughput: true });
    expect(high.queue).toEqual({ ...normal.queue, fifo_throughput_limit: "perMessageGroupId", deduplication_scope: "messageGroup" });
    expect(high.dlq).toEqual(normal.dlq);
    expect(high.json.resource.aws_sqs_queue_redrive_allow_policy).toEqual(normal.json.resource.aws_sqs_queue_redrive_allow_policy);
  });

  test("exposes the queues and the policy under the construct IDs the stack's address map pins", () => {
    const { construct } = synthQueues();
    expect(construct.queue.node.id).toBe("queue");
    expect(construct.deadLetterQueue.node.id).toBe("dead-letter-queue");
    expect(construct.redriveAllowPolicy.node.id).toBe("redrive-allow-policy");
    expect(construct.redriveAllowPolicy).toBeInstanceOf(SqsQueueRedriveAllowPolicy);
  });
});
