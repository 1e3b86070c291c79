/**
 * The local event source mapping: Lambda's delete/keep rules as a table, the event and the
 * sandbox, then the pollers against real moto queues with a short visibility timeout.
 */
import { LambdaClient, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import {
  LocalEventSourceMapping,
  LocalEventSourceMappingOptions,
  MappingConfiguration,
  settleBatch,
  sqsEventRecord,
} from "../../../src/operations/local/event-source-mapping";
import { FunctionConfiguration, InvocationOutcome, LambdaSandbox } from "../../../src/operations/local/lambda-sandbox";
import { createMappedFunction } from "../../support/moto-mappings";

const REGION = "ap-northeast-1";
const IDS = ["m1", "m2", "m3"];
const returned = (result: unknown): InvocationOutcome => ({ kind: "returned", result, durationMs: 1 });

describe("settleBatch: what Lambda deletes after an invocation", () => {
  test.each<[string, InvocationOutcome, boolean, string[], string[]]>([
    ["a thrown error keeps the whole batch", { kind: "error", errorType: "Error", errorMessage: "x", durationMs: 1 }, true, [], IDS],
    ["a timeout keeps the whole batch", { kind: "timeout", durationMs: 1 }, true, [], IDS],
    ["no response deletes all", returned(null), true, IDS, []],
    ["an empty batchItemFailures deletes all", returned({ batchItemFailures: [] }), true, IDS, []],
    ["no batchItemFailures field deletes all", returned({}), true, IDS, []],
    [
      "listed failures are kept, the rest deleted",
      returned({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] }),
      true,
      ["m1"],
      ["m2", "m3"],
    ],
    ["an unknown itemIdentifier fails the batch", returned({ batchItemFailures: [{ itemIdentifier: "other" }] }), true, [], IDS],
    ["an empty itemIdentifier fails the batch", returned({ batchItemFailures: [{ itemIdentifier: "" }] }), true, [], IDS],
    ["a misspelled key fails the batch", returned({ batchItemFailures: [{ itemIdentifer: "m1" }] }), true, [], IDS],
    ["a response that is not an object fails the batch", returned("ok"), true, [], IDS],
    ["without ReportBatchItemFailures the response is ignored", returned({ batchItemFailures: [{ itemIdentifier: "m1" }] }), false, IDS, []],
  ])("%s", (_name, outcome, report, remove, keep) => {
    const decision = settleBatch(IDS, outcome, report);
    expect(decision.remove).toEqual(remove);
    expect(decision.keep).toEqual(keep);
  });
});

test("sqsEventRecord has the shape of a Lambda SQS event record", () => {
  const record = sqsEventRecord(
    {
      MessageId: "id-1",
      ReceiptHandle: "rh",
      Body: "{}",
      MD5OfBody: "99914b932bd37a50b983c5e7c90ae93b",
      Attributes: {
        ApproximateReceiveCount: "2",
        SentTimestamp: "1700000000000",
        SequenceNumber: "18849496460467696128",
        MessageGroupId: "g",
        SenderId: "AIDA",
        MessageDeduplicationId: "d",
        ApproximateFirstReceiveTimestamp: "1700000000001",
      },
      MessageAttributes: { kind: { DataType: "String", StringValue: "approval" } },
    },
    "arn:aws:sqs:ap-northeast-1:123456789012:q.fifo",
  );
  expect(record).toEqual({
    messageId: "id-1",
    receiptHandle: "rh",
    body: "{}",
    attributes: {
      ApproximateReceiveCount: "2",
      SentTimestamp: "1700000000000",
      SequenceNumber: "18849496460467696128",
      MessageGroupId: "g",
      SenderId: "AIDA",
      MessageDeduplicationId: "d",
      ApproximateFirstReceiveTimestamp: "1700000000001",
    },
    messageAttributes: { kind: { stringValue: "approval", stringListValues: [], binaryListValues: [], dataType: "String" } },
    md5OfBody: "99914b932bd37a50b983c5e7c90ae93b",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:ap-northeast-1:123456789012:q.fifo",
    awsRegion: "ap-northeast-1",
  });
});

/** A stand-in forwarder: fails records whose body says "fail", throws on "throw", hangs on "hang", traces "slow…" ones. */
const HANDLER_SOURCE = `
let invocations = 0;
exports.handler = async (event, context) => {
  invocations++;
  const bodies = event.Records.map((r) => r.body);
  if (bodies.includes("throw")) throw new Error("boom");
  if (bodies.includes("hang")) await new Promise(() => {});
  if (bodies.every((b) => b.startsWith("slow"))) {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    for (const r of event.Records) require("node:fs").appendFileSync(process.env.TRACE_FILE, JSON.stringify({ body: r.body, group: r.attributes.MessageGroupId, start, end: Date.now() }) + "\\n");
    return { batchItemFailures: [] };
  }
  if (bodies.includes("probe")) {
    return { env: { QUEUE_URL: process.env.QUEUE_URL, HOME: process.env.HOME ?? null, AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME },
             remaining: context.getRemainingTimeInMillis(), functionName: context.functionName, invocations };
  }
  return { batchItemFailures: event.Records.filter((r) => r.body === "fail").map((r) => ({ itemIdentifier: r.messageId })) };
};
`;

