/**
 * EMF lines as Powertools Metrics writes them (the forwarder's library), read back into metric
 * data as CloudWatch Logs would: namespace, dimensions, units, single values and lists.
 */
import { Metrics } from "@aws-lambda-powertools/metrics";
import { metricDataOf } from "../../../src/operations/local/emf-metrics";

/** The lines a Metrics instance prints while `write` runs. */
function emfLines(write: (metrics: Metrics) => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
  const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  try {
    write(new Metrics({ namespace: "WebhookQueue", serviceName: "shop-forwarder" }));
  } finally {
    spy.mockRestore();
    stdout.mockRestore();
  }
  return lines.flatMap((text) => text.split("\n")).filter((line) => line.trim() !== "");
}

test("a Powertools line: its namespace, the service and source dimensions, counts and lists of milliseconds", () => {
  const [line] = emfLines((metrics) => {
    metrics.addDimension("source", "github");
    metrics.addMetric("WebhooksDelivered", "Count", 2);
    metrics.addMetric("EndToEndAge", "Milliseconds", 120);
    metrics.addMetric("EndToEndAge", "Milliseconds", 80);
    metrics.publishStoredMetrics();
  });
  const data = metricDataOf(line);
  expect([...data.keys()]).toEqual(["WebhookQueue"]);
  const dimensions = [
    { Name: "service", Value: "shop-forwarder" },
    { Name: "source", Value: "github" },
  ];
  expect(data.get("WebhookQueue")).toEqual([
    { MetricName: "WebhooksDelivered", Dimensions: dimensions, Timestamp: expect.any(Date), Unit: "Count", Values: [2] },
    { MetricName: "EndToEndAge", Dimensions: dimensions, Timestamp: expect.any(Date), Unit: "Milliseconds", Values: [120, 80] },
  ]);
});

test("anything else is no metric: plain log lines, JSON without _aws, a dimension the line lacks, a value that is no number", () => {
  expect(metricDataOf("START RequestId: 1").size).toBe(0);
  expect(metricDataOf('{"level":"INFO","message":"message delivered"}').size).toBe(0);
  const base = { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: "N", Dimensions: [["source"]], Metrics: [{ Name: "M", Unit: "Count" }] }] } };
  expect(metricDataOf(JSON.stringify({ ...base, M: 1 })).size).toBe(0);
  expect(metricDataOf(JSON.stringify({ ...base, source: "s", M: "1" })).size).toBe(0);
  expect(metricDataOf(JSON.stringify({ ...base, source: "s", M: 1 })).get("N")).toEqual([
    { MetricName: "M", Dimensions: [{ Name: "source", Value: "s" }], Timestamp: new Date(1), Unit: "Count", Values: [1] },
  ]);
});
