import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Annotations, Fn, Op, TerraformIterator, Token } from "cdktf";
import { Construct } from "constructs";
import { DELIVERY_METRICS, METRIC_DIMENSIONS } from "../../../lambda/forwarder/contract";

/** The failure-rate alarms' period: five minutes of deliveries per datapoint. */
export const FAILURE_RATE_PERIOD_SECONDS = 300;

export interface QueueAlarmsProps {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  /** What failed verification: alarms of its own, apart from the DLQ's. @default - no quarantine alarm */
  readonly quarantineQueue?: SqsQueue;
  /** The forwarder: alarms on its errors and throttles. @default - no function alarms */
  readonly forwarder?: LambdaFunction;
  /** e.g. `mz-dev-webhook-queue-alarms` */
  readonly topicName: string;
  /** Alarm when the oldest message in the main queue is older than this. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /**
   * Alarm when the DLQ's oldest message has this little left before its retention deletes it
   * (half the retention when the retention is shorter than twice this). @default 86400 (a day)
   */
  readonly deadLetterExpiryWarningSeconds?: number;
  /** Subscribed to the topic by e-mail (each address confirms once). @default [] */
  readonly alarmEmails?: readonly string[];
  /** Further alarm and OK actions (ARNs: an SNS topic of the on-call tool, ...). @default [] */
  readonly extraAlarmActions?: readonly string[];
  /**
   * An alarm per source on its delivery failure rate (the forwarder's delivery metrics):
   * `percent` or more of its webhooks failed in each 5-minute period for `minutes`.
   * @default - none
   */
  readonly deliveryFailureRate?: {
    readonly sources: readonly string[];
    /** The delivery metrics' `service` dimension: the forwarder's function name. */
    readonly serviceName: string;
    readonly percent: number;
    readonly minutes: number;
  };
}

/** CloudWatch alarm settings common to every alarm here: one-minute metrics, any breach pages. */
type AlarmSpec = Pick<
  CloudwatchMetricAlarmConfig,
  "alarmName" | "alarmDescription" | "namespace" | "metricName" | "dimensions" | "statistic" | "period" | "threshold"
>;

/**
 * So that nobody has to look. Each alarm notifies on ALARM and on OK, and is built to page
 * again when something new goes wrong, not only once:
 * - a webhook arrived in the DLQ (each arrival after a quiet minute pages again),
 * - the DLQ holds a webhook (it stays in ALARM while the DLQ is not empty),
 * - the DLQ's oldest webhook is about to expire (the page before anything is lost),
 * - a webhook was quarantined (forged, or a wrong secret): apart, so a forgery a day neither pages
 *   as a delivery failure nor keeps the DLQ's alarms in ALARM over the next real one,
 * - the main queue's oldest webhook waits too long (the forwarder does not drain it),
 * - the forwarder errs (a whole batch failed: the target unreachable, a bad deploy) or is throttled.
 * Missing data is "not breaching" everywhere: SQS stops sending metrics for an empty, idle queue,
 * and Lambda sends none without invocations; a queue holding messages always reports.
 */
export class QueueAlarms extends Construct {
  public readonly topic: SnsTopic;
  public readonly deadLetterArrivals: CloudwatchMetricAlarm;
  public readonly deadLetterQueueNotEmpty: CloudwatchMetricAlarm;
  public readonly quarantineArrivals?: CloudwatchMetricAlarm;
  public readonly deadLetterQueueExpiring: CloudwatchMetricAlarm;
  public readonly oldestMessageTooOld: CloudwatchMetricAlarm;
  public readonly forwarderErrors?: CloudwatchMetricAlarm;
  public readonly forwarderThrottles?: CloudwatchMetricAlarm;
  /** Per source: its delivery failure rate. */
  public readonly sourceFailureRates: Readonly<Record<string, CloudwatchMetricAlarm>>;

