/**
 * Delivery metrics as CloudWatch embedded metric format (EMF) log lines, through Powertools
 * Metrics: no API call on the delivery path; CloudWatch Logs turns the lines into metrics
 * (DELIVERY_METRICS in ./contract.ts). An invocation counts as it goes and publishes once at its
 * end: one line per source (counts, end-to-end ages), one per source and target (latencies,
 * failed POSTs).
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { DELIVERY_COUNTS, DELIVERY_METRICS, METRIC_DIMENSIONS } from "./contract";

type Counted = keyof typeof DELIVERY_COUNTS;

/** What one invocation records. */
export interface DeliveryMetrics {
  /** One more webhook of `source` with this outcome; a delivery's end-to-end age when its receive time is known. */
  count(source: string, outcome: Counted, endToEndAgeMs?: number): void;
  /** One POST to `target`: its latency, and whether it delivered. */
  attempt(source: string, target: string, latencyMs: number, delivered: boolean): void;
  /** Writes what was recorded (one EMF line per source, one per source and target) and forgets it. */
  publish(): void;
}

/** Powertools caps a metric at 100 values per line. */
const MAX_VALUES = 100;

interface SourceRecord {
  readonly counts: Partial<Record<Counted, number>>;
  readonly ages: number[];
}
interface TargetRecord {
  readonly latencies: number[];
  failures: number;
}

/** A recorder for one invocation, publishing through `metrics` (its namespace and service dimension). */
export function deliveryMetrics(metrics: Metrics): DeliveryMetrics {
  const sources = new Map<string, SourceRecord>();
  const targets = new Map<string, TargetRecord & { readonly source: string; readonly target: string }>();
  const sourceRecord = (source: string) => {
    let record = sources.get(source);
    if (!record) sources.set(source, (record = { counts: {}, ages: [] }));
    return record;
  };
  return {
    count(source, outcome, endToEndAgeMs) {
      const record = sourceRecord(source);
      record.counts[outcome] = (record.counts[outcome] ?? 0) + 1;
      if (endToEndAgeMs !== undefined && Number.isFinite(endToEndAgeMs) && record.ages.length < MAX_VALUES) {
        record.ages.push(Math.max(0, Math.round(endToEndAgeMs)));
      }
    },
    attempt(source, target, latencyMs, delivered) {
      const key = JSON.stringify([source, target]);
      let record = targets.get(key);
      if (!record) targets.set(key, (record = { source, target, latencies: [], failures: 0 }));
      if (record.latencies.length < MAX_VALUES) record.latencies.push(latencyMs);
      if (!delivered) record.failures++;
    },
    publish() {
      for (const [source, record] of sources) {
        metrics.addDimension(METRIC_DIMENSIONS.source, source);
        for (const [outcome, count] of Object.entries(record.counts)) metrics.addMetric(DELIVERY_COUNTS[outcome as Counted], "Count", count);
        for (const age of record.ages) metrics.addMetric(DELIVERY_METRICS.endToEndAge, "Milliseconds", age);
        metrics.publishStoredMetrics();
      }
      for (const record of targets.values()) {
        metrics.addDimensions({ [METRIC_DIMENSIONS.source]: record.source, [METRIC_DIMENSIONS.target]: record.target });
        for (const latency of record.latencies) metrics.addMetric(DELIVERY_METRICS.deliveryLatency, "Milliseconds", latency);
        if (record.failures > 0) metrics.addMetric(DELIVERY_METRICS.targetFailures, "Count", record.failures);
        metrics.publishStoredMetrics();
      }
      sources.clear();
      targets.clear();
    },
  };
}
