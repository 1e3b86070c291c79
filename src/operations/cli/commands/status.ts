/**
 * `status`: how full the queues are, how old their oldest message is, and whether the forwarder polls.
 * It never receives a message: a receive raises the receive count, and SQS may leave a message received
 * three or more times out of ApproximateAgeOfOldestMessage, which the DLQ expiry alarm reads. The
 * oldest age comes from that metric in CloudWatch instead.
 */
import { Datapoint, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { EXIT_OK } from "../../shared/exit-codes";
import { terminalSafe } from "../../shared/terminal-safe";
import { queueNameOfUrl } from "../../shared/queue-pair";
import { AwsClients, QueueState, openQueues } from "../aws";
import { CliCommand } from "../command";
import { explainError } from "../errors";
import { EventSourceMappingState, functionNameOfArn, listEventSourceMappings, polledLocallyText, stateText } from "../event-source-mappings";
import { Hold, HeldGroups } from "../held-groups";
import { DELIVERY_METRICS } from "../../../../lambda/forwarder/contract";
import { formatMilliseconds, HOUR_SECONDS, lastHourBySource, SourceHour, sourcesWithMetrics, sparkline } from "../delivery-stats";
import { CommandResult, formatAge, formatTable } from "../output";

/** How far back status looks for a datapoint of the oldest age. */
const METRIC_WINDOW_MINUTES = 15;

interface OldestAge {
  /** ApproximateAgeOfOldestMessage's latest Maximum; null when CloudWatch has no datapoint (or could not be read). */
  readonly seconds: number | null;
  /** When that datapoint was measured. */
  readonly at: string | null;
  readonly error?: string;
}

/** The most recent datapoint that has a Maximum. */
export function latestDatapoint(datapoints: readonly Datapoint[]): (Datapoint & { Maximum: number; Timestamp: Date }) | undefined {
  const usable = datapoints.filter(
    (d): d is Datapoint & { Maximum: number; Timestamp: Date } => d.Maximum !== undefined && d.Timestamp !== undefined,
  );
  return usable.sort((a, b) => b.Timestamp.getTime() - a.Timestamp.getTime())[0];
}

/** AWS/SQS ApproximateAgeOfOldestMessage of the queue (dimension QueueName), Maximum per minute, latest in the last 15 minutes. */
async function oldestAge(clients: AwsClients, queue: QueueState): Promise<OldestAge> {
  const now = new Date();
  try {
    const response = await clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: queueNameOfUrl(queue.url) }],
        StartTime: new Date(now.getTime() - METRIC_WINDOW_MINUTES * 60_000),
        EndTime: now,
        Period: 60,
        Statistics: ["Maximum"],
      }),
    );
    const latest = latestDatapoint(response.Datapoints ?? []);
    return latest ? { seconds: latest.Maximum, at: latest.Timestamp.toISOString() } : { seconds: null, at: null };
  } catch (error) {
    return { seconds: null, at: null, error: explainError(error).message };
  }
}

