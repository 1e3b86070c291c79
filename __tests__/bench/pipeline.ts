/**
 * Pipeline benchmark: webhooks through the local pipeline (the local API Gateway with the
 * synthesized integrations, moto_server's FIFO queue, the local event source mapping, the
 * bundled forwarder) to a target that takes 50 ms per request, once with the article's single
 * message group and once with one group per entity (50 entities), same batch size and
 * concurrency, in one run. Prints figures, whether the target was met, and last
 * `speed-up: <N>x`; it asserts nothing.
 *
 * The first two scenarios queue all their webhooks through the gateway first (the mapping
 * stopped, as during a release), then start the mapping and time the drain: what the message
 * groups change is how many webhooks are forwarded at once, not how fast they are queued. A
 * third posts them at a steady rate (BENCH_RATE, 20/s) while the mapping runs: the latency from
 * the POST to the target's receipt. A fourth takes the target down for two minutes
 * (BENCH_OUTAGE_SECONDS) once a fifth of the webhooks arrived: the forwarder retries inside the
 * queue (the stack's retry policy), and the figures are what reached the DLQ, the order, and how
 * long the drain took after the target came back.
 *
 * Cost per webhook, per scenario: every AWS call of the gateway, the mapping and the forwarder
 * goes through a counting proxy in front of moto_server (src/operations/emulator/request-counter.ts);
 * the invocations and their durations come from the local mapping, the log bytes from the
 * function's lines (at the stack's default log level, INFO; EMF metric lines included). Priced at
 * us-east-1 list prices (PRICES below), beside the floor: one HTTP API request and one SQS send.
 *
 * Usage: npm run bench:pipeline [-- <webhooks per scenario>]   (default 500)
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Testing } from "cdktf";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { backstopReceiveCount, FORWARDER_ENV } from "../../lambda/forwarder/contract";
import { createHeldGroupsTable } from "../support/held-groups";
import { bundleLambda } from "../../src/infrastructure/bundling/bundle";
import { emulator } from "../../src/infrastructure/environments";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";
import { EMULATOR_CREDENTIALS, startMotoServer } from "../../src/operations/emulator/moto-server";
import { AwsCall, AwsCallCounts, RequestCounter, startRequestCounter } from "../../src/operations/emulator/request-counter";
import { resolveReferences } from "../../src/operations/local/deployed-stack";
import { LocalEventSourceMapping, MappingConfiguration, MappingStatistics } from "../../src/operations/local/event-source-mapping";
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
/** Webhooks a second in the steady scenario, after a warm-up of WARM_UP_SECONDS at that rate (not counted). */
const RATE = Number(process.env.BENCH_RATE ?? 20);
const WARM_UP_SECONDS = 5;
/** The forwarder's log level: `var.webhook.log_level`'s default, so that the log bytes are what a deployed stack ingests. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? "INFO";

/**
 * us-east-1 list prices, on demand, free tiers left out (the pricing pages of API Gateway, SQS,
 * Lambda, DynamoDB and CloudWatch, checked on the date below; README.md names the sources).
 */
const PRICES = {
  checked: "2026-12-07",
  /** API Gateway HTTP API, per request (first 300 million a month; each 512 KB of a request counts as one). */
  httpApiRequest: 1.0 / 1e6,
  /** SQS FIFO, per request (each 64 KB chunk of a request's payload counts as one). */
  sqsFifoRequest: 0.5 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Lambda duration, per GB-second (first 7.5 / 6 billion a month). */
  lambdaGbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 } as Record<string, number>,
  /** DynamoDB on demand, per read request unit (a strongly consistent read of up to 4 KB) and write request unit (up to 1 KB). */
  dynamodbReadUnit: 0.125 / 1e6,
  dynamodbWriteUnit: 0.625 / 1e6,
  /** CloudWatch Logs ingestion (standard log class), per GB. */
  logsIngestedGb: 0.5,
};
/** The least a webhook costs on this path: one HTTP API request and one SQS send. */
const FLOOR_PER_MILLION = (PRICES.httpApiRequest + PRICES.sqsFifoRequest) * 1e6;
/** Lambda's own lines per invocation, which the local sandbox does not write (START, END, REPORT in the text format): their size. */
const PLATFORM_LOG_BYTES = [
  "START RequestId: 00000000-0000-0000-0000-000000000000 Version: $LATEST",
  "END RequestId: 00000000-0000-0000-0000-000000000000",
  "REPORT RequestId: 00000000-0000-0000-0000-000000000000\tDuration: 612.34 ms\tBilled Duration: 613 ms\tMemory Size: 128 MB\tMax Memory Used: 88 MB\t",
].reduce((sum, line) => sum + Buffer.byteLength(line), 0);

