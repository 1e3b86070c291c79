import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { synth } from "../support/synth";

describe("FifoQueue: the webhook queue and its dead-letter queue", () => {
  const { text, json } = synth();

  test("aws_sqs_queue.webhook_queue: FIFO, content-based dedup, visibility = processing timeout, redrive to the DLQ", () => {
    expect(text).toHaveResourceWithProperties(SqsQueue, {
      name: "mz-dev-webhook-queue.fifo",
      fifo_queue: true,
      content_based_deduplication: true,
      visibility_timeout_seconds: 60,
      sqs_managed_sse_enabled: true,
    });
    expect(json.resource.aws_sqs_queue.webhook_queue.redrive_policy).toBe(
      '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.webhook_dlq.arn, "maxReceiveCount" = var.webhook.max_receive_count})}',
    );
  });

  test("aws_sqs_queue.webhook_dlq: FIFO, retention from var.webhook.dlq_retention_second", () => {
    expect(json.resource.aws_sqs_queue.webhook_dlq).toMatchObject({
      name: "mz-dev-webhook-queue-dlq.fifo",
      fifo_queue: true,
      message_retention_seconds: "${var.webhook.dlq_retention_second}",
      sqs_managed_sse_enabled: true,
    });
  });

  test("the DLQ only accepts redrives from the webhook queue", () => {
    expect(text).toHaveResourceWithProperties(SqsQueueRedriveAllowPolicy, {
      queue_url: "${aws_sqs_queue.webhook_dlq.url}",
      redrive_allow_policy: '${jsonencode({"redrivePermission" = "byQueue", "sourceQueueArns" = [aws_sqs_queue.webhook_queue.arn]})}',
    });
  });

  test("the prefix names both queues", () => {
    const other = synth({ prefix: "acme-prod" }).json;
    expect(other.resource.aws_sqs_queue.webhook_queue.name).toBe("acme-prod-webhook-queue.fifo");
    expect(other.resource.aws_sqs_queue.webhook_dlq.name).toBe("acme-prod-webhook-queue-dlq.fifo");
  });

  test("a longer visibility timeout is passed through", () => {
    expect(synth({ visibilityTimeoutSeconds: 360 }).json.resource.aws_sqs_queue.webhook_queue.visibility_timeout_seconds).toBe(360);
  });
});
