import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import { DELIVERY_METRICS, METRIC_DIMENSIONS } from "../../../lambda/forwarder/contract";

export interface DeliveryDashboardProps {
  /** e.g. `mz-dev-webhook-queue` */
  readonly dashboardName: string;
  readonly region: string;
  /** The queues' names (`<prefix>-webhook-queue.fifo`, ...): literal, as CloudWatch's QueueName dimension. */
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly quarantineQueueName?: string;
  /** The forwarder's function name: AWS/Lambda's FunctionName, and the delivery metrics' `service` dimension. */
  readonly functionName: string;
  /** Each source and the names of its targets. */
  readonly sources: Readonly<Record<string, readonly string[]>>;
}

/** One line of a metric widget: namespace, name, dimension name/value pairs, then its rendering. */
type MetricLine = (string | Record<string, unknown>)[];

interface Widget {
  readonly title: string;
  readonly metrics: MetricLine[];
  readonly stat?: string;
  readonly period?: number;
}

const WIDTH = 12;
const HEIGHT = 6;

/**
 * "Is everything flowing, and how fast?" at a glance: the queues' depth, in flight and oldest age;
 * the forwarder's invocations, errors, throttles, duration and concurrency; and the delivery
 * metrics the forwarder writes (lambda/forwarder/metrics.ts) per source: delivered, failed,
 * retried, quarantined, dead-lettered, held, the end-to-end age, each target's latency.
 * Every metric names a queue, the function or a source of the stack (literal names, known at synth).
 */
export class DeliveryDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;
  /** The dashboard's body, as synthesized. */
  public readonly body: { widgets: Record<string, unknown>[] };

  constructor(scope: Construct, id: string, props: DeliveryDashboardProps) {
    super(scope, id);
    const sqs = (metricName: string, queueName: string, label: string): MetricLine => ["AWS/SQS", metricName, "QueueName", queueName, { label }];
    const lambda = (metricName: string, options: Record<string, unknown> = {}): MetricLine => [
      "AWS/Lambda",
      metricName,
      "FunctionName",
      props.functionName,
      { label: metricName, ...options },
    ];
    /** A delivery metric of the forwarder with more dimensions (`source`, `target`) after `service`. */
    const delivery = (metricName: string, dimensions: readonly string[], label: string, options: Record<string, unknown>): MetricLine => [
      DELIVERY_METRICS.namespace,
      metricName,
      "service",
      props.functionName,
      ...dimensions,
      { ...options, label },
    ];
    const bySource = (metricName: string, options: Record<string, unknown> = {}): MetricLine[] =>
      Object.keys(props.sources).map((source) =>
        delivery(metricName, [METRIC_DIMENSIONS.source, source], `${source} ${options.label ?? metricName}`, options),
      );
    const byTarget = (metricName: string, options: Record<string, unknown> = {}): MetricLine[] =>
      Object.entries(props.sources).flatMap(([source, targets]) =>
        targets.map((target) =>
          delivery(
            metricName,
            [METRIC_DIMENSIONS.source, source, METRIC_DIMENSIONS.target, target],
            `${source} -> ${target} ${options.label ?? ""}`.trim(),
            options,
          ),
        ),
      );
    const queues: [string, string][] = [
      [props.queueName, "queue"],
      [props.deadLetterQueueName, "DLQ"],
      ...(props.quarantineQueueName ? [[props.quarantineQueueName, "quarantine"] as [string, string]] : []),
    ];

    const widgets: Widget[] = [
      {
        title: "Webhooks waiting (visible)",
        stat: "Maximum",
        metrics: queues.map(([name, label]) => sqs("ApproximateNumberOfMessagesVisible", name, label)),
      },
      { title: "Oldest webhook (s)", stat: "Maximum", metrics: queues.map(([name, label]) => sqs("ApproximateAgeOfOldestMessage", name, label)) },
      {
        title: "In flight (being delivered, or waiting out a backoff)",
        stat: "Maximum",
        metrics: [sqs("ApproximateNumberOfMessagesNotVisible", props.queueName, "queue")],
      },
      {
        title: "Forwarder: invocations, errors, throttles",
        stat: "Sum",
        metrics: ["Invocations", "Errors", "Throttles"].map((name) => lambda(name)),
      },
      {
        title: "Forwarder: duration (ms) and concurrency",
        metrics: [
          lambda("Duration", { stat: "p50", label: "duration p50" }),
          lambda("Duration", { stat: "p99", label: "duration p99" }),
          lambda("ConcurrentExecutions", { stat: "Maximum", label: "concurrent executions", yAxis: "right" }),
        ],
      },
      {
        title: "Delivered and failed, per source",
        stat: "Sum",
        metrics: [...bySource(DELIVERY_METRICS.delivered, { label: "delivered" }), ...bySource(DELIVERY_METRICS.failed, { label: "failed" })],
      },
      {
        title: "Retried, quarantined, dead-lettered, held, per source",
        stat: "Sum",
        metrics: [
          ...bySource(DELIVERY_METRICS.retried, { label: "retried" }),
          ...bySource(DELIVERY_METRICS.quarantined, { label: "quarantined" }),
          ...bySource(DELIVERY_METRICS.deadLettered, { label: "dead-lettered" }),
          ...bySource(DELIVERY_METRICS.held, { label: "held" }),
        ],
      },
      {
        title: "From the SaaS's POST to delivery (ms), per source",
        metrics: [
          ...bySource(DELIVERY_METRICS.endToEndAge, { stat: "p50", label: "p50" }),
          ...bySource(DELIVERY_METRICS.endToEndAge, { stat: "p99", label: "p99" }),
        ],
      },
      {
        title: "Delivery latency (ms) and failed POSTs, per target",
        metrics: [
          ...byTarget(DELIVERY_METRICS.deliveryLatency, { stat: "p50", label: "p50" }),
          ...byTarget(DELIVERY_METRICS.deliveryLatency, { stat: "p99", label: "p99" }),
          ...byTarget(DELIVERY_METRICS.targetFailures, { stat: "Sum", label: "failed POSTs", yAxis: "right" }),
        ],
      },
    ];

    this.body = {
      widgets: widgets.map((widget, index) => ({
        type: "metric",
        x: (index % 2) * WIDTH,
        y: Math.floor(index / 2) * HEIGHT,
        width: WIDTH,
        height: HEIGHT,
        properties: {
          title: widget.title,
          region: props.region,
          view: "timeSeries",
          stacked: false,
          period: widget.period ?? 60,
          ...(widget.stat && { stat: widget.stat }),
          metrics: widget.metrics,
        },
      })),
    };
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify(this.body),
    });
  }
}
