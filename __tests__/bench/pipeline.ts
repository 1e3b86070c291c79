/**
 * Pipeline benchmark: webhooks through the local pipeline (the local API Gateway with the
 * synthesized integrations, moto_server's FIFO queue, the local event source mapping, the
 * bundled forwarder) to a target that takes 50 ms per request, once with the article's single
 * message group and once with one group per entity (50 entities), same batch size and
 * concurrency, in one run. Prints figures, whether the target was met, and last
 * `speed-up: <N>x`; it asserts nothing.
 *
 * Each scenario queues all its webhooks through the gateway first (the mapping stopped, as
 * during a release), then starts the mapping and times the drain: what the message groups
 * change is how many webhooks are forwarded at once, not how fast they are queued. A third
 * scenario takes the target down for two minutes (BENCH_OUTAGE_SECONDS) once a fifth of the
 * webhooks arrived: the forwarder retries inside the queue (the stack's retry policy), and the
 * figures are what reached the DLQ, the order, and how long the drain took after the target
 * came back.
 *
 * Usage: npm run bench:pipeline [-- <webhooks per scenario>]   (default 500)
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Testing } from "cdktf";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { backstopReceiveCount, FORWARDER_ENV } from "../../lambda/forwarder/contract";
import { createHeldGroupsTable } from "../support/held-groups";
import { bundleLambda } from "../../src/infrastructure/bundling/bundle";
import { emulator } from "../../src/infrastructure/environments";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";
import { EMULATOR_CREDENTIALS, startMotoServer } from "../../src/operations/emulator/moto-server";
import { resolveReferences } from "../../src/operations/local/deployed-stack";
import { LocalEventSourceMapping, MappingConfiguration } from "../../src/operations/local/event-source-mapping";
import { startLocalGateway } from "../../src/operations/local/gateway/server";
import { gatewayRoutes } from "../../src/operations/local/gateway/routes";
import { serveHttp } from "../../src/operations/local/http-server";
import { DeployedValues, SynthesizedStack } from "../../src/operations/shared/stack-files";

const WEBHOOKS = Number(process.argv[2] ?? 500);
const ENTITIES = 50;
const TARGET_LATENCY_MS = 50;
const MAX_CONCURRENCY = 10;
/** Records per invocation (forwarder.batchSize): the forwarder sends a batch's records one after another. */
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 10);
const TARGETS = { speedUp: 5 };
const REGION = "ap-northeast-1";
const DRAIN_TIMEOUT_MS = 15 * 60_000;
const OUTAGE_SECONDS = Number(process.env.BENCH_OUTAGE_SECONDS ?? 120);

interface Scenario {
  readonly label: string;
  /** The source whose route the webhooks are sent to. */
  readonly source: string;
  /** Take the target down for OUTAGE_SECONDS once a fifth of the webhooks arrived. */
  readonly outage?: boolean;
}
const SCENARIOS: readonly Scenario[] = [
  { label: "the article's single group", source: "default" },
  { label: `one group per entity (${ENTITIES})`, source: "entities" },
  { label: `per entity, target down ${OUTAGE_SECONDS} s mid-run`, source: "entities", outage: true },
];

interface Outcome {
  readonly queuedSeconds: number;
  readonly drainSeconds: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly peakInFlight: number;
  /** Webhooks in the DLQ at the end. */
  readonly deadLettered: number;
  /** Seconds from the target's recovery to the last arrival (outage scenario). */
  readonly drainAfterRecoverySeconds?: number;
}