interface Scenario {
  readonly label: string;
  /** The source whose route the webhooks are sent to. */
  readonly source: string;
  /** All queued before the mapping starts (as during a release), or posted at RATE a second while it runs. */
  readonly arrival: "queued" | "steady";
  /** Take the target down for OUTAGE_SECONDS once a fifth of the webhooks arrived. */
  readonly outage?: boolean;
}
const SCENARIOS = {
  single: { label: "the article's single group", source: "default", arrival: "queued" },
  perEntity: { label: `one group per entity (${ENTITIES})`, source: "entities", arrival: "queued" },
  steady: { label: `per entity, ${RATE}/s while delivering`, source: "entities", arrival: "steady" },
  outage: { label: `per entity, target down ${OUTAGE_SECONDS} s mid-run`, source: "entities", arrival: "queued", outage: true },
} as const satisfies Record<string, Scenario>;

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
  /** Per webhook, ms from its POST to the target's receipt of its first delivery. */
  readonly latenciesMs: readonly number[];
  readonly usage: Usage;
}

/** What a scenario used, over all its webhooks. */
interface Usage {
  readonly webhooks: number;
  /** POSTs to the gateway: HTTP API requests. */
  readonly httpApiRequests: number;
  /** SQS requests by action, as the counting proxy forwarded them; ReceiveMessage: those that returned messages. */
  readonly sqsRequests: Readonly<Record<string, number>>;
  /** Those requests in SQS's billing units (64 KB of payload each). */
  readonly sqsBilledRequests: number;
  /** ReceiveMessage calls that returned nothing: a cost per hour of polling, not per webhook, so counted apart. */
  readonly emptyReceives: number;
  readonly dynamodbRequests: Readonly<Record<string, number>>;
  readonly dynamodbReadUnits: number;
  readonly dynamodbWriteUnits: number;
  /** Requests to any other service, `<service> <action>`. */
  readonly otherRequests: Readonly<Record<string, number>>;
  readonly invocations: number;
  readonly durationMs: number;
  /** The function's own lines (JSON logs, EMF metric lines), in bytes. */
  readonly logBytes: number;
}

/** What the counting proxy and the function's log tell about the scenario under way. */
interface Meter {
  sqsBilledRequests: number;
  emptyReceives: number;
  dynamodbReadUnits: number;
  dynamodbWriteUnits: number;
  logBytes: number;
}
const newMeter = (): Meter => ({ sqsBilledRequests: 0, emptyReceives: 0, dynamodbReadUnits: 0, dynamodbWriteUnits: 0, logBytes: 0 });

