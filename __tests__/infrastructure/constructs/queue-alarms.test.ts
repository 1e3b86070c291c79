import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing } from "cdktf";
import { QueueAlarms, QueueAlarmsProps } from "../../../src/infrastructure/constructs/queue-alarms";
import { alarmStates, MetricMathAlarm, pages } from "../../support/alarm-model";
import { synth } from "../../support/synth";

/** The construct on its own, over a queue, a DLQ (4 days) and a function of the same scope. */
function synthAlarms(props: Partial<QueueAlarmsProps> & { withForwarder?: boolean } = {}) {
  const { withForwarder = true, ...overrides } = props;
  let construct!: QueueAlarms;
  const text = Testing.synthScope((scope) => {
    const queue = new SqsQueue(scope, "queue", { name: "shop.fifo", fifoQueue: true });
    const deadLetterQueue = new SqsQueue(scope, "dlq", { name: "shop-dlq.fifo", fifoQueue: true, messageRetentionSeconds: 345_600 });
    const quarantineQueue = new SqsQueue(scope, "quarantine", { name: "shop-quarantine.fifo", fifoQueue: true });
    const forwarder = withForwarder
      ? new LambdaFunction(scope, "forwarder", { functionName: "shop-forwarder", role: "arn:aws:iam::1:role/r" })
      : undefined;
    construct = new QueueAlarms(scope, "alarms", { queue, deadLetterQueue, quarantineQueue, forwarder, topicName: "shop-alarms", ...overrides });
  });
  const json = JSON.parse(text);
  const alarms = json.resource.aws_cloudwatch_metric_alarm as Record<string, Record<string, unknown>>;
  const byName = (name: string) => Object.values(alarms).find((alarm) => alarm.alarm_name === `shop-alarms-${name}`)!;
  const warnings = construct.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
  const topicArn = `\${aws_sns_topic.${construct.topic.friendlyUniqueId}.arn}`;
  return { text, json, alarms, byName, warnings, construct, topicArn };
}

