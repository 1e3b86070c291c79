/**
 * What CloudWatch Logs does with a Lambda's embedded metric format (EMF) lines, for the rehearsal:
 * each log line that carries `_aws.CloudWatchMetrics` becomes PutMetricData calls to the emulator,
 * so that `webhook-queue status` and the dashboard's metrics have data locally too. The format is
 * AWS's ("Specification: Embedded metric format"): per directive a namespace, dimension sets
 * (names of the line's fields) and metrics (names of fields holding a number or a list of numbers).
 */
import { CloudWatchClient, MetricDatum, PutMetricDataCommand, StandardUnit } from "@aws-sdk/client-cloudwatch";

interface EmfDirective {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/** The metric data of one log line, by namespace; none when the line is no EMF document. */
export function metricDataOf(line: string): Map<string, MetricDatum[]> {
  const data = new Map<string, MetricDatum[]>();
  // Most lines are the function's own log: not parsed here for nothing.
  if (!line.includes('"_aws"')) return data;
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return data;
  }
  const metadata = (document as { _aws?: { Timestamp?: unknown; CloudWatchMetrics?: unknown } } | null)?._aws;
  if (typeof metadata !== "object" || metadata === null || !Array.isArray(metadata.CloudWatchMetrics)) return data;
  const timestamp = typeof metadata.Timestamp === "number" ? new Date(metadata.Timestamp) : new Date();
  for (const directive of metadata.CloudWatchMetrics as EmfDirective[]) {
    if (typeof directive?.Namespace !== "string" || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0 ? (directive.Dimensions as unknown[]) : [[]];
    for (const set of dimensionSets) {
      if (!Array.isArray(set)) continue;
      const dimensions = set.filter((name): name is string => typeof name === "string" && typeof document[name] === "string");
      if (dimensions.length !== set.length) continue;
      for (const metric of directive.Metrics as { Name?: unknown; Unit?: unknown }[]) {
        if (typeof metric?.Name !== "string") continue;
        const raw = document[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((value): value is number => typeof value === "number" && Number.isFinite(value));
        if (values.length === 0) continue;
        const datum: MetricDatum = {
          MetricName: metric.Name,
          Dimensions: dimensions.map((name) => ({ Name: name, Value: document[name] as string })),
          Timestamp: timestamp,
          ...(typeof metric.Unit === "string" && { Unit: metric.Unit as StandardUnit }),
          Values: values,
        };
        data.set(directive.Namespace, [...(data.get(directive.Namespace) ?? []), datum]);
      }
    }
  }
  return data;
}

/**
 * Takes a function's log lines and puts their EMF metrics into CloudWatch (the emulator's).
 * `flush()` waits for what was sent; a failure is reported through `onError`, never thrown at the
 * log reader.
 */
export class EmfMetrics {
  private pending: Promise<unknown>[] = [];
  /** Metric data put so far. */
  public put = 0;

  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  readLogLine(line: string): void {
    for (const [namespace, data] of metricDataOf(line)) {
      // PutMetricData takes up to 1000 metric data per call.
      for (let start = 0; start < data.length; start += 1000) {
        const chunk = data.slice(start, start + 1000);
        this.pending.push(
          this.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: chunk })).then(
            () => (this.put += chunk.length),
            (error: Error) => this.onError(`PutMetricData ${namespace} failed: ${error.message}`),
          ),
        );
      }
    }
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }
}
