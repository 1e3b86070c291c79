/**
 * The rehearsal's terminal lines, one per webhook event, read from the lines the real forwarder
 * logs (forwardRecord against targets on 127.0.0.1), the gateway's requests and the mapping's batches.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { RetryPolicy } from "../../../lambda/forwarder/contract";
import { ForwardContext, forwardRecord } from "../../../lambda/forwarder/forward";
import { parseSources } from "../../../lambda/forwarder/sources";
import { BatchDecision } from "../../../src/operations/local/event-source-mapping";
import { InvocationOutcome } from "../../../src/operations/local/lambda-sandbox";
import { backoffRange, eventLine, MAX_LINE_LENGTH, shortId, WebhookEvents } from "../../../src/operations/local/webhook-events";
import { captureOutput } from "../../support/bundled-lambda";
import { answer, LocalTarget, startTarget } from "../../support/local-targets";
import { sqsRecord } from "../../support/sqs-events";

const NOW = 1_700_000_000_000;
const POLICY: RetryPolicy = { maxAgeSeconds: 60, initialDelaySeconds: 1, maxDelaySeconds: 4 };
const SOURCES = (url: string) =>
  JSON.stringify({
    default: { group: { static: "mz-dev-sqs-webhook" }, targets: { application: { url } } },
    github: { group: { prefix: "github:" }, targets: { application: { url } } },
  });

let targets: LocalTarget[] = [];
afterEach(async () => {
  await Promise.all(targets.map((target) => target.close()));
  targets = [];
});

/** The events of a rehearsal whose forwarder has these sources and retry policy; the lines it says. */
function rehearsal(sourcesJson: string, options: { policy?: RetryPolicy; maxReceiveCount?: number } = {}) {
  const lines: string[] = [];
  const events = new WebhookEvents({
    forwarderEnvironment: { SOURCES: sourcesJson, ...(options.policy && { RETRY_POLICY: JSON.stringify(options.policy) }) },
    visibilityTimeoutSeconds: 5,
    maxReceiveCount: options.maxReceiveCount ?? 70,
    bodyWaitMs: 50,
    onLine: (line) => lines.push(line),
    clock: () => "12:03:04",
    now: () => NOW + 2_000,
  });
  return { events, lines };
}

/** What the real forwarder logs for `record`, as the sandbox hands the lines over. */
async function forwarderLines(record: SQSRecord, sourcesJson: string, retry?: Partial<ForwardContext["retry"]>): Promise<string[]> {
  const output = captureOutput();
  try {
    await forwardRecord(record, {
      sources: parseSources(sourcesJson),
      timeoutMs: 2_000,
      logger: new Logger({ serviceName: "mz-dev-webhook-event-producer", logLevel: "INFO" }),
      secrets: async () => ["secret"],
      quarantine: async () => "quarantined-1",
      now: () => NOW + 2_000,
      ...(retry && {
        retry: { policy: POLICY, maxReceiveCount: 70, retryLater: async () => undefined, deadLetter: async () => "dead-letter-1", ...retry },
      }),
    }).catch(() => undefined);
  } finally {
    output.restore();
  }
  return output.lines();
}

const returned = (durationMs = 40): InvocationOutcome => ({ kind: "returned", result: {}, durationMs });
const decision = (records: readonly SQSRecord[], kept: readonly SQSRecord[]): BatchDecision => ({
  remove: records.filter((record) => !kept.includes(record)).map((record) => record.messageId),
  keep: kept.map((record) => record.messageId),
  reason: kept.length > 0 ? `batchItemFailures ${kept.map((record) => record.messageId).join(", ")}` : "returned, batchItemFailures empty",
});
const received = (record: SQSRecord, count: number): SQSRecord => ({
  ...record,
  attributes: { ...record.attributes, ApproximateReceiveCount: String(count) },
});

