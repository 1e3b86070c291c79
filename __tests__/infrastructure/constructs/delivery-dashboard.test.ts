import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Testing } from "cdktf";
import { DELIVERY_METRICS } from "../../../lambda/forwarder/contract";
import { DeliveryDashboard, DeliveryDashboardProps } from "../../../src/infrastructure/constructs/delivery-dashboard";
import { synth } from "../../support/synth";

type MetricLine = (string | Record<string, unknown>)[];
interface Body {
  widgets: {
    type: string;
    x: number;
    y: number;
    width: number;
    height: number;
    properties: { title: string; region: string; metrics: MetricLine[] };
  }[];
}

/** A metric line's namespace, name, dimensions and options. */
function parse(line: MetricLine) {
  const options = typeof line[line.length - 1] === "object" ? (line[line.length - 1] as Record<string, unknown>) : {};
  const fields = line.filter((part): part is string => typeof part === "string");
  const dimensions: Record<string, string> = {};
  for (let i = 2; i < fields.length; i += 2) dimensions[fields[i]] = fields[i + 1];
  return { namespace: fields[0], name: fields[1], dimensions, options };
}

const PROPS: DeliveryDashboardProps = {
  dashboardName: "shop-webhook-queue",
  region: "eu-west-1",
  queueName: "shop-webhook-queue.fifo",
  deadLetterQueueName: "shop-webhook-queue-dlq.fifo",
  quarantineQueueName: "shop-webhook-quarantine.fifo",
  functionName: "shop-forwarder",
  sources: { github: ["application", "audit"], stripe: ["billing"] },
};

function synthDashboard(props: Partial<DeliveryDashboardProps> = {}) {
  const text = Testing.synthScope((scope) => {
    new DeliveryDashboard(scope, "dashboard", { ...PROPS, ...props });
  });
  const dashboard = Object.values(JSON.parse(text).resource.aws_cloudwatch_dashboard)[0] as { dashboard_name: string; dashboard_body: string };
  return { text, dashboard, body: JSON.parse(dashboard.dashboard_body) as Body };
}

describe("DeliveryDashboard", () => {
  test("one dashboard, its body plain JSON (no Terraform reference), two widgets to a row, in the stack's region", () => {
    const { text, dashboard, body } = synthDashboard();
    expect(text).toHaveResourceWithProperties(CloudwatchDashboard, { dashboard_name: "shop-webhook-queue" });
    expect(dashboard.dashboard_body).not.toContain("${");
    expect(body.widgets.map((widget) => [widget.x, widget.width])).toEqual(body.widgets.map((_, index) => [(index % 2) * 12, 12]));
    expect(new Set(body.widgets.map((widget) => widget.properties.region))).toEqual(new Set(["eu-west-1"]));
  });

  test("the queues' depth and oldest age, the forwarder's invocations, errors, throttles, duration and concurrency", () => {
    const metrics = synthDashboard().body.widgets.flatMap((widget) => widget.properties.metrics.map(parse));
    const aws = (namespace: string) =>
      metrics.filter((metric) => metric.namespace === namespace).map((m) => `${m.name} ${Object.values(m.dimensions).join(" ")}`);
    expect(new Set(aws("AWS/SQS"))).toEqual(
      new Set([
        "ApproximateNumberOfMessagesVisible shop-webhook-queue.fifo",
        "ApproximateNumberOfMessagesVisible shop-webhook-queue-dlq.fifo",
        "ApproximateNumberOfMessagesVisible shop-webhook-quarantine.fifo",
        "ApproximateAgeOfOldestMessage shop-webhook-queue.fifo",
        "ApproximateAgeOfOldestMessage shop-webhook-queue-dlq.fifo",
        "ApproximateAgeOfOldestMessage shop-webhook-quarantine.fifo",
        "ApproximateNumberOfMessagesNotVisible shop-webhook-queue.fifo",
      ]),
    );
    expect(new Set(aws("AWS/Lambda"))).toEqual(
      new Set([
        "Invocations shop-forwarder",
        "Errors shop-forwarder",
        "Throttles shop-forwarder",
        "Duration shop-forwarder",
        "ConcurrentExecutions shop-forwarder",
      ]),
    );
  });

  test("every delivery metric, per source (and per target for latency and failed POSTs), under the forwarder's service", () => {
    const metrics = synthDashboard()
      .body.widgets.flatMap((widget) => widget.properties.metrics.map(parse))
      .filter((metric) => metric.namespace === DELIVERY_METRICS.namespace);
    const { namespace: _namespace, ...names } = DELIVERY_METRICS;
    expect(new Set(metrics.map((metric) => metric.name))).toEqual(new Set(Object.values(names)));
    for (const metric of metrics) expect(metric.dimensions.service).toBe("shop-forwarder");
    const perTarget = metrics.filter((metric) => metric.dimensions.target !== undefined);
    expect(new Set(perTarget.map((metric) => `${metric.dimensions.source}/${metric.dimensions.target}`))).toEqual(
      new Set(["github/application", "github/audit", "stripe/billing"]),
    );
    expect(new Set(perTarget.map((metric) => metric.name))).toEqual(new Set([DELIVERY_METRICS.deliveryLatency, DELIVERY_METRICS.targetFailures]));
    const delivered = metrics.filter((metric) => metric.name === DELIVERY_METRICS.delivered);
    expect(delivered.map((metric) => metric.dimensions)).toEqual([
      { service: "shop-forwarder", source: "github" },
      { service: "shop-forwarder", source: "stripe" },
    ]);
  });
});

describe("DeliveryDashboard in the mz-dev stack", () => {
  test("every metric names something the stack has: its queues, its forwarder, its sources and their targets", () => {
    const { json } = synth({
      sources: {
        default: {},
        github: {
          messageGroup: "$request.body.repository.id",
          targets: { application: "/application-hook", audit: "https://audit.example.com/hook" },
        },
      },
    });
    const body = JSON.parse(json.resource.aws_cloudwatch_dashboard.webhook_queue.dashboard_body) as Body;
    const queueNames = new Set(Object.values(json.resource.aws_sqs_queue).map((queue) => (queue as { name: string }).name));
    const functionName = json.resource.aws_lambda_function.webhook_event_producer.function_name;
    const targets: Record<string, string[]> = { default: ["application"], github: ["application", "audit"] };
    for (const widget of body.widgets) {
      expect(widget.properties.region).toBe("ap-northeast-1");
      for (const metric of widget.properties.metrics.map(parse)) {
        if (metric.namespace === "AWS/SQS") expect(queueNames).toContain(metric.dimensions.QueueName);
        else if (metric.namespace === "AWS/Lambda") expect(metric.dimensions).toEqual({ FunctionName: functionName });
        else {
          expect(metric.namespace).toBe(DELIVERY_METRICS.namespace);
          expect(metric.dimensions.service).toBe(functionName);
          expect(Object.keys(targets)).toContain(metric.dimensions.source);
          if (metric.dimensions.target !== undefined) expect(targets[metric.dimensions.source]).toContain(metric.dimensions.target);
        }
      }
    }
    expect(json.resource.aws_lambda_function.webhook_event_producer.environment.variables.POWERTOOLS_METRICS_NAMESPACE).toBe(
      DELIVERY_METRICS.namespace,
    );
  });

  test("monitoring.dashboard: false leaves it out", () => {
    expect(synth({ monitoring: { dashboard: false } }).json.resource.aws_cloudwatch_dashboard).toBeUndefined();
  });
});
