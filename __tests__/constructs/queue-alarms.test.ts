import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { synth } from "../support/synth";

describe("QueueAlarms: nobody has to look", () => {
  const { text, json } = synth();

  test("an SNS topic receives both alarms and their recovery", () => {
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "mz-dev-webhook-queue-alarms" });
    for (const alarm of Object.values(json.resource.aws_cloudwatch_metric_alarm)) {
      expect(alarm.alarm_actions).toEqual(["${aws_sns_topic.webhook_queue_alarms.arn}"]);
      expect(alarm.ok_actions).toEqual(["${aws_sns_topic.webhook_queue_alarms.arn}"]);
    }
  });

  test("the DLQ alarm fires on a single message", () => {
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${aws_sqs_queue.webhook_dlq.name}" },
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
    });
  });

  test("the age alarm fires when the main queue stops draining", () => {
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "${aws_sqs_queue.webhook_queue.name}" },
      threshold: 900,
    });
    expect(synth({ monitoring: { oldestMessageAgeSeconds: 300 } }).json.resource.aws_cloudwatch_metric_alarm.webhook_queue_oldest_message.threshold).toBe(300);
  });

  test("e-mail subscriptions are keyed by address", () => {
    expect(text).not.toHaveResource(SnsTopicSubscription);
    const subscribed = synth({ monitoring: { alarmEmails: ["ops@example.com", "oncall@example.com"] } });
    expect(subscribed.text).toHaveResourceWithProperties(SnsTopicSubscription, {
      for_each: "${toset([\"ops@example.com\", \"oncall@example.com\"])}",
      protocol: "email",
      endpoint: "${each.value}",
      topic_arn: "${aws_sns_topic.webhook_queue_alarms.arn}",
    });
  });

  test("monitoring can be switched off", () => {
    const bare = synth({ monitoring: { enabled: false } });
    expect(bare.text).not.toHaveResource(SnsTopic);
    expect(bare.text).not.toHaveResource(CloudwatchMetricAlarm);
  });
});