test("a delivered webhook: one line, with its lane, its webhook ID, the target, the latency and what the application received", async () => {
  const application = await startTarget(answer(200));
  targets.push(application);
  const sources = SOURCES(application.url);
  const { events, lines } = rehearsal(sources, { policy: POLICY });
  const record = sqsRecord({ messageId: "m-1", group: "github:r4", deduplicationId: "github:7f3c2a91-delivery", sentAt: NOW });

  events.batch([record]);
  events.applicationReceived("7f3c2a91-delivery", '{"action":"updated","seq":1}');
  for (const line of await forwarderLines(record, sources, {})) events.forwarderLog(line);
  events.settled({ records: [record], outcome: returned(), decision: decision([record], []) });

  expect(lines).toEqual([
    expect.stringMatching(/^12:03:04 github:r4 {10}webhook 7f3c2a… {2}delivered to application in \d+ ms: \{"action":"updated","seq":1\}$/),
  ]);
});

test("a delivered line waits for what the application received when its log comes later; told without it after a while, or on close", async () => {
  const { events, lines } = rehearsal(SOURCES("http://127.0.0.1:1/hook"));
  const delivered = (messageId: string, webhookId: string) =>
    JSON.stringify({ message: "message delivered", messageId, messageGroupId: "github:r1", webhookId, target: "application", latencyMs: 7 });

  events.forwarderLog(delivered("m-1", "late-body"));
  events.forwarderLog(delivered("m-2", "no-body"));
  expect(lines).toEqual([]);
  events.applicationReceived("late-body", '{"seq":1}');
  expect(lines).toEqual(['12:03:04 github:r1          webhook late-b…  delivered to application in 7 ms: {"seq":1}']);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(lines.slice(1)).toEqual(["12:03:04 github:r1          webhook no-bod…  delivered to application in 7 ms"]);

  events.forwarderLog(delivered("m-3", "stopping"));
  events.close();
  expect(lines.slice(2)).toEqual(["12:03:04 github:r1          webhook stoppi…  delivered to application in 7 ms"]);
});

test("a failed delivery is told once its batch is settled: retried inside the queue with the backoff of that receive", async () => {
  const application = await startTarget(answer(503));
  targets.push(application);
  const sources = SOURCES(application.url);
  const { events, lines } = rehearsal(sources, { policy: POLICY });
  const record = received(
    sqsRecord({ messageId: "m-1", group: "mz-dev-sqs-webhook", source: "default", deduplicationId: "Kq0ZXj2xNjMEJdw=", sentAt: NOW }),
    2,
  );

  events.batch([record]);
  for (const line of await forwarderLines(record, sources, {})) events.forwarderLog(line);
  expect(lines).toEqual([]);
  events.settled({ records: [record], outcome: returned(), decision: decision([record], [record]) });

  expect(lines).toEqual(["12:03:04 mz-dev-sqs-webhook webhook Kq0ZXj…  not delivered: application 503 server-error; retry in 1-2 s"]);
});

test("a webhook whose budget is spent is dead-lettered, its group held; one held behind it, one quarantined", async () => {
  const application = await startTarget(answer(503));
  targets.push(application);
  const sources = SOURCES(application.url);
  const { events, lines } = rehearsal(sources, { policy: POLICY });
  const poison = sqsRecord({ messageId: "m-1", group: "github:r4", deduplicationId: "github:c49164fb", sentAt: NOW - 61_000 });
  const forged = sqsRecord({ messageId: "m-2", group: "github:r3", deduplicationId: "github:a2ec8e32", attributes: { "webhook-source": "default" } });
  const behind = sqsRecord({ messageId: "m-3", group: "github:r4", deduplicationId: "github:55a68f3c" });

  events.batch([poison, forged]);
  for (const line of [...(await forwarderLines(poison, sources, {})), ...(await forwarderLines(forged, sources, {}))]) events.forwarderLog(line);
  events.settled({ records: [poison, forged], outcome: returned(), decision: decision([poison, forged], []) });
  events.batch([behind]);
  // What forwardRecord logs for a record of a held group (lambda/forwarder/forward.ts, heldBehind).
  events.forwarderLog(
    JSON.stringify({
      level: "WARN",
      message: "webhook held behind its group's dead letter",
      timestamp: new Date(NOW).toISOString(),
      messageId: "m-3",
      messageGroupId: "github:r4",
      reason: "held behind webhook c49164fb: an earlier webhook of its group is in the DLQ",
      deadLetterMessageId: "dead-letter-2",
    }),
  );
  events.settled({ records: [behind], outcome: returned(), decision: decision([behind], []) });

  expect(lines).toEqual([
    expect.stringMatching(
      /^12:03:04 github:r4 {10}webhook c49164… {2}dead-lettered, group held: failing for 63 s, the retry budget .* is 60 s \(application server-error\)$/,
    ),
    expect.stringMatching(/^12:03:04 github:r3 {10}webhook a2ec8e… {2}quarantined: forged: attribute webhook-source "default" contradicts/),
    "12:03:04 github:r4          webhook 55a68f…  held: sent to the DLQ behind its group's dead letter",
  ]);
});