/** Adds one AWS call to `meter`: SQS in 64 KB units (empty receives apart), DynamoDB in request units (items under 1 KB). */
function meterCall(meter: Meter, call: AwsCall): void {
  if (call.service === "sqs") {
    if (
      call.action === "ReceiveMessage" &&
      ((JSON.parse(call.response.toString() || "{}") as { Messages?: unknown[] }).Messages ?? []).length === 0
    ) {
      meter.emptyReceives++;
      return;
    }
    meter.sqsBilledRequests += Math.max(1, Math.ceil(Math.max(call.request.length, call.response.length) / 65_536));
  } else if (call.service === "dynamodb") {
    const input = JSON.parse(call.request.toString() || "{}") as {
      RequestItems?: Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
      ConsistentRead?: boolean;
    };
    if (call.action === "BatchGetItem") {
      for (const table of Object.values(input.RequestItems ?? {}))
        meter.dynamodbReadUnits += (table.Keys ?? []).length * (table.ConsistentRead ? 1 : 0.5);
    } else if (call.action === "GetItem") meter.dynamodbReadUnits += input.ConsistentRead ? 1 : 0.5;
    else if (["PutItem", "UpdateItem", "DeleteItem"].includes(call.action)) meter.dynamodbWriteUnits += 1;
  }
}

/** A target that answers 200 after TARGET_LATENCY_MS, recording each entity's sequence numbers as they arrive, and when each first arrived. */
async function startSlowTarget() {
  const arrivals = new Map<string, number[]>();
  const firstReceipt = new Map<string, number>();
  let inFlight = 0;
  let peakInFlight = 0;
  let onArrival = () => {};
  let down = false;
  const server = await serveHttp(async (_request, _url, body) => {
    const receivedAt = performance.now();
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, TARGET_LATENCY_MS));
    inFlight--;
    if (down) return { status: 503, body: "release in progress" };
    const { run, entity, seq } = JSON.parse(body.toString()) as { run: string; entity: string; seq: number };
    const key = `${run}/${entity}`;
    arrivals.set(key, [...(arrivals.get(key) ?? []), seq]);
    if (!firstReceipt.has(`${key}/${seq}`)) firstReceipt.set(`${key}/${seq}`, receivedAt);
    onArrival();
    return { status: 200, body: "ok" };
  });
  return {
    url: `${server.url}/webhook`,
    arrivals,
    /** performance.now() when `<run>/<entity>/<seq>` first reached the target (and was taken). */
    firstReceipt,
    peak: () => peakInFlight,
    resetPeak: () => (peakInFlight = 0),
    whenArrived: (callback: () => void) => (onArrival = callback),
    setDown: (value: boolean) => (down = value),
    close: () => server.stop(),
  };
}
type SlowTarget = Awaited<ReturnType<typeof startSlowTarget>>;

