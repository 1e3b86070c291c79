/** `status`: how full the queue and the DLQ are, how old their oldest message is, and whether the forwarder polls. */
import { ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { EXIT_OK } from "../../shared/exit-codes";
import { AwsClients, QueueState, openQueues } from "../aws";
import { CliCommand } from "../command";
import { Lease, receiveAllHeld } from "../lease";
import { CommandResult, formatAge, formatTable } from "../output";
import { note, watchInterrupts } from "../terminal";

/** Messages looked at to find the oldest; FIFO shows only the head of each group anyway. */
const SAMPLE_LIMIT = 100;
const SAMPLE_VISIBILITY_SECONDS = 10;

interface OldestSample {
  readonly oldestSentAt: string | null;
  readonly oldestAgeSeconds: number | null;
  readonly sampled: number;
}

/** Oldest SentTimestamp among the visible messages; they are held briefly and released untouched. */
async function sampleOldest(clients: AwsClients, queue: QueueState): Promise<OldestSample> {
  if (queue.visible === 0) return { oldestSentAt: null, oldestAgeSeconds: null, sampled: 0 };
  const lease = new Lease(clients.sqs, queue.url, SAMPLE_VISIBILITY_SECONDS);
  const interrupts = watchInterrupts();
  try {
    const messages = await receiveAllHeld(lease, SAMPLE_LIMIT, interrupts.requested);
    const sent = messages.map((m) => Number(m.attributes.SentTimestamp)).filter((t) => Number.isFinite(t) && t > 0);
    if (sent.length === 0) return { oldestSentAt: null, oldestAgeSeconds: null, sampled: messages.length };
    const oldest = Math.min(...sent);
    return { oldestSentAt: new Date(oldest).toISOString(), oldestAgeSeconds: Math.floor((Date.now() - oldest) / 1000), sampled: messages.length };
  } finally {
    const unreleased = await lease.releaseAll();
    interrupts.dispose();
    if (unreleased > 0) note(`${unreleased} sampled messages could not be released; they come back within ${SAMPLE_VISIBILITY_SECONDS}s`);
  }
}

interface EventSourceMappingState {
  readonly uuid?: string;
  readonly state?: string;
  readonly functionArn?: string;
  readonly batchSize?: number;
  readonly lastProcessingResult?: string;
  readonly stateTransitionReason?: string;
}

async function eventSourceMappings(clients: AwsClients, queueArn: string): Promise<EventSourceMappingState[] | { error: string }> {
  try {
    const response = await clients.lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: queueArn }));
    return (response.EventSourceMappings ?? []).map((mapping) => ({
      uuid: mapping.UUID,
      state: mapping.State,
      functionArn: mapping.FunctionArn,
      batchSize: mapping.BatchSize,
      lastProcessingResult: mapping.LastProcessingResult ?? undefined,
      stateTransitionReason: mapping.StateTransitionReason,
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function queueDocument(queue: QueueState, sample: OldestSample | undefined): Record<string, unknown> {
  return {
    url: queue.url,
    arn: queue.arn,
    visible: queue.visible,
    inFlight: queue.inFlight,
    delayed: queue.delayed,
    sampled: sample !== undefined,
    oldestSentAt: sample?.oldestSentAt ?? null,
    oldestAgeSeconds: sample?.oldestAgeSeconds ?? null,
  };
}

function oldestText(queue: QueueState, sample: OldestSample | undefined): string {
  if (!sample) return "not sampled (--sample-main)";
  if (sample.oldestAgeSeconds === null) return queue.visible + queue.inFlight === 0 ? "-" : "none visible";
  return formatAge(sample.oldestAgeSeconds);
}

export const statusCommand: CliCommand<{ sampleMain: boolean }> = {
  name: "status",
  summary: "depth, in-flight and oldest age of the queue and the DLQ; the event source mapping's state",
  configure(command) {
    command
      .description(
        "Shows, for the main queue and the DLQ: visible messages, messages in flight, delayed messages and the age of the oldest visible\n" +
          "message; and the state of the Lambda event source mapping that reads the main queue.\n\n" +
          "The DLQ's oldest age is measured by receiving its messages for a moment and releasing them untouched (their receive count goes up by one).",
      )
      .option(
        "--sample-main",
        `measure the main queue's oldest age the same way. Off by default: each receive counts toward the queue's maxReceiveCount and hides the messages from the forwarder for up to ${SAMPLE_VISIBILITY_SECONDS}s`,
        false,
      );
  },

  async run(global, options): Promise<CommandResult> {
    const { clients, queue, dlq } = await openQueues(global, { queue: "optional", dlq: "optional" });

    const queueSample = queue && options.sampleMain ? await sampleOldest(clients, queue) : undefined;
    const dlqSample = dlq ? await sampleOldest(clients, dlq) : undefined;
    const mappings = queue ? await eventSourceMappings(clients, queue.arn) : undefined;

    const rows = [
      ...(queue ? [["queue", String(queue.visible), String(queue.inFlight), String(queue.delayed), oldestText(queue, queueSample), queue.url]] : []),
      ...(dlq ? [["dlq", String(dlq.visible), String(dlq.inFlight), String(dlq.delayed), oldestText(dlq, dlqSample), dlq.url]] : []),
    ];
    const lines = [formatTable(["", "VISIBLE", "IN FLIGHT", "DELAYED", "OLDEST", "URL"], rows)];
    if (mappings && "error" in mappings) lines.push(`event source mapping: cannot list (${mappings.error})`);
    else if (mappings && mappings.length === 0) lines.push(`event source mapping: none reads ${queue?.arn}`);
    else {
      for (const mapping of mappings ?? []) {
        lines.push(
          `event source mapping ${mapping.uuid}: ${mapping.state}, function ${mapping.functionArn}, batch size ${mapping.batchSize}` +
            (mapping.lastProcessingResult ? `, last result ${mapping.lastProcessingResult}` : ""),
        );
      }
    }
    return {
      document: {
        queue: queue ? queueDocument(queue, queueSample) : null,
        dlq: dlq ? queueDocument(dlq, dlqSample) : null,
        eventSourceMappings: mappings === undefined ? null : mappings,
      },
      text: lines.join("\n"),
      exitCode: EXIT_OK,
    };
  },
};