test("a failure logged after its batch was settled is still told, once; a record skipped behind its group's failure says so", () => {
  const { events, lines } = rehearsal(SOURCES("http://127.0.0.1:1/hook"), { policy: POLICY });
  const first = sqsRecord({ messageId: "m-1", group: "github:r1", deduplicationId: "github:aaaaaaaa", sentAt: NOW });
  const second = sqsRecord({ messageId: "m-2", group: "github:r1", deduplicationId: "github:bbbbbbbb", sentAt: NOW });
  const late = sqsRecord({ messageId: "m-3", group: "github:r2", deduplicationId: "github:cccccccc", sentAt: NOW });
  const notDelivered = (messageId: string, group: string, webhookId: string) =>
    JSON.stringify({
      level: "WARN",
      message: "message not delivered",
      messageId,
      messageGroupId: group,
      webhookId,
      target: "application",
      status: 503,
      outcome: "server-error",
    });

  events.batch([first, second, late]);
  events.forwarderLog(notDelivered("m-1", "github:r1", "aaaaaaaa"));
  events.settled({ records: [first, second, late], outcome: returned(), decision: decision([first, second, late], [first, second, late]) });
  expect(lines).toEqual([
    "12:03:04 github:r1          webhook aaaaaa…  not delivered: application 503 server-error; retry in 1 s",
    "12:03:04 github:r1          webhook bbbbbb…  skipped behind webhook aaaaaa… of its group; retry in 1 s",
  ]);
  events.forwarderLog(notDelivered("m-3", "github:r2", "cccccccc"));
  events.forwarderLog(notDelivered("m-3", "github:r2", "cccccccc"));
  expect(lines.slice(2)).toEqual(["12:03:04 github:r2          webhook cccccc…  not delivered: application 503 server-error; retry in 1 s"]);
});

test("without retries inside the queue: back after the visibility timeout, and at maxReceiveCount SQS moves it to the DLQ; a function that timed out", () => {
  const { events, lines } = rehearsal(SOURCES("http://127.0.0.1:1/hook"), { maxReceiveCount: 3 });
  const failing = (count: number, id: string) =>
    received(sqsRecord({ messageId: id, group: "mz-dev-sqs-webhook", source: "default", deduplicationId: `req-${id}` }), count);
  const [once, last, slow] = [failing(1, "m-1"), failing(3, "m-2"), failing(1, "m-3")];
  events.batch([once, last]);
  for (const record of [once, last]) {
    events.forwarderLog(
      JSON.stringify({ message: "message not delivered", messageId: record.messageId, target: "application", outcome: "timeout", timeoutMs: 4000 }),
    );
  }
  const error: InvocationOutcome = {
    kind: "error",
    errorType: "FullBatchFailureError",
    errorMessage: "All records failed processing.",
    durationMs: 9,
  };
  events.settled({
    records: [once, last],
    outcome: error,
    decision: { remove: [], keep: ["m-1", "m-2"], reason: "function error FullBatchFailureError" },
  });
  events.batch([slow]);
  events.settled({
    records: [slow],
    outcome: { kind: "timeout", durationMs: 5000 },
    decision: { remove: [], keep: ["m-3"], reason: "function timed out" },
  });

  expect(lines).toEqual([
    "12:03:04 mz-dev-sqs-webhook webhook req-m-…  not delivered: application timeout; back after the 5 s visibility timeout",
    "12:03:04 mz-dev-sqs-webhook webhook req-m-…  not delivered: application timeout; received 3 times (maxReceiveCount): SQS moves it to the DLQ on its next receive",
    "12:03:04 mz-dev-sqs-webhook webhook req-m-…  not forwarded: the function timed out; back after the 5 s visibility timeout",
  ]);
});