/** A Terraform expression for the DLQ's retention, evaluated for a number of seconds. */
function evaluateThreshold(expression: string, retentionSeconds: number): number {
  const body = /^\$\{(.*)\}$/.exec(expression)?.[1] ?? "";
  const js = body.replace(/aws_sqs_queue\.[a-z_]+\.message_retention_seconds/g, String(retentionSeconds)).replace(/\b(max|floor)\(/g, "Math.$1(");
  if (!/^[\d\s+\-*/(),.Mathmaxflor]+$/.test(js)) throw new Error(`unexpected threshold expression ${expression}`);
  return Function(`return ${js};`)() as number;
}

describe("QueueAlarms: nobody has to look", () => {
  test("seven alarms, each notifying the topic on ALARM and on OK, missing data not breaching", () => {
    const { alarms, topicArn } = synthAlarms();
    expect(
      Object.values(alarms)
        .map((alarm) => alarm.alarm_name)
        .sort(),
    ).toEqual([
      "shop-alarms-dlq-arrivals",
      "shop-alarms-dlq-expiring",
      "shop-alarms-dlq-not-empty",
      "shop-alarms-forwarder-errors",
      "shop-alarms-forwarder-throttles",
      "shop-alarms-oldest-message",
      "shop-alarms-quarantine-arrivals",
    ]);
    for (const alarm of Object.values(alarms)) {
      expect(alarm).toMatchObject({
        alarm_actions: [topicArn],
        ok_actions: [topicArn],
        treat_missing_data: "notBreaching",
        comparison_operator: "GreaterThanThreshold",
      });
      if (alarm.alarm_name !== "shop-alarms-dlq-arrivals") expect(alarm).toMatchObject({ evaluation_periods: 1, period: 60 });
    }
  });

  test("the DLQ alarm fires on a single message", () => {
    expect(synthAlarms().byName("dlq-not-empty")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${aws_sqs_queue.dlq.name}" },
      statistic: "Maximum",
      threshold: 0,
    });
  });

  test("the DLQ expiry alarm pages again a day before the DLQ's oldest webhook would be deleted", () => {
    const alarm = synthAlarms().byName("dlq-expiring");
    expect(alarm).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "${aws_sqs_queue.dlq.name}" },
      statistic: "Maximum",
    });
    const threshold = String(alarm.threshold);
    // The threshold follows the queue's retention in state (var.webhook.dlq_retention_second), not a number fixed at synth.
    expect(threshold).toContain("aws_sqs_queue.dlq.message_retention_seconds");
    expect(evaluateThreshold(threshold, 345_600)).toBe(259_200); // 4 days: after 3
    expect(evaluateThreshold(threshold, 1_209_600)).toBe(1_123_200); // 14 days: after 13
    // A retention under two days: half of it, never a negative or zero threshold.
    expect(evaluateThreshold(threshold, 86_400)).toBe(43_200);
    expect(evaluateThreshold(threshold, 60)).toBe(30);
  });

  test("the expiry warning is a setting", () => {
    const threshold = String(synthAlarms({ deadLetterExpiryWarningSeconds: 3600 }).byName("dlq-expiring").threshold);
    expect(evaluateThreshold(threshold, 345_600)).toBe(342_000);
  });

  test("the topic has the given name", () => {
    const { json, construct } = synthAlarms();
    expect(json.resource.aws_sns_topic[construct.topic.friendlyUniqueId]).toEqual({ name: "shop-alarms" });
  });

  test("each alarm's description says what happened and what to do", () => {
    const { byName } = synthAlarms({ deadLetterExpiryWarningSeconds: 7200, oldestMessageAgeSeconds: 600 });
    const described = (name: string) => String(byName(name).alarm_description);
    expect(described("dlq-not-empty")).toMatch(/wait in the dead-letter queue.*`webhook-queue peek`.*`webhook-queue redrive`/);
    expect(described("dlq-arrivals")).toMatch(/arrived in the dead-letter queue.*pages again for each new arrival/);
    expect(described("quarantine-arrivals")).toMatch(/failed verification and was quarantined.*`webhook-queue quarantine list`/);
    expect(described("dlq-expiring")).toMatch(/less than 7200 s \(or half its retention\) from being deleted.*`webhook-queue redrive`/);
    expect(described("oldest-message")).toMatch(/held a message for more than 600 s: the forwarder is not draining it/);
    expect(described("forwarder-errors")).toMatch(
      /^The forwarder itself failed .*without retries inside the queue also a batch whose every delivery failed/,
    );
    expect(described("forwarder-throttles")).toMatch(/^Lambda throttled the forwarder.*max_receive_count/);
  });

  test("the age alarm fires when the main queue stops draining: 900 s by default", () => {
    expect(synthAlarms().byName("oldest-message")).toMatchObject({
      namespace: "AWS/SQS",
      statistic: "Maximum",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "${aws_sqs_queue.queue.name}" },
      threshold: 900,
    });
    expect(synthAlarms({ oldestMessageAgeSeconds: 300 }).byName("oldest-message").threshold).toBe(300);
  });

  test("the forwarder's errors and throttles: any in a minute", () => {
    const { byName } = synthAlarms();
    for (const [name, metric] of [
      ["forwarder-errors", "Errors"],
      ["forwarder-throttles", "Throttles"],
    ]) {
      expect(byName(name)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: metric,
        dimensions: { FunctionName: "${aws_lambda_function.forwarder.function_name}" },
        statistic: "Sum",
        threshold: 0,
      });
    }
    expect(Object.keys(synthAlarms({ withForwarder: false }).alarms)).toHaveLength(5);
  });

  test("e-mail subscriptions are keyed by address", () => {
    expect(synthAlarms().text).not.toHaveResource(SnsTopicSubscription);
    const subscribed = synthAlarms({ alarmEmails: ["ops@example.com", "oncall@example.com"] });
    expect(subscribed.text).toHaveResourceWithProperties(SnsTopicSubscription, {
      for_each: '${toset(["ops@example.com", "oncall@example.com"])}',
      protocol: "email",
      endpoint: "${each.value}",
      topic_arn: subscribed.topicArn,
    });
  });

  test("more alarm actions go beside the topic", () => {
    const pager = "arn:aws:sns:ap-northeast-1:123456789012:pager";
    const { alarms, topicArn } = synthAlarms({ extraAlarmActions: [pager] });
    for (const alarm of Object.values(alarms)) {
      expect(alarm.alarm_actions).toEqual([topicArn, pager]);
      expect(alarm.ok_actions).toEqual([topicArn, pager]);
    }
  });

  test("a warning at synth when the alarms reach nobody; none with an e-mail or another action", () => {
    expect(synthAlarms().warnings).toEqual([expect.stringMatching(/^the alarms of shop-alarms reach nobody: set monitoring\.alarmEmails/)]);
    expect(synthAlarms({ alarmEmails: ["ops@example.com"] }).warnings).toEqual([]);
    expect(synthAlarms({ extraAlarmActions: ["arn:aws:sns:ap-northeast-1:123456789012:pager"] }).warnings).toEqual([]);
  });
});