describe("with a stand-in function", () => {
  let codeDirectory: string;
  let fn: FunctionConfiguration;

  beforeAll(() => {
    codeDirectory = mkdtempSync(join(tmpdir(), "local-esm-test-"));
    writeFileSync(join(codeDirectory, "index.js"), HANDLER_SOURCE);
    fn = {
      functionName: "test-forwarder",
      functionArn: "arn:aws:lambda:ap-northeast-1:123456789012:function:test-forwarder",
      handler: "index.handler",
      timeoutSeconds: 1,
      memorySizeMb: 128,
      runtime: "nodejs22.x",
      environment: { QUEUE_URL: "http://queue", TRACE_FILE: join(codeDirectory, "trace.jsonl") },
      region: REGION,
      codeDirectory,
    };
  });
  afterAll(() => rmSync(codeDirectory, { recursive: true, force: true }));

  test("the sandbox has the function's environment only, a Lambda context, warm reuse, and a cold start after a timeout", async () => {
    const sandbox = new LambdaSandbox(fn);
    try {
      const probe = { Records: [{ body: "probe" }] };
      const first = await sandbox.invoke(probe);
      expect(first).toMatchObject({
        kind: "returned",
        result: {
          env: { QUEUE_URL: "http://queue", HOME: null, AWS_LAMBDA_FUNCTION_NAME: "test-forwarder" },
          functionName: "test-forwarder",
          invocations: 1,
        },
      });
      const remaining = (first as { result: { remaining: number } }).result.remaining;
      expect(remaining).toBeGreaterThan(500);
      expect(remaining).toBeLessThanOrEqual(1000);
      expect(await sandbox.invoke(probe)).toMatchObject({ result: { invocations: 2 } });
      expect(await sandbox.invoke({ Records: [{ body: "hang" }] })).toMatchObject({ kind: "timeout" });
      expect(await sandbox.invoke(probe)).toMatchObject({ result: { invocations: 1 } });
      expect(await sandbox.invoke({ Records: [{ body: "throw" }] })).toMatchObject({ kind: "error", errorType: "Error", errorMessage: "boom" });
    } finally {
      await sandbox.stop();
    }
  });

  describe("pollers against moto", () => {
    let moto: MotoServer;
    let sqs: SQSClient;
    const mappings: LocalEventSourceMapping[] = [];
    const startMapping = (config: MappingConfiguration, lines: string[] = [], options: Partial<LocalEventSourceMappingOptions> = {}) => {
      const mapping = new LocalEventSourceMapping(config, { sqs, onLine: (line) => lines.push(line), ...options });
      mappings.push(mapping);
      mapping.start();
      return mapping;
    };

    beforeAll(async () => {
      moto = await startMotoServer();
      sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
    }, 30_000);
    afterAll(async () => {
      await Promise.all(mappings.map((mapping) => mapping.stop()));
      sqs?.destroy();
      await moto?.stop();
    });

    const depth = async (queueUrl: string) => {
      const attributes = (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
          }),
        )
      ).Attributes;
      return Number(attributes?.ApproximateNumberOfMessages) + Number(attributes?.ApproximateNumberOfMessagesNotVisible);
    };
    const eventually = async (condition: () => Promise<boolean>, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error("condition not met in time");
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    /** A FIFO queue in moto with content-based deduplication: its URL and ARN. */
    const fifoQueue = async (name: string, attributes: Record<string, string> = {}) => {
      const created = await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", ...attributes } }),
      );
      return { url: created.QueueUrl!, arn: `arn:aws:sqs:${REGION}:123456789012:${name}` };
    };
    /** A mapping of one message per batch, with partial batch responses, for the test function. */
    const mappingOf = (uuid: string, queue: { url: string; arn: string }, settings: Partial<MappingConfiguration>): MappingConfiguration => ({
      uuid,
      eventSourceArn: queue.arn,
      queueUrl: queue.url,
      batchSize: 1,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      visibilityTimeoutSeconds: 30,
      codeSha256: "",
      function: fn,
      ...settings,
    });

    test("delivered messages are deleted; failed ones stay, and the queue's redrive policy moves them to the DLQ", async () => {
      const dlq = await fifoQueue("esm-dlq.fifo");
      const queue = await fifoQueue("esm.fifo", {
        VisibilityTimeout: "1",
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
      });
      const [queueUrl, dlqUrl] = [queue.url, dlq.url];
      const config = mappingOf("test", queue, {
        visibilityTimeoutSeconds: 1,
        maxReceiveCount: 1,
        deadLetterTargetArn: dlq.arn,
      });
      const lines: string[] = [];
      const mapping = startMapping(config, lines);
      for (const [group, body] of [
        ["a", "ok-1"],
        ["b", "fail"],
        ["a", "ok-2"],
        ["c", "throw"],
      ]) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageGroupId: group, MessageBody: body }));
      }
      await eventually(async () => (await depth(queueUrl)) === 0 && (await depth(dlqUrl)) === 2, 15_000);
      expect(mapping.statistics).toMatchObject({ deleted: 2, kept: 2 });
      expect(lines.filter((line) => line.includes("-> batchItemFailures "))).toHaveLength(1);
      expect(lines.filter((line) => line.includes("function error Error: boom"))).toHaveLength(1);
      expect(lines.filter((line) => line.includes("SQS moves it to the DLQ on the next receive"))).toHaveLength(2);
      await mapping.stop();
    }, 30_000);

    test("two pollers never hold two messages of one group at once, but do work on two groups at once", async () => {
      const queue = await fifoQueue("esm-order.fifo", { VisibilityTimeout: "10" });
      const queueUrl = queue.url;
      const mapping = startMapping(mappingOf("test-order", queue, { visibilityTimeoutSeconds: 10, function: { ...fn, timeoutSeconds: 3 } }));
      // Both pollers are waiting in ReceiveMessage when the messages arrive.
      await new Promise((r) => setTimeout(r, 300));
      for (const [group, body] of [
        ["a", "slow-a1"],
        ["a", "slow-a2"],
        ["b", "slow-b1"],
      ]) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageGroupId: group, MessageBody: body }));
      }
      await eventually(async () => (await depth(queueUrl)) === 0, 15_000);
      const trace = readFileSync(fn.environment.TRACE_FILE, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { body: string; start: number; end: number });
      const span = (body: string) => trace.find((entry) => entry.body === body)!;
      expect(span("slow-a2").start).toBeGreaterThanOrEqual(span("slow-a1").end);
      expect(span("slow-b1").start).toBeLessThan(span("slow-a1").end);
      // Three invocations of 600 ms each, added up: what Lambda bills as duration.
      expect(mapping.statistics).toMatchObject({ invocations: 3 });
      expect(mapping.statistics.durationMs).toBeGreaterThanOrEqual(3 * 600);
      expect(mapping.statistics.durationMs).toBeLessThan(3 * 3000);
    }, 30_000);

    test("while moto's mapping is disabled (paused) nothing is received: webhooks wait unreceived; once enabled they are delivered", async () => {
      const queue = await fifoQueue("esm-paused.fifo", { VisibilityTimeout: "30" });
      const { uuid } = await createMappedFunction({ endpoint: moto.endpoint, region: REGION }, queue.arn, "esm-paused-producer");
      const lambda = new LambdaClient({ endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
      const stateReads = jest.spyOn(lambda, "send");
      const startedAt = Date.now();
      const lines: string[] = [];
      const lineSaying = (text: string) => eventually(async () => lines.some((line) => line.includes(text)), 10_000);
      try {
        const mapping = startMapping(mappingOf(uuid, queue, { maximumConcurrency: 3 }), lines, { lambda });
        await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageGroupId: "a", MessageBody: "before-pause" }));
        await eventually(async () => (await depth(queue.url)) === 0, 10_000);

        // As `webhook-queue pause` does.
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
        await lineSaying("mapping disabled (paused): not polling");
        const invocations = mapping.statistics.invocations;
        for (const [group, body] of [
          ["a", "paused-a1"],
          ["b", "paused-b1"],
          ["a", "paused-a2"],
        ]) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageGroupId: group, MessageBody: body }));
        }
        await new Promise((r) => setTimeout(r, 2500));
        expect(mapping.statistics.invocations).toBe(invocations);
        // Visible, and this is each one's first receive (made visible again at once).
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 0,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
        );
        expect(Object.fromEntries(Messages.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount]))).toEqual({
          "paused-a1": "1",
          "paused-a2": "1",
          "paused-b1": "1",
        });

        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
        await lineSaying("mapping enabled: polling (3 pollers)");
        await eventually(async () => (await depth(queue.url)) === 0, 10_000);
        expect(mapping.statistics).toMatchObject({ invocations: invocations + 3, deleted: 4, kept: 0 });
        await mapping.stop();
        // One reader of the state for the three pollers, about once a second (and the two switches above).
        expect(stateReads.mock.calls.length).toBeLessThanOrEqual((Date.now() - startedAt) / 1000 + 4);
      } finally {
        lambda.destroy();
      }
    }, 40_000);

    test("a stopped mapping leaves no poll behind: a message sent right after stop() is there for the next reader", async () => {
      const queue = await fifoQueue("esm-stop.fifo", { VisibilityTimeout: "30" });
      const queueUrl = queue.url;
      const mapping = startMapping(mappingOf("test-stop", queue, { maximumConcurrency: 3 }));
      // The pollers are in ReceiveMessage when the mapping stops.
      await new Promise((r) => setTimeout(r, 300));
      await mapping.stop();
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageGroupId: "a", MessageBody: "after-stop" }));
      // A poll the stop only abandoned would still be running in moto, take the message and hide it for 30 s.
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }));
      expect(Messages.map((message) => message.Body)).toEqual(["after-stop"]);
      expect(mapping.statistics.invocations).toBe(0);
    }, 30_000);
  });
});