/** A target that answers 200 after TARGET_LATENCY_MS, recording each entity's sequence numbers as they arrive. */
async function startSlowTarget() {
  const arrivals = new Map<string, number[]>();
  let inFlight = 0;
  let peakInFlight = 0;
  let onArrival = () => {};
  let down = false;
  const server = await serveHttp(async (_request, _url, body) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, TARGET_LATENCY_MS));
    inFlight--;
    if (down) return { status: 503, body: "release in progress" };
    const { run, entity, seq } = JSON.parse(body.toString()) as { run: string; entity: string; seq: number };
    const key = `${run}/${entity}`;
    arrivals.set(key, [...(arrivals.get(key) ?? []), seq]);
    onArrival();
    return { status: 200, body: "ok" };
  });
  return {
    url: `${server.url}/webhook`,
    arrivals,
    peak: () => peakInFlight,
    resetPeak: () => (peakInFlight = 0),
    whenArrived: (callback: () => void) => (onArrival = callback),
    setDown: (value: boolean) => (down = value),
    close: () => server.stop(),
  };
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  const sqs = new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
  const target = await startSlowTarget();
  const scratch = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  try {
    // The emulator stack with a second source grouped per entity; both forward to the slow target.
    const stack = new WebhookQueueStack(Testing.app({ outdir: scratch }), {
      ...emulator({}),
      application: { enabled: false },
      forwarder: { ...emulator({}).forwarder, batchSize: BATCH_SIZE },
      sources: {
        default: { targets: { app: target.url } },
        entities: { messageGroup: "$request.body.entity", targets: { app: target.url } },
      },
    });
    const synthesized = JSON.parse(Testing.synth(stack)) as SynthesizedStack & {
      resource: Record<string, Record<string, any>>;
      output: Record<string, any>;
    };
    const retry = stack.settings.forwarder.retry;
    if (!retry) throw new Error("the bench runs the stack's retries inside the queue; forwarder.retry is false");
    // The stack's backstop above the retry budget (the article's max_receive_count is 1).
    const queue = await createQueuePair(sqs, backstopReceiveCount(retry));
    const dynamodb = new DynamoDBClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
    const heldGroupsTable = await createHeldGroupsTable(dynamodb, "bench-webhook-held-groups");
    dynamodb.destroy();
    const deployed: DeployedValues = new Map([
      ["aws_sqs_queue.webhook_queue", { url: queue.url, arn: queue.arn }],
      ["aws_sqs_queue.webhook_dlq", { url: queue.dlqUrl, arn: queue.dlqArn }],
      ["aws_sqs_queue.webhook_quarantine", { url: queue.quarantineUrl, arn: queue.quarantineArn }],
    ]);
    const routes = gatewayRoutes(synthesized, deployed);
    const gateway = await startLocalGateway({ routes, sqs, apiId: "bench" });

    const forwarder = synthesized.resource.aws_lambda_function.webhook_event_producer;
    const mapping = synthesized.resource.aws_lambda_event_source_mapping.webhook_event_producer_mapping;
    const bundle = bundleLambda("forwarder");
    // The log level is a Terraform variable (the bench logs warnings only); the sources a jsonencode() of what the construct was given.
    const environment = Object.fromEntries(
      Object.entries(forwarder.environment.variables as Record<string, string>).map(([name, value]) => [
        name,
        name === "POWERTOOLS_LOG_LEVEL"
          ? "WARN"
          : name === FORWARDER_ENV.sources
            ? JSON.stringify(stack.forwarder.sources)
            : name === FORWARDER_ENV.maxReceiveCount
              ? String(queue.maxReceiveCount)
              : name === FORWARDER_ENV.heldGroupsTable
                ? heldGroupsTable
                : resolveReferences(value, deployed),
      ]),
    );
    const config: MappingConfiguration = {
      uuid: "bench",
      eventSourceArn: queue.arn,
      queueUrl: queue.url,
      batchSize: Number(mapping.batch_size),
      maximumConcurrency: MAX_CONCURRENCY,
      reportBatchItemFailures: (mapping.function_response_types as string[]).includes("ReportBatchItemFailures"),
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      maxReceiveCount: queue.maxReceiveCount,
      deadLetterTargetArn: queue.dlqArn,
      codeSha256: "",
      function: {
        functionName: "bench-forwarder",
        functionArn: `arn:aws:lambda:${REGION}:123456789012:function:bench-forwarder`,
        handler: String(forwarder.handler),
        timeoutSeconds: Number(forwarder.timeout),
        memorySizeMb: Number(forwarder.memory_size ?? 128),
        runtime: String(forwarder.runtime),
        environment,
        region: REGION,
        codeDirectory: dirname(bundle.file),
      },
    };
    const routeOf = (source: string) => {
      const key = synthesized.output.webhook_sources.value[source].route_key as string;
      return `${gateway.url}${key.split(" ")[1]}`;
    };

    const outcomes: Outcome[] = [];
    for (const [index, scenario] of SCENARIOS.entries()) {
      outcomes.push(await runScenario(`run${index}`, routeOf(scenario.source), config, sqs, target, moto.endpoint, scenario.outage === true));
    }
    await gateway.stop();

    const [single, perEntity] = outcomes;
    const speedUp = single.drainSeconds / perEntity.drainSeconds;
    console.log(
      `Pipeline benchmark: node ${process.version}, ${availableParallelism()} CPUs; local gateway -> moto_server FIFO queue -> local event source mapping -> bundled forwarder -> target`,
    );
    console.log(
      `${WEBHOOKS} webhooks per scenario, ${ENTITIES} entities interleaved; target answers after ${TARGET_LATENCY_MS} ms; batch size ${config.batchSize}, maximum concurrency ${MAX_CONCURRENCY}`,
    );
    console.log(`retries inside the queue: ${JSON.stringify(retry)}; the queue's maxReceiveCount ${queue.maxReceiveCount}`);
    console.log(
      `  ${"scenario".padEnd(38)}${"queued in".padStart(11)}${"drained in".padStart(12)}${"webhooks/s".padStart(12)}${"peak parallel".padStart(15)}${"lost".padStart(6)}${"dup".padStart(5)}${"reordered".padStart(11)}${"in DLQ".padStart(8)}`,
    );
    for (const [index, scenario] of SCENARIOS.entries()) {
      const outcome = outcomes[index];
      console.log(
        `  ${scenario.label.padEnd(38)}${`${outcome.queuedSeconds.toFixed(1)} s`.padStart(11)}${`${outcome.drainSeconds.toFixed(1)} s`.padStart(12)}${(outcome.delivered / outcome.drainSeconds).toFixed(1).padStart(12)}${String(outcome.peakInFlight).padStart(15)}${String(outcome.lost).padStart(6)}${String(outcome.duplicates).padStart(5)}${String(outcome.reordered).padStart(11)}${String(outcome.deadLettered).padStart(8)}`,
      );
    }
    const outage = outcomes[2];
    console.log(
      `outage: target down ${OUTAGE_SECONDS} s; drained ${outage.drainAfterRecoverySeconds?.toFixed(1)} s after it came back (backoff up to ${retry.maxDelaySeconds} s); ${outage.deadLettered} in the DLQ, ${outage.reordered} reordered`,
    );
    const clean = outcomes.every((outcome) => outcome.lost === 0 && outcome.reordered === 0 && outcome.deadLettered === 0);
    console.log(
      `target: speed-up >= ${TARGETS.speedUp}x with 0 lost, 0 reordered and 0 in the DLQ (the outage included): ${speedUp >= TARGETS.speedUp && clean ? "met" : "NOT MET"}`,
    );
    console.log(`speed-up: ${speedUp.toFixed(1)}x`);
  } finally {
    await target.close();
    sqs.destroy();
    await moto.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Queues WEBHOOKS webhooks through `url` (entity e<i % ENTITIES>, each entity's in order), then drains them and checks what arrived. */
async function runScenario(
  run: string,
  url: string,
  config: MappingConfiguration,
  sqs: SQSClient,
  target: Awaited<ReturnType<typeof startSlowTarget>>,
  motoEndpoint: string,
  outage: boolean,
): Promise<Outcome> {
  const sent = new Map<string, number[]>();
  const queuedAt = performance.now();
  for (let i = 0; i < WEBHOOKS; i++) {
    const entity = `e${i % ENTITIES}`;
    const seq = Math.floor(i / ENTITIES) + 1;
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ run, entity, seq }),
    });
    if (response.status !== 200) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
    sent.set(entity, [...(sent.get(entity) ?? []), seq]);
  }
  const queuedSeconds = (performance.now() - queuedAt) / 1000;
  const queued = await depth(sqs, config.queueUrl);
  if (queued !== WEBHOOKS) throw new Error(`${queued} messages queued, ${WEBHOOKS} sent`);

  const arrivedCount = () => [...target.arrivals].filter(([key]) => key.startsWith(`${run}/`)).reduce((sum, [, seqs]) => sum + seqs.length, 0);
  let recoveredAt: number | undefined;
  let outageStarted = false;
  const allArrived = new Promise<void>((resolve) =>
    target.whenArrived(() => {
      if (outage && !outageStarted && arrivedCount() >= WEBHOOKS / 5) {
        outageStarted = true;
        target.setDown(true);
        setTimeout(() => {
          target.setDown(false);
          recoveredAt = performance.now();
        }, OUTAGE_SECONDS * 1000);
      }
      if (arrivedCount() >= WEBHOOKS) resolve();
    }),
  );
  target.resetPeak();
  const mapping = new LocalEventSourceMapping(config, {
    sqs,
    functionAws: { endpoint: motoEndpoint, ...EMULATOR_CREDENTIALS },
    onFunctionLog: (line) => line.includes('"level":"ERROR"') && console.error(line),
    onLine: (line) => process.env.BENCH_VERBOSE && console.error(`[mapping ${performance.now().toFixed(0)}] ${line}`),
  });
  const startedAt = performance.now();
  mapping.start();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    allArrived,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${run}: ${arrivedCount()} of ${WEBHOOKS} arrived`)), DRAIN_TIMEOUT_MS))),
  ]);
  const finishedAt = performance.now();
  const drainSeconds = (finishedAt - startedAt) / 1000;
  clearTimeout(timer);
  // Anything delivered twice would arrive now.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await mapping.stop();

  let lost = 0;
  let duplicates = 0;
  let reordered = 0;
  for (const [entity, seqs] of sent) {
    const arrived = target.arrivals.get(`${run}/${entity}`) ?? [];
    lost += seqs.filter((seq) => !arrived.includes(seq)).length;
    duplicates += arrived.length - new Set(arrived).size;
    reordered += arrived.filter((seq, index) => index > 0 && seq < arrived[index - 1]).length;
  }
  return {
    queuedSeconds,
    drainSeconds,
    delivered: arrivedCount(),
    lost,
    duplicates,
    reordered,
    peakInFlight: target.peak(),
    deadLettered: await depth(sqs, config.deadLetterTargetArn ? dlqUrlOf(config) : ""),
    ...(recoveredAt !== undefined && { drainAfterRecoverySeconds: (finishedAt - recoveredAt) / 1000 }),
  };
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** The DLQ's URL beside the queue's (the bench's pair: `<name>-dlq.fifo`). */
function dlqUrlOf(config: MappingConfiguration): string {
  return config.queueUrl.replace(/\.fifo$/, "-dlq.fifo");
}

/** The queue and DLQ as the emulator stack has them (FIFO, content-based deduplication, 60 s, the stack's maxReceiveCount). */
async function createQueuePair(sqs: SQSClient, maxReceiveCount: number) {
  const visibilityTimeoutSeconds = 60;
  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", ...attributes } }),
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  };
  const dlq = await create("bench-webhook-queue-dlq.fifo", {});
  const quarantine = await create("bench-webhook-quarantine.fifo", {});
  const queue = await create("bench-webhook-queue.fifo", {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
  });
  return {
    ...queue,
    dlqUrl: dlq.url,
    dlqArn: dlq.arn,
    quarantineUrl: quarantine.url,
    quarantineArn: quarantine.arn,
    visibilityTimeoutSeconds,
    maxReceiveCount,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
