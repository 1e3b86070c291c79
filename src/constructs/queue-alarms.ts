import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { TerraformIterator } from "cdktf";
import { Construct } from "constructs";

export interface QueueAlarmsProps {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  /** e.g. `mz-dev-webhook-queue-alarms` */
  readonly topicName: string;
  /** Alarm when the oldest message in the main queue is older than this. */
  readonly oldestMessageAgeSeconds: number;
  /** Subscribed to the topic by e-mail (each address confirms once). */
  readonly alarmEmails: readonly string[];
}

/** So that nobody has to look: an alarm when the DLQ holds anything or the queue stops draining. */
export class QueueAlarms extends Construct {
  public readonly topic: SnsTopic;
  public readonly deadLetterQueueNotEmpty: CloudwatchMetricAlarm;
  public readonly oldestMessageTooOld: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: QueueAlarmsProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName });
    this.topic.overrideLogicalId("webhook_queue_alarms"); // fixed address: aws_sns_topic.webhook_queue_alarms

    if (props.alarmEmails.length > 0) {
      // for_each keyed by address: adding or removing one address leaves the others alone.
      const emails = TerraformIterator.fromList([...props.alarmEmails]);
      new SnsTopicSubscription(this, "email", {
        forEach: emails,
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: emails.value,
      }).overrideLogicalId("webhook_queue_alarm_email"); // fixed address: aws_sns_topic_subscription.webhook_queue_alarm_email["<address>"]
    }

    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };
    this.deadLetterQueueNotEmpty = new CloudwatchMetricAlarm(this, "dlq-not-empty", {
      alarmName: `${props.topicName}-dlq-not-empty`,
      alarmDescription: "Webhooks failed delivery and wait in the dead-letter queue: redrive them with `webhook-queue redrive`.",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: props.deadLetterQueue.name },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...actions,
    });
    this.deadLetterQueueNotEmpty.overrideLogicalId("webhook_dlq_not_empty"); // fixed address: aws_cloudwatch_metric_alarm.webhook_dlq_not_empty

    this.oldestMessageTooOld = new CloudwatchMetricAlarm(this, "oldest-message", {
      alarmName: `${props.topicName}-oldest-message`,
      alarmDescription: `The webhook queue has held a message for more than ${props.oldestMessageAgeSeconds} s: the forwarder is not draining it.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.queue.name },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: props.oldestMessageAgeSeconds,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      ...actions,
    });
    this.oldestMessageTooOld.overrideLogicalId("webhook_queue_oldest_message"); // fixed address: aws_cloudwatch_metric_alarm.webhook_queue_oldest_message
  }
}