  constructor(scope: Construct, id: string, props: QueueAlarmsProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName });

    const alarmEmails = props.alarmEmails ?? [];
    const extraAlarmActions = props.extraAlarmActions ?? [];
    const oldestMessageAgeSeconds = props.oldestMessageAgeSeconds ?? 900;
    const expiryWarningSeconds = props.deadLetterExpiryWarningSeconds ?? 86_400;
    if (alarmEmails.length > 0) {
      // for_each keyed by address: adding or removing one address leaves the others alone.
      const emails = TerraformIterator.fromList([...alarmEmails]);
      new SnsTopicSubscription(this, "email", {
        forEach: emails,
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint: emails.value,
      });
    } else if (extraAlarmActions.length === 0) {
      Annotations.of(this).addWarning(
        `the alarms of ${props.topicName} reach nobody: set monitoring.alarmEmails, or monitoring.extraAlarmActions (e.g. your on-call tool's SNS topic)`,
      );
    }

    const actions = [this.topic.arn, ...extraAlarmActions];
    const alarm = (id: string, spec: AlarmSpec) =>
      new CloudwatchMetricAlarm(this, id, {
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: actions,
        okActions: actions,
        ...spec,
      });

    this.deadLetterArrivals = this.deadLetterArrivalsAlarm(props.deadLetterQueue, `${props.topicName}-dlq-arrivals`, actions);
    this.deadLetterQueueNotEmpty = alarm("dlq-not-empty", {
      alarmName: `${props.topicName}-dlq-not-empty`,
      alarmDescription:
        "Webhooks failed delivery and wait in the dead-letter queue: look with `webhook-queue peek`, put them back with `webhook-queue redrive`.",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: props.deadLetterQueue.name },
      statistic: "Maximum",
      period: 60,
      threshold: 0,
    });

    // FIFO: a message's age in the DLQ counts from its move there, and so does its retention.
    const retention = props.deadLetterQueue.messageRetentionSeconds;
    this.deadLetterQueueExpiring = alarm("dlq-expiring", {
      alarmName: `${props.topicName}-dlq-expiring`,
      alarmDescription: `A webhook in the dead-letter queue is less than ${expiryWarningSeconds} s (or half its retention) from being deleted by the queue's retention: redrive it now with \`webhook-queue redrive\`, or copy it out.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.deadLetterQueue.name },
      statistic: "Maximum",
      period: 60,
      threshold: Token.asNumber(Fn.max([Op.sub(retention, expiryWarningSeconds), Fn.floor(Op.div(retention, 2))])),
    });

    this.oldestMessageTooOld = alarm("oldest-message", {
      alarmName: `${props.topicName}-oldest-message`,
      alarmDescription: `The webhook queue has held a message for more than ${oldestMessageAgeSeconds} s: the forwarder is not draining it.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.queue.name },
      statistic: "Maximum",
      period: 60,
      threshold: oldestMessageAgeSeconds,
    });

    if (props.quarantineQueue) {
      // The forwarder sends what it quarantines: SQS counts those sends.
      this.quarantineArrivals = alarm("quarantine-arrivals", {
        alarmName: `${props.topicName}-quarantine-arrivals`,
        alarmDescription:
          "A webhook failed verification and was quarantined: forged (an attack on the route) or signed with a secret the stack does not hold. " +
          "`webhook-queue quarantine list` shows why; release it after fixing a secret, or discard it.",
        namespace: "AWS/SQS",
        metricName: "NumberOfMessagesSent",
        dimensions: { QueueName: props.quarantineQueue.name },
        statistic: "Sum",
        period: 60,
        threshold: 0,
      });
    }

    if (props.forwarder) {
      const functionAlarm = (name: "errors" | "throttles", metricName: string, alarmDescription: string) =>
        alarm(`forwarder-${name}`, {
          alarmName: `${props.topicName}-forwarder-${name}`,
          alarmDescription,
          namespace: "AWS/Lambda",
          metricName,
          dimensions: { FunctionName: props.forwarder!.functionName },
          statistic: "Sum",
          period: 60,
          threshold: 0,
        });
      this.forwarderErrors = functionAlarm(
        "errors",
        "Errors",
        "The forwarder itself failed (a crash, a timeout, a bad SOURCES, a secret or the held-groups table unreadable; without retries inside the queue also a batch whose every delivery failed): its webhooks return to the queue. See its log group.",
      );
      this.forwarderThrottles = functionAlarm(
        "throttles",
        "Throttles",
        "Lambda throttled the forwarder (account or reserved concurrency exhausted): webhooks wait in the queue, and count receives towards max_receive_count.",
      );
    }

    const rate = props.deliveryFailureRate;
    this.sourceFailureRates = Object.fromEntries(
      (rate?.sources ?? []).map((source) => [source, this.failureRateAlarm(source, rate!, `${props.topicName}-${source}-failure-rate`, actions)]),
    );
  }

  /**
   * Pages when `percent` or more of a source's webhooks failed delivery in every 5-minute period
   * for `minutes`: a target that keeps refusing (a bad deploy, a changed URL, an expired secret),
   * past what a release of a few minutes looks like. Quiet periods (no webhook) do not count.
   */
  private failureRateAlarm(source: string, rate: NonNullable<QueueAlarmsProps["deliveryFailureRate"]>, alarmName: string, actions: string[]) {
    const metric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: {
        namespace: DELIVERY_METRICS.namespace,
        metricName,
        dimensions: { service: rate.serviceName, [METRIC_DIMENSIONS.source]: source },
        period: FAILURE_RATE_PERIOD_SECONDS,
        stat: "Sum",
      },
    });
    const periods = Math.max(1, Math.round((rate.minutes * 60) / FAILURE_RATE_PERIOD_SECONDS));
    return new CloudwatchMetricAlarm(this, `source-${source}-failure-rate`, {
      alarmName,
      alarmDescription:
        `${rate.percent}% or more of source ${source}'s webhooks failed delivery for ${rate.minutes} minutes: they are retried inside the queue, ` +
        "then dead-lettered. Look at the forwarder's log (target, status) and `webhook-queue status`.",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: rate.percent,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      metricQuery: [
        metric("delivered", DELIVERY_METRICS.delivered),
        metric("failed", DELIVERY_METRICS.failed),
        {
          id: "rate",
          label: `${source}: failed deliveries, % of webhooks`,
          returnData: true,
          expression: "100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(delivered, 0))",
        },
      ],
    });
  }

  /**
   * Pages on each new dead-lettered webhook. No SQS metric counts what a redrive policy moves into
   * a DLQ (NumberOfMessagesSent counts only SendMessage: AWS, "Using dead-letter queues"), so
   * arrivals are what the DLQ gained in a minute plus what left it:
   * DIFF(visible + in flight) + deleted. Two periods are evaluated, so that DIFF has the minute
   * before; an idle DLQ sends no data, which FILL reads as 0.
   */
  private deadLetterArrivalsAlarm(deadLetterQueue: SqsQueue, alarmName: string, actions: string[]): CloudwatchMetricAlarm {
    const metric = (id: string, metricName: string, stat: string) => ({
      id,
      returnData: false,
      metric: { namespace: "AWS/SQS", metricName, dimensions: { QueueName: deadLetterQueue.name }, period: 60, stat },
    });
    return new CloudwatchMetricAlarm(this, "dlq-arrivals", {
      alarmName,
      alarmDescription:
        "A webhook arrived in the dead-letter queue (its delivery failed max_receive_count times): pages again for each new arrival after a quiet minute. " +
        "`webhook-queue peek` shows it; `webhook-queue redrive` puts it back once the application answers.",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      metricQuery: [
        metric("visible", "ApproximateNumberOfMessagesVisible", "Maximum"),
        metric("inflight", "ApproximateNumberOfMessagesNotVisible", "Maximum"),
        metric("deleted", "NumberOfMessagesDeleted", "Sum"),
        {
          id: "arrivals",
          label: "webhooks arrived in the DLQ",
          returnData: true,
          expression: "DIFF(FILL(visible, 0) + FILL(inflight, 0)) + FILL(deleted, 0)",
        },
      ],
    });
  }
}