/** What every scenario runs against. */
interface Pipeline {
  readonly config: MappingConfiguration;
  /** The gateway's and the mapping's client: through the counting proxy. */
  readonly sqs: SQSClient;
  /** The bench's own reads (queue depths): straight to moto_server, not counted. */
  readonly direct: SQSClient;
  readonly functionEndpoint: string;
  readonly target: SlowTarget;
  readonly counter: RequestCounter;
  /** The meter the proxy and the function's log add to (one per scenario). */
  meter: Meter;
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  const pipeline: Partial<Pipeline> & { meter: Meter } = { meter: newMeter() };
  const counter = await startRequestCounter({ upstream: moto.endpoint, onCall: (call) => meterCall(pipeline.meter, call) });
  // Queues are created through the proxy: their URLs name it, so the forwarder's SQS client (which sends to a queue URL's host) is counted too.
  const sqs = new SQSClient({ region: REGION, endpoint: counter.endpoint, credentials: EMULATOR_CREDENTIALS });
  const direct = new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
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
    const architecture = String((forwarder.architectures as string[] | undefined)?.[0] ?? "x86_64");
    const mapping = synthesized.resource.aws_lambda_event_source_mapping.webhook_event_producer_mapping;
    const bundle = bundleLambda("forwarder");
    // The log level is a Terraform variable (its default here); the sources a jsonencode() of what the construct was given.
    const environment = Object.fromEntries(
      Object.entries(forwarder.environment.variables as Record<string, string>).map(([name, value]) => [
        name,
        name === "POWERTOOLS_LOG_LEVEL"
          ? LOG_LEVEL
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

    Object.assign(pipeline, { config, sqs, direct, functionEndpoint: counter.endpoint, target, counter });
    const outcomes: Partial<Record<keyof typeof SCENARIOS, Outcome>> = {};
    for (const [index, [name, scenario]] of Object.entries(SCENARIOS).entries()) {
      outcomes[name as keyof typeof SCENARIOS] = await runScenario(`run${index}`, routeOf(scenario.source), scenario, pipeline as Pipeline);
    }
    await gateway.stop();
    const { single, perEntity, steady, outage } = outcomes as Record<keyof typeof SCENARIOS, Outcome>;
    const gbSecondPrice = PRICES.lambdaGbSecond[architecture];
    if (gbSecondPrice === undefined) throw new Error(`no Lambda price for architecture ${architecture}`);

    const speedUp = single.drainSeconds / perEntity.drainSeconds;
    console.log(
      `Pipeline benchmark: node ${process.version}, ${availableParallelism()} CPUs; local gateway -> moto_server FIFO queue -> local event source mapping -> bundled forwarder -> target`,
    );
    console.log(
      `${WEBHOOKS} webhooks per scenario, ${ENTITIES} entities interleaved; target answers after ${TARGET_LATENCY_MS} ms; batch size ${config.batchSize}, maximum concurrency ${MAX_CONCURRENCY}`,
    );
    console.log(`retries inside the queue: ${JSON.stringify(retry)}; the queue's maxReceiveCount ${queue.maxReceiveCount}`);
    const named = Object.entries(SCENARIOS).map(([name, scenario]) => [scenario, outcomes[name as keyof typeof SCENARIOS]!] as const);
    console.log(
      table(
        ["scenario", "queued in", "drained in", "webhooks/s", "peak parallel", "lost", "dup", "reordered", "in DLQ"],
        [38, 11, 12, 12, 15, 6, 5, 11, 8],
        [
          ...named.map(([scenario, outcome]) => [
            scenario.label,
            `${outcome.queuedSeconds.toFixed(1)} s`,
            `${outcome.drainSeconds.toFixed(1)} s`,
            (outcome.delivered / outcome.drainSeconds).toFixed(1),
            String(outcome.peakInFlight),
            String(outcome.lost),
            String(outcome.duplicates),
            String(outcome.reordered),
            String(outcome.deadLettered),
          ]),
        ],
      ),
    );
    const latencies = [...steady.latenciesMs].sort((a, b) => a - b);
    console.log(
      `latency from the POST to the target's receipt, ${SCENARIOS.steady.label}: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms (${latencies.length} webhooks, after a ${WARM_UP_SECONDS} s warm-up that started the sandboxes; the target's own ${TARGET_LATENCY_MS} ms not included)`,
    );
    console.log(
      `outage: target down ${OUTAGE_SECONDS} s; drained ${outage.drainAfterRecoverySeconds?.toFixed(1)} s after it came back (backoff up to ${retry.maxDelaySeconds} s); ${outage.deadLettered} in the DLQ, ${outage.reordered} reordered`,
    );

    console.log(
      `per webhook: AWS calls through a counting proxy in front of moto_server (gateway, mapping and forwarder), invocations, durations (x ${config.function.memorySizeMb} MB, ${architecture}) and log lines from the local mapping; us-east-1 list prices`,
    );
    const costs = named.map(
      ([scenario, outcome]) => [scenario, outcome.usage, dollarsPerMillion(outcome.usage, config.function.memorySizeMb, gbSecondPrice)] as const,
    );
    console.log(
      table(
        ["scenario", "SQS calls", "empty receives", "DynamoDB RU", "WU", "invocations", "GB-s", "log bytes", "$ per million", "x floor"],
        [38, 10, 16, 13, 6, 13, 10, 11, 15, 9],
        [
          ...costs.map(([scenario, usage, dollars]) => {
            const per = (value: number) => value / usage.webhooks;
            return [
              scenario.label,
              per(sum(usage.sqsRequests)).toFixed(2),
              per(usage.emptyReceives).toFixed(2),
              per(usage.dynamodbReadUnits).toFixed(2),
              per(usage.dynamodbWriteUnits).toFixed(2),
              per(usage.invocations).toFixed(2),
              per(gbSeconds(usage, config.function.memorySizeMb)).toFixed(5),
              per(usage.logBytes).toFixed(0),
              dollars.total.toFixed(2),
              `${(dollars.total / FLOOR_PER_MILLION).toFixed(1)}x`,
            ];
          }),
        ],
      ),
    );
    console.log("  calls per webhook, by service and action:");
    for (const [scenario, usage] of costs) {
      const calls = { ...prefixed("SQS", usage.sqsRequests), ...prefixed("DynamoDB", usage.dynamodbRequests), ...usage.otherRequests };
      console.log(
        `    ${`${scenario.label}:`.padEnd(39)}${Object.entries(calls)
          .map(([action, count]) => `${action} ${(count / usage.webhooks).toFixed(2)}`)
          .join(", ")}`,
      );
    }
    console.log("  $ per million webhooks = HTTP API + SQS + Lambda requests + Lambda GB-s + DynamoDB + CloudWatch Logs:");
    for (const [scenario, , dollars] of costs) {
      const parts = [dollars.httpApi, dollars.sqs, dollars.lambdaRequests, dollars.lambdaDuration, dollars.dynamodb, dollars.logs];
      console.log(`    ${`${scenario.label}:`.padEnd(39)}${parts.map((part) => part.toFixed(2)).join(" + ")} = ${dollars.total.toFixed(2)}`);
    }
    console.log(
      `prices (us-east-1, list, ${PRICES.checked}): HTTP API $${perMillion(PRICES.httpApiRequest)}/M requests; SQS FIFO $${perMillion(PRICES.sqsFifoRequest)}/M requests (64 KB units); ` +
        `Lambda $${perMillion(PRICES.lambdaRequest)}/M requests, ${architecture} $${gbSecondPrice}/GB-s; DynamoDB on demand $${perMillion(PRICES.dynamodbReadUnit)}/M read units, ` +
        `$${perMillion(PRICES.dynamodbWriteUnit)}/M write units; CloudWatch Logs $${PRICES.logsIngestedGb.toFixed(2)}/GB ingested (+ ${PLATFORM_LOG_BYTES} bytes of START/END/REPORT per invocation)`,
    );
    console.log(
      `floor: $${FLOOR_PER_MILLION.toFixed(2)} per million webhooks (one HTTP API request and one SQS send each); empty receives are left out of the price: ` +
        `they cost per hour of polling (here ${MAX_CONCURRENCY} pollers with 1 s waits), not per webhook`,
    );
    const clean = Object.values(outcomes).every((outcome) => outcome.lost === 0 && outcome.reordered === 0 && outcome.deadLettered === 0);
    console.log(
      `target: speed-up >= ${TARGETS.speedUp}x with 0 lost, 0 reordered and 0 in the DLQ (the outage included): ${speedUp >= TARGETS.speedUp && clean ? "met" : "NOT MET"}`,
    );
    console.log(`speed-up: ${speedUp.toFixed(1)}x`);
  } finally {
    await target.close();
    sqs.destroy();
    direct.destroy();
    await counter.stop();
    await moto.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Posts WEBHOOKS webhooks to `url` (entity e<i % ENTITIES>, each entity's in order), then drains them and checks what arrived. */
async function runScenario(run: string, url: string, scenario: Scenario, pipeline: Pipeline): Promise<Outcome> {
  const { config, target, counter } = pipeline;
  pipeline.meter = newMeter();
  counter.reset();
  const arrivedCount = () => arrivals(target, run);
  let recoveredAt: number | undefined;
  let outageStarted = false;
  const allArrived = new Promise<void>((resolve) =>
    target.whenArrived(() => {
      if (scenario.outage && !outageStarted && arrivedCount() >= WEBHOOKS / 5) {
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
  const mapping = new LocalEventSourceMapping(config, {
    sqs: pipeline.sqs,
    functionAws: { endpoint: pipeline.functionEndpoint, ...EMULATOR_CREDENTIALS },
    onFunctionLog: (line) => {
      pipeline.meter.logBytes += Buffer.byteLength(line);
      if (line.includes('"level":"ERROR"')) console.error(line);
    },
    onLine: (line) => process.env.BENCH_VERBOSE && console.error(`[mapping ${performance.now().toFixed(0)}] ${line}`),
  });

  const sent = new Map<string, number[]>();
  const postedAt = new Map<string, number>();
  /** The i-th webhook of `runId`; only the scenario's own run is checked and timed. */
  const post = async (runId: string, i: number) => {
    const entity = `e${i % ENTITIES}`;
    const seq = Math.floor(i / ENTITIES) + 1;
    if (runId === run) {
      sent.set(entity, [...(sent.get(entity) ?? []), seq]);
      postedAt.set(`${run}/${entity}/${seq}`, performance.now());
    }
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ run: runId, entity, seq }),
    });
    if (response.status !== 200) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  };
  /** One every 1/RATE s, each on its own schedule (a slow answer delays no later one); an entity's next one comes ENTITIES / RATE s later. */
  const postAtRate = async (runId: string, count: number) => {
    const posts: Promise<void>[] = [];
    const from = performance.now();
    for (let i = 0; i < count; i++) {
      await delay(Math.max(0, from + (i * 1000) / RATE - performance.now()));
      posts.push(post(runId, i));
    }
    await Promise.all(posts);
  };

  let startedAt: number;
  let queuedSeconds: number;
  let before: MappingStatistics = { ...mapping.statistics };
  if (scenario.arrival === "queued") {
    const queuedAt = performance.now();
    for (let i = 0; i < WEBHOOKS; i++) await post(run, i);
    queuedSeconds = (performance.now() - queuedAt) / 1000;
    const queued = await depth(pipeline.direct, config.queueUrl);
    if (queued !== WEBHOOKS) throw new Error(`${queued} messages queued, ${WEBHOOKS} sent`);
    target.resetPeak();
    startedAt = performance.now();
    mapping.start();
  } else {
    mapping.start();
    // Each sandbox starts cold on its first batch (ten worker threads loading the bundle at once take seconds on two
    // cores): a warm-up stream first, neither timed nor counted.
    const warmUp = `${run}-warm-up`;
    await postAtRate(warmUp, WARM_UP_SECONDS * RATE);
    await until(() => arrivals(target, warmUp) >= WARM_UP_SECONDS * RATE, DRAIN_TIMEOUT_MS, `${warmUp}: not delivered`);
    pipeline.meter = newMeter();
    counter.reset();
    before = { ...mapping.statistics };
    target.resetPeak();
    startedAt = performance.now();
    await postAtRate(run, WEBHOOKS);
    queuedSeconds = (performance.now() - startedAt) / 1000;
  }

  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    allArrived,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${run}: ${arrivedCount()} of ${WEBHOOKS} arrived`)), DRAIN_TIMEOUT_MS))),
  ]);
  const finishedAt = performance.now();
  const drainSeconds = (finishedAt - startedAt) / 1000;
  clearTimeout(timer);
  // Anything delivered twice would arrive now.
  await delay(1000);
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
  const latenciesMs = [...postedAt].flatMap(([key, at]) => {
    const receivedAt = target.firstReceipt.get(key);
    return receivedAt === undefined ? [] : [receivedAt - at];
  });
  return {
    queuedSeconds,
    drainSeconds,
    delivered: arrivedCount(),
    lost,
    duplicates,
    reordered,
    peakInFlight: target.peak(),
    deadLettered: await depth(pipeline.direct, dlqUrlOf(config)),
    ...(recoveredAt !== undefined && { drainAfterRecoverySeconds: (finishedAt - recoveredAt) / 1000 }),
    latenciesMs,
    usage: usageOf(counter.counts(), pipeline.meter, {
      invocations: mapping.statistics.invocations - before.invocations,
      durationMs: mapping.statistics.durationMs - before.durationMs,
    }),
  };
}

/** The scenario's usage: the proxy's counts by service and action, the meter's units, the mapping's invocations. */
function usageOf(counts: AwsCallCounts, meter: Meter, statistics: Pick<MappingStatistics, "invocations" | "durationMs">): Usage {
  const requestsOf = (service: string) =>
    Object.fromEntries(Object.entries(counts[service] ?? {}).map(([action, tally]) => [action, tally.requests] as const));
  const sqsRequests = requestsOf("sqs");
  if (sqsRequests.ReceiveMessage !== undefined) sqsRequests.ReceiveMessage -= meter.emptyReceives;
  const otherRequests = Object.fromEntries(
    Object.entries(counts)
      .filter(([service]) => service !== "sqs" && service !== "dynamodb")
      .flatMap(([service, actions]) => Object.entries(actions).map(([action, tally]) => [`${service} ${action}`, tally.requests] as const)),
  );
  return {
    webhooks: WEBHOOKS,
    httpApiRequests: WEBHOOKS,
    sqsRequests,
    sqsBilledRequests: meter.sqsBilledRequests,
    emptyReceives: meter.emptyReceives,
    dynamodbRequests: requestsOf("dynamodb"),
    dynamodbReadUnits: meter.dynamodbReadUnits,
    dynamodbWriteUnits: meter.dynamodbWriteUnits,
    otherRequests,
    invocations: statistics.invocations,
    durationMs: statistics.durationMs,
    logBytes: meter.logBytes,
  };
}

function gbSeconds(usage: Usage, memorySizeMb: number): number {
  return (memorySizeMb / 1024) * (usage.durationMs / 1000);
}

/** Dollars per million webhooks, line by line (empty receives left out). */
function dollarsPerMillion(usage: Usage, memorySizeMb: number, gbSecondPrice: number) {
  const perMillion = (quantity: number) => (quantity / usage.webhooks) * 1e6;
  const lines = {
    httpApi: perMillion(usage.httpApiRequests) * PRICES.httpApiRequest,
    sqs: perMillion(usage.sqsBilledRequests) * PRICES.sqsFifoRequest,
    lambdaRequests: perMillion(usage.invocations) * PRICES.lambdaRequest,
    lambdaDuration: perMillion(gbSeconds(usage, memorySizeMb)) * gbSecondPrice,
    dynamodb: perMillion(usage.dynamodbReadUnits) * PRICES.dynamodbReadUnit + perMillion(usage.dynamodbWriteUnits) * PRICES.dynamodbWriteUnit,
    logs: (perMillion(usage.logBytes + usage.invocations * PLATFORM_LOG_BYTES) / 2 ** 30) * PRICES.logsIngestedGb,
  };
  return { ...lines, total: sum(lines) };
}

/** How many webhooks of `run` reached the target. */
function arrivals(target: SlowTarget, run: string): number {
  return [...target.arrivals].filter(([key]) => key.startsWith(`${run}/`)).reduce((sum, [, seqs]) => sum + seqs.length, 0);
}

async function until(condition: () => boolean, timeoutMs: number, failure: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(failure);
    await delay(100);
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function sum(values: Readonly<Record<string, number>>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}

function prefixed(service: string, requests: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(requests).map(([action, count]) => [`${service} ${action}`, count]));
}

/** A unit price per request as dollars per million, to the cent or finer: 0.50, 0.125. */
function perMillion(price: number): string {
  const dollars = Number((price * 1e6).toFixed(6));
  return dollars.toFixed(Math.max(2, (String(dollars).split(".")[1] ?? "").length));
}

/** Rows under a header, the first column left-aligned, the others right-aligned to `widths`. */
function table(header: readonly string[], widths: readonly number[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[index]))).join("")}`;
  return [header, ...rows].map(line).join("\n");
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