async function eventSourceMappings(clients: AwsClients, queueArn: string): Promise<EventSourceMappingState[] | { error: string }> {
  try {
    return await listEventSourceMappings(clients.lambda, queueArn);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function queueDocument(queue: QueueState, age: OldestAge): Record<string, unknown> {
  return {
    url: queue.url,
    arn: queue.arn,
    visible: queue.visible,
    inFlight: queue.inFlight,
    delayed: queue.delayed,
    oldestAgeSeconds: age.seconds,
    oldestAgeAt: age.at,
    oldestAgeFrom: "cloudwatch",
    ...(age.error !== undefined && { oldestAgeError: age.error }),
  };
}

function oldestText(age: OldestAge): string {
  if (age.error !== undefined) return `n/a (CloudWatch: ${age.error})`;
  return age.seconds === null ? `n/a (no CloudWatch datapoint in ${METRIC_WINDOW_MINUTES} min)` : formatAge(age.seconds);
}

export const statusCommand: CliCommand = {
  name: "status",
  summary: "depth, in-flight and oldest age of each queue; the event source mapping's state",
  configure(command) {
    command.description(
      "Shows, for the main queue, the DLQ and the quarantine queue (when known: --quarantine-url or the stack's\n" +
        "quarantine_url): visible messages, messages in flight, delayed messages and the age of the oldest message;\n" +
        "and the state of the Lambda event source mapping that reads the main queue.\n\n" +
        "Receives nothing: the oldest age is CloudWatch's AWS/SQS ApproximateAgeOfOldestMessage (Maximum, the latest\n" +
        `datapoint of the last ${METRIC_WINDOW_MINUTES} minutes), "n/a" when there is none (SQS publishes none for an idle empty queue).`,
    );
  },

  async run(global): Promise<CommandResult> {
    const { clients, queue, dlq, quarantine, heldGroupsTable, rehearsal } = await openQueues(global, {
      queue: "optional",
      dlq: "optional",
      quarantine: "optional",
      heldGroups: true,
    });
    const queues = [queue, dlq, quarantine].filter((q): q is QueueState => q !== undefined);
    const [ages, mappings, holds] = await Promise.all([
      Promise.all(queues.map((q) => oldestAge(clients, q))),
      queue ? eventSourceMappings(clients, queue.arn) : undefined,
      heldGroupsTable ? heldGroups(new HeldGroups(clients.dynamodb, heldGroupsTable)) : undefined,
    ]);
    const ageOf = (q: QueueState) => ages[queues.indexOf(q)];

    const rows = queues.map((q) => [q.role, String(q.visible), String(q.inFlight), String(q.delayed), oldestText(ageOf(q)), q.url]);
    const lines = [formatTable(["", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST", "URL"], rows)];
    if (mappings && "error" in mappings) lines.push(`event source mapping: cannot list (${mappings.error})`);
    else if (mappings && mappings.length === 0) lines.push(`event source mapping: none reads ${queue?.arn}`);
    else {
      for (const mapping of mappings ?? []) {
        lines.push(
          `event source mapping ${mapping.uuid}: ${stateText(mapping.state)}, function ${mapping.functionArn}, batch size ${mapping.batchSize}` +
            (mapping.lastProcessingResult ? `, last result ${mapping.lastProcessingResult}` : ""),
        );
        if (rehearsal) lines.push(polledLocallyText(rehearsal, mapping.state));
      }
    }
    lines.push(...heldGroupsText(holds));
    const deliveries = await deliveriesLastHour(clients, mappings);
    lines.push(...deliveriesText(deliveries, process.stdout.isTTY === true));
    return {
      document: {
        deliveriesLastHour: deliveries ?? null,
        heldGroups: holds === undefined ? null : "error" in holds ? holds : holds.map(holdDocument),
        queue: queue ? queueDocument(queue, ageOf(queue)) : null,
        dlq: dlq ? queueDocument(dlq, ageOf(dlq)) : null,
        quarantine: quarantine ? queueDocument(quarantine, ageOf(quarantine)) : null,
        eventSourceMappings: mappings === undefined ? null : mappings,
      },
      text: lines.join("\n"),
      exitCode: EXIT_OK,
    };
  },
};

type Deliveries = { service: string; from: string; to: string; sources: SourceHour[] } | { service: string; error: string };

/** The last hour per source of the forwarder that reads the queue (its function's name is the metrics' `service`). */
async function deliveriesLastHour(
  clients: AwsClients,
  mappings: EventSourceMappingState[] | { error: string } | undefined,
): Promise<Deliveries | undefined> {
  const functionArn = mappings && !("error" in mappings) ? mappings.find((mapping) => mapping.functionArn)?.functionArn : undefined;
  if (!functionArn) return undefined;
  const service = functionNameOfArn(functionArn);
  const now = new Date();
  try {
    const sources = await sourcesWithMetrics(clients.cloudwatch, service);
    return {
      service,
      from: new Date(now.getTime() - HOUR_SECONDS * 1000).toISOString(),
      to: now.toISOString(),
      sources: await lastHourBySource(clients.cloudwatch, service, sources, now),
    };
  } catch (error) {
    return { service, error: explainError(error).message };
  }
}

/** One row per source; the deliveries per five minutes as a sparkline where a terminal shows it. */
function deliveriesText(deliveries: Deliveries | undefined, terminal: boolean): string[] {
  if (deliveries === undefined) return [];
  const title = `deliveries in the last hour, per source (CloudWatch ${DELIVERY_METRICS.namespace}, service ${deliveries.service})`;
  if ("error" in deliveries) return [`${title}: cannot read (${deliveries.error})`];
  if (deliveries.sources.length === 0) return [`${title}: none (no delivery metric yet)`];
  const rows = deliveries.sources.map((hour) => [
    terminalSafe(hour.source),
    ...[hour.delivered, hour.failed, hour.retried, hour.quarantined, hour.deadLettered, hour.held].map(String),
    formatMilliseconds(hour.p50Ms),
    formatMilliseconds(hour.p99Ms),
    ...(terminal ? [sparkline(hour.deliveredPerFiveMinutes)] : []),
  ]);
  const headers = [
    "SOURCE",
    "DELIVERED",
    "FAILED",
    "RETRIED",
    "QUARANTINED",
    "DEAD-LETTERED",
    "HELD",
    "P50",
    "P99",
    ...(terminal ? ["DELIVERED / 5 MIN"] : []),
  ];
  return [`${title}; P50, P99: from the SaaS's POST to the delivery`, formatTable(headers, rows)];
}

async function heldGroups(table: HeldGroups): Promise<Hold[] | { error: string }> {
  try {
    return await table.list();
  } catch (error) {
    return { error: explainError(error).message };
  }
}

function holdDocument(hold: Hold): Record<string, unknown> {
  return { ...hold, heldAt: new Date(hold.heldAtMs).toISOString() };
}

/** The held groups: whose later webhooks wait in the DLQ behind a dead letter, and what to do. */
function heldGroupsText(holds: Hold[] | { error: string } | undefined): string[] {
  if (holds === undefined) return [];
  if ("error" in holds) return [`held groups: cannot read (${holds.error})`];
  if (holds.length === 0) return ["held groups: none (every group flows)"];
  const now = Date.now();
  const rows = holds.map((hold) => [
    terminalSafe(hold.group),
    hold.state,
    formatAge((now - hold.heldAtMs) / 1000),
    String(hold.deadLettered),
    terminalSafe(hold.headWebhookId ?? ""),
    terminalSafe(hold.reason ?? ""),
  ]);
  return [
    `held groups: ${holds.length} (their webhooks wait in the DLQ, in order: "webhook-queue redrive --group G" once the application takes them, "webhook-queue discard --message-id ID" for one it never will)`,
    formatTable(["GROUP", "STATE", "HELD FOR", "SENT TO DLQ", "FIRST WEBHOOK", "WHY"], rows),
  ];
}