describe("QueueAlarms: a new dead letter pages again; a forgery does not page as one", () => {
  const { byName } = synthAlarms();
  const arrivals = byName("dlq-arrivals") as unknown as MetricMathAlarm;
  const notEmpty = {
    ...byName("dlq-not-empty"),
    metric_query: [{ id: "m", return_data: true, expression: "m", metric: { metric_name: "ApproximateNumberOfMessagesVisible" } }],
  };
  // Minute by minute: a webhook dead-lettered at 2, a second one at 6 while the first still waits, both redriven at 10, one more at 13.
  const dlq = {
    ApproximateNumberOfMessagesVisible: [0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 1, 1],
    ApproximateNumberOfMessagesNotVisible: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    NumberOfMessagesDeleted: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0],
  };

  test("the arrivals alarm: metric math over the DLQ's depth and deletions (no SQS metric counts what a redrive policy moves)", () => {
    expect(arrivals).toMatchObject({ evaluation_periods: 2, datapoints_to_alarm: 1, threshold: 0 });
    expect(arrivals.metric_query.map((query) => [query.id, query.metric?.metric_name ?? query.expression])).toEqual([
      ["visible", "ApproximateNumberOfMessagesVisible"],
      ["inflight", "ApproximateNumberOfMessagesNotVisible"],
      ["deleted", "NumberOfMessagesDeleted"],
      ["arrivals", "DIFF(FILL(visible, 0) + FILL(inflight, 0)) + FILL(deleted, 0)"],
    ]);
    expect(arrivals.metric_query.filter((query) => query.return_data).map((query) => query.id)).toEqual(["arrivals"]);
  });

  test("each arrival pages, the second one too; the not-empty alarm pages only for the first", () => {
    expect(pages(alarmStates(arrivals, dlq))).toEqual([2, 6, 13]);
    expect(pages(alarmStates(notEmpty as unknown as MetricMathAlarm, dlq))).toEqual([2, 13]);
  });

  test("an arrival in the minute of a redrive still pages; messages expiring or a peek holding them does not", () => {
    expect(pages(alarmStates(arrivals, { ApproximateNumberOfMessagesVisible: [2, 2, 1], NumberOfMessagesDeleted: [0, 0, 2] }))).toEqual([2]);
    expect(pages(alarmStates(arrivals, { ApproximateNumberOfMessagesVisible: [2, 0, 0], ApproximateNumberOfMessagesNotVisible: [0, 2, 0] }))).toEqual(
      [],
    );
  });

  test("an idle DLQ sends no data: its first arrival pages all the same", () => {
    expect(pages(alarmStates(arrivals, { ApproximateNumberOfMessagesVisible: [undefined, undefined, 1] }))).toEqual([2]);
  });

  test("the quarantine's own alarm counts what the forwarder sends there; the DLQ's alarms read only the DLQ", () => {
    expect(byName("quarantine-arrivals")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "NumberOfMessagesSent",
      dimensions: { QueueName: "${aws_sqs_queue.quarantine.name}" },
      statistic: "Sum",
      threshold: 0,
    });
    for (const name of ["dlq-arrivals", "dlq-not-empty", "dlq-expiring"]) expect(JSON.stringify(byName(name))).not.toContain("quarantine");
  });
});