test("the gateway: a queued webhook by its webhook ID, a duplicate SQS did not queue, a refusal; deliveries and the release's 503 are not repeated", () => {
  const { events, lines } = rehearsal(SOURCES("http://127.0.0.1:1/hook"));
  const queued = { messageId: "q-1", messageGroupId: "github:r4", deduplicationId: "github:7f3c2a91-delivery" };
  events.gatewayRequest({ method: "POST", path: "/webhooks/github", status: 200, detail: "SendMessage", routeKey: "POST /webhooks/github", queued });
  events.gatewayRequest({ method: "POST", path: "/webhooks/github", status: 200, detail: "SendMessage", routeKey: "POST /webhooks/github", queued });
  events.gatewayRequest({ method: "POST", path: "/application-hook", status: 403, detail: "IAM authorization: no Authorization header" });
  events.gatewayRequest({ method: "POST", path: "/application-hook", status: 200, detail: "mz-dev-webhook-application 4 ms" });
  events.gatewayRequest({ method: "POST", path: "/application-hook", status: 503, detail: "release in progress" });
  events.gatewayRequest({ method: "POST", path: "/nowhere", status: 404, detail: "no route" });

  expect(lines).toEqual([
    "12:03:04 github:r4          webhook 7f3c2a…  queued (POST /webhooks/github)",
    "12:03:04 github:r4          webhook 7f3c2a…  a duplicate (deduplication ID seen in the last 5 minutes): not queued again",
    "12:03:04 POST /application-hook -> 403 (IAM authorization: no Authorization header)",
    "12:03:04 POST /nowhere -> 404 (no route)",
  ]);
});

test("a line is at most MAX_LINE_LENGTH long and shows what a request shaped escaped", () => {
  const line = eventLine(
    "12:03:04",
    "github:\u001b[2Kr4-with-a-very-long-repository-name",
    'evil"},"x\r',
    `delivered to application in 3 ms: ${"x".repeat(400)}`,
  );
  expect(line.length).toBe(MAX_LINE_LENGTH);
  expect(line).toMatch(/^12:03:04 github:\\x1b\[2Kr4-… webhook evil"}… {2}delivered to application in 3 ms: x+…$/);
  // eslint-disable-next-line no-control-regex
  expect(line).not.toMatch(/[\u0000-\u001f]/);
  expect(shortId(undefined)).toBe("?");
  expect(shortId("r4")).toBe("r4");
});

test("a refusal that echoes what the request carried (a group ID, an Authorization header) is shown escaped, and no longer than a line", () => {
  const { events, lines } = rehearsal(SOURCES("http://127.0.0.1:1/hook"));
  events.gatewayRequest({
    method: "POST",
    path: "/webhooks/github",
    status: 400,
    detail: `Value r4\u009b2K\u202e\r for parameter MessageGroupId is invalid ${"x".repeat(400)}`,
  });
  events.gatewayRequest({
    method: "POST",
    path: "/application-hook",
    status: 403,
    detail: "IAM authorization: unknown access key AKIA\u001b]52;c;ZXZpbA==\u0007",
  });
  expect(lines[0]).toMatch(/^12:03:04 POST \/webhooks\/github -> 400 \(Value r4\\u009b2K\\u202e\\r for parameter MessageGroupId is invalid x+…$/);
  expect(lines[0]).toHaveLength(MAX_LINE_LENGTH);
  expect(lines[1]).toBe("12:03:04 POST /application-hook -> 403 (IAM authorization: unknown access key AKIA\\x1b]52;c;ZXZpbA==\\x07)");
});

test("backoffRange: between half and all of the policy's backoff for that receive, within the budget left", () => {
  expect(backoffRange(POLICY, 1, 0)).toEqual([1, 1]);
  expect(backoffRange(POLICY, 2, 0)).toEqual([1, 2]);
  expect(backoffRange(POLICY, 4, 0)).toEqual([2, 4]);
  expect(backoffRange(POLICY, 9, 0)).toEqual([2, 4]);
  expect(backoffRange(POLICY, 9, 58.5)).toEqual([2, 2]);
  expect(backoffRange({ maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 }, 3, 10)).toEqual([10, 20]);
});
