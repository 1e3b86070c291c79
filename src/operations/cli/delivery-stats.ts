/**
 * The last hour of deliveries per source, from the delivery metrics the forwarder writes
 * (DELIVERY_METRICS, EMF lines CloudWatch Logs turns into metrics): delivered, failed, retried,
 * quarantined, dead-lettered, held, the end-to-end latency's p50 and p99, and the deliveries per
 * five minutes for a sparkline. One ListMetrics to find the sources, one GetMetricData for all.
 */
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { DELIVERY_COUNTS, DELIVERY_METRICS, METRIC_DIMENSIONS } from "../../../lambda/forwarder/contract";

export const HOUR_SECONDS = 3600;
const BUCKET_SECONDS = 300;

export interface SourceHour {
  readonly source: string;
  readonly delivered: number;
  readonly failed: number;
  readonly retried: number;
  readonly quarantined: number;
  readonly deadLettered: number;
  readonly held: number;
  /** From API Gateway's receipt to the delivery, in ms; null without a delivery in the hour. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Deliveries per five minutes, oldest first (12 buckets). */
  readonly deliveredPerFiveMinutes: number[];
}

const COUNTS = DELIVERY_COUNTS;

/** The sources the forwarder `service` wrote delivery metrics for. */
export async function sourcesWithMetrics(cloudwatch: CloudWatchClient, service: string): Promise<string[]> {
  const sources = new Set<string>();
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new ListMetricsCommand({ Namespace: DELIVERY_METRICS.namespace, Dimensions: [{ Name: "service", Value: service }], NextToken: token }),
    );
    for (const metric of page.Metrics ?? []) {
      const source = metric.Dimensions?.find((dimension) => dimension.Name === METRIC_DIMENSIONS.source)?.Value;
      if (source !== undefined) sources.add(source);
    }
    token = page.NextToken;
  } while (token);
  return [...sources].sort();
}

/** The last hour (ending at `now`) of each source's deliveries. */
export async function lastHourBySource(cloudwatch: CloudWatchClient, service: string, sources: readonly string[], now: Date): Promise<SourceHour[]> {
  if (sources.length === 0) return [];
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  const start = new Date(end.getTime() - HOUR_SECONDS * 1000);
  const metric = (source: string, name: string) => ({
    Namespace: DELIVERY_METRICS.namespace,
    MetricName: name,
    Dimensions: [
      { Name: "service", Value: service },
      { Name: METRIC_DIMENSIONS.source, Value: source },
    ],
  });
  const queries: MetricDataQuery[] = sources.flatMap((source, index) => [
    ...Object.entries(COUNTS).map(([key, name]) => ({
      Id: `s${index}_${key}`,
      MetricStat: { Metric: metric(source, name), Period: HOUR_SECONDS, Stat: "Sum" },
    })),
    { Id: `s${index}_p50`, MetricStat: { Metric: metric(source, DELIVERY_METRICS.endToEndAge), Period: HOUR_SECONDS, Stat: "p50" } },
    { Id: `s${index}_p99`, MetricStat: { Metric: metric(source, DELIVERY_METRICS.endToEndAge), Period: HOUR_SECONDS, Stat: "p99" } },
    { Id: `s${index}_buckets`, MetricStat: { Metric: metric(source, DELIVERY_METRICS.delivered), Period: BUCKET_SECONDS, Stat: "Sum" } },
  ]);
  const results = new Map<string, { values: number[]; timestamps: Date[] }>();
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(new GetMetricDataCommand({ StartTime: start, EndTime: end, MetricDataQueries: queries, NextToken: token }));
    for (const result of page.MetricDataResults ?? []) {
      const known = results.get(result.Id!) ?? { values: [], timestamps: [] };
      known.values.push(...(result.Values ?? []));
      known.timestamps.push(...(result.Timestamps ?? []));
      results.set(result.Id!, known);
    }
    token = page.NextToken;
  } while (token);
  const sum = (id: string) => (results.get(id)?.values ?? []).reduce((total, value) => total + value, 0);
  /** A percentile of the hour: the newest value (CloudWatch may split the hour across its period boundary). */
  const latest = (id: string) => {
    const result = results.get(id);
    if (!result || result.values.length === 0) return null;
    const newest = result.timestamps.reduce((best, timestamp, index) => (timestamp.getTime() > result.timestamps[best].getTime() ? index : best), 0);
    return result.values[newest] ?? null;
  };
  return sources.map((source, index) => {
    const buckets = results.get(`s${index}_buckets`) ?? { values: [], timestamps: [] };
    const perFiveMinutes = Array.from({ length: HOUR_SECONDS / BUCKET_SECONDS }, () => 0);
    buckets.timestamps.forEach((timestamp, i) => {
      const bucket = Math.floor((timestamp.getTime() - start.getTime()) / (BUCKET_SECONDS * 1000));
      if (bucket >= 0 && bucket < perFiveMinutes.length) perFiveMinutes[bucket] += buckets.values[i] ?? 0;
    });
    const counts = Object.fromEntries(Object.keys(COUNTS).map((key) => [key, sum(`s${index}_${key}`)])) as Record<keyof typeof COUNTS, number>;
    return { source, ...counts, p50Ms: latest(`s${index}_p50`), p99Ms: latest(`s${index}_p99`), deliveredPerFiveMinutes: perFiveMinutes };
  });
}

const BARS = "▁▂▃▄▅▆▇█";

/** A line of block characters, one per value, scaled to the largest; spaces for none. */
export function sparkline(values: readonly number[]): string {
  const most = Math.max(0, ...values);
  return values
    .map((value) => (value <= 0 || most === 0 ? " " : BARS[Math.min(BARS.length - 1, Math.floor((value / most) * (BARS.length - 1)))]))
    .join("");
}

/** 850 ms, 1.2 s, 3m 05s. */
export function formatMilliseconds(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}