describe("QueueAlarms in the mz-dev stack", () => {
  const { text, json } = synth();

  test("the topic and the alarms at their addresses, on the stack's queues and forwarder", () => {
    expect(text).toHaveResourceWithProperties(SnsTopic, { name: "mz-dev-webhook-queue-alarms" });
    expect(Object.keys(json.resource.aws_cloudwatch_metric_alarm).sort()).toEqual([
      "webhook_dlq_arrivals",
      "webhook_dlq_expiring",
      "webhook_dlq_not_empty",
      "webhook_event_producer_errors",
      "webhook_event_producer_throttles",
      "webhook_quarantine_arrivals",
      "webhook_queue_oldest_message",
      "webhook_source_default_failure_rate",
    ]);
    expect(json.resource.aws_cloudwatch_metric_alarm.webhook_quarantine_arrivals.dimensions).toEqual({
      QueueName: "${aws_sqs_queue.webhook_quarantine.name}",
    });
    expect(json.resource.aws_cloudwatch_metric_alarm.webhook_dlq_expiring.threshold).toContain("aws_sqs_queue.webhook_dlq.message_retention_seconds");
    expect(json.resource.aws_cloudwatch_metric_alarm.webhook_event_producer_errors.dimensions).toEqual({
      FunctionName: "${aws_lambda_function.webhook_event_producer.function_name}",
    });
    expect(text).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "mz-dev-webhook-queue-alarms-dlq-expiring" });
  });

  test("monitoring can be switched off", () => {
    const bare = synth({ monitoring: { enabled: false } });
    expect(bare.text).not.toHaveResource(SnsTopic);
    expect(bare.text).not.toHaveResource(CloudwatchMetricAlarm);
  });
});

describe("QueueAlarms: a source's delivery failure rate", () => {
  const rate = { sources: ["github", "stripe"], serviceName: "shop-forwarder", percent: 50, minutes: 15 };

  test("one alarm per source: failed / (delivered + failed) of its delivery metrics, 5-minute periods, every period of the window", () => {
    const { byName, topicArn } = synthAlarms({ deliveryFailureRate: rate });
    const alarm = byName("github-failure-rate");
    expect(alarm).toMatchObject({
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold: 50,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      treat_missing_data: "notBreaching",
      alarm_actions: [topicArn],
      ok_actions: [topicArn],
    });
    const queries = alarm.metric_query as { id: string; expression?: string; metric?: Record<string, unknown> }[];
    expect(queries.filter((query) => query.metric).map((query) => query.metric)).toEqual([
      {
        namespace: "WebhookQueue",
        metric_name: "WebhooksDelivered",
        dimensions: { service: "shop-forwarder", source: "github" },
        period: 300,
        stat: "Sum",
      },
      {
        namespace: "WebhookQueue",
        metric_name: "WebhooksFailed",
        dimensions: { service: "shop-forwarder", source: "github" },
        period: 300,
        stat: "Sum",
      },
    ]);
    expect(byName("stripe-failure-rate")).toBeDefined();
    expect(String(alarm.alarm_description)).toMatch(/^50% or more of source github's webhooks failed delivery for 15 minutes/);
  });

  test("pages when half the webhooks fail for 15 minutes, not for a 10-minute release, nor for a few failures, nor when nothing arrives", () => {
    const alarm = synthAlarms({ deliveryFailureRate: rate }).byName("github-failure-rate") as unknown as MetricMathAlarm;
    // One value per 5-minute period.
    const release = { WebhooksDelivered: [10, 0, 0, 12, 10], WebhooksFailed: [0, 8, 9, 0, 0] };
    expect(pages(alarmStates(alarm, release))).toEqual([]);
    const outage = { WebhooksDelivered: [10, 0, 0, 0, 10], WebhooksFailed: [0, 8, 9, 7, 0] };
    expect(pages(alarmStates(alarm, outage))).toEqual([3]);
    const halfFailing = { WebhooksDelivered: [5, 5, 5], WebhooksFailed: [5, 5, 5] };
    expect(pages(alarmStates(alarm, halfFailing))).toEqual([2]);
    const someFailing = { WebhooksDelivered: [10, 10, 10], WebhooksFailed: [4, 4, 4] };
    expect(pages(alarmStates(alarm, someFailing))).toEqual([]);
    const quiet = { WebhooksDelivered: [undefined, undefined, undefined], WebhooksFailed: [undefined, undefined, undefined] };
    expect(pages(alarmStates(alarm, quiet))).toEqual([]);
  });

  test("without deliveryFailureRate there is none", () => {
    expect(Object.values(synthAlarms().alarms).filter((alarm) => String(alarm.alarm_name).endsWith("-failure-rate"))).toEqual([]);
  });
});
