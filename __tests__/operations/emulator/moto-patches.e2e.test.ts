/**
 * The moto patch for FIFO order (src/operations/emulator/moto-patches/sitecustomize.py):
 * the same receive scripts against a moto_server with the patches and one without. The
 * patched server must behave as SQS FIFO does (a group's messages in sent order, the
 * earliest first again after a visibility timeout); the unpatched one is asserted to
 * reorder, which proves these tests would fail without the patch.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { createMappedFunction, mappingState } from "../../support/moto-mappings";

jest.setTimeout(60_000);

const REGION = "us-east-1";
const VISIBILITY_SECONDS = 1;
/** Long enough for moto (millisecond clock, `now > visible_at`) to see the timeout run out. */
const EXPIRY_WAIT_MS = VISIBILITY_SECONDS * 1000 + 600;

let patched: { moto: MotoServer; sqs: SQSClient };
let unpatched: { moto: MotoServer; sqs: SQSClient };

async function emulator(patches: boolean): Promise<{ moto: MotoServer; sqs: SQSClient }> {
  const moto = await startMotoServer({ patches });
  return { moto, sqs: new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS }) };
}

beforeAll(async () => {
  [patched, unpatched] = await Promise.all([emulator(true), emulator(false)]);
});

afterAll(async () => {
  for (const server of [patched, unpatched]) {
    server?.sqs.destroy();
    await server?.moto.stop();
  }
});

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** A FIFO queue holding m1..m<count> in one message group, sent in that order. */
async function groupOfMessages(sqs: SQSClient, name: string, count: number): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", VisibilityTimeout: String(VISIBILITY_SECONDS) },
    }),
  );
  for (let seq = 1; seq <= count; seq++) {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${seq}`, MessageGroupId: "webhooks" }));
  }
  return QueueUrl!;
}

/** One ReceiveMessage; the messages stay in flight for VISIBILITY_SECONDS. */
async function receive(sqs: SQSClient, queueUrl: string, max: number, waitSeconds = 0): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, VisibilityTimeout: VISIBILITY_SECONDS, WaitTimeSeconds: waitSeconds }),
  );
  return Messages;
}

const bodies = (messages: readonly Message[]) => messages.map((message) => message.Body);

/** m1..m5 all received and held; their visibility runs out twice; what each receive returns. */
async function allHeldThenExpire(sqs: SQSClient, name: string): Promise<(string | undefined)[][]> {
  const queueUrl = await groupOfMessages(sqs, name, 5);
  const seen = [bodies(await receive(sqs, queueUrl, 10))];
  seen.push(bodies(await receive(sqs, queueUrl, 10))); // all in flight: nothing
  for (let round = 0; round < 2; round++) {
    await sleep(EXPIRY_WAIT_MS);
    seen.push(bodies(await receive(sqs, queueUrl, 10)));
  }
  return seen;
}

/**
 * MaxNumberOfMessages=1 three times: m1 (deleted), m2 (held), then nothing while m2 is in
 * flight. m2 expires: a batch receive; that batch expires: another.
 */
async function oneAtATimeThenExpire(sqs: SQSClient, name: string): Promise<(string | undefined)[][]> {
  const queueUrl = await groupOfMessages(sqs, name, 5);
  const first = await receive(sqs, queueUrl, 1);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first[0]?.ReceiptHandle }));
  const seen = [bodies(first), bodies(await receive(sqs, queueUrl, 1)), bodies(await receive(sqs, queueUrl, 1))];
  for (let round = 0; round < 2; round++) {
    await sleep(EXPIRY_WAIT_MS);
    seen.push(bodies(await receive(sqs, queueUrl, 10)));
  }
  return seen;
}

/** m1..m3 all held; a 1-second long poll starts half-way through their visibility timeout. */
async function longPollAcrossTimeout(sqs: SQSClient, name: string): Promise<(string | undefined)[]> {
  const queueUrl = await groupOfMessages(sqs, name, 3);
  await receive(sqs, queueUrl, 10);
  await sleep((VISIBILITY_SECONDS * 1000) / 2);
  return bodies(await receive(sqs, queueUrl, 10, 1));
}

/**
 * m1 held; a 5-second long poll starts; 300 ms later m1 is deleted. Milliseconds from the
 * delete until the poll returns, and what it returned.
 */
async function longPollAcrossDelete(sqs: SQSClient, name: string): Promise<{ afterDeleteMs: number; bodies: (string | undefined)[] }> {
  const queueUrl = await groupOfMessages(sqs, name, 2);
  const [first] = await receive(sqs, queueUrl, 1);
  let deletedAt = 0;
  const poll = receive(sqs, queueUrl, 10, 5).then((messages) => ({ afterDeleteMs: performance.now() - deletedAt, bodies: bodies(messages) }));
  await sleep(300);
  deletedAt = performance.now();
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.ReceiptHandle }));
  return poll;
}

/**
 * Five long polls (one message each) wait side by side, as Lambda's pollers do; then m1 and
 * m2 of one group arrive. What the polls returned, together.
 */
async function concurrentLongPolls(sqs: SQSClient, name: string): Promise<(string | undefined)[]> {
  const queueUrl = await groupOfMessages(sqs, name, 0);
  // Held longer than the polls last, so that a message is not handed out again after its timeout.
  const polls = Array.from({ length: 5 }, () =>
    sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 30, WaitTimeSeconds: 2 }))
      .then(({ Messages = [] }) => Messages),
  );
  await sleep(300);
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: ["m1", "m2"].map((body) => ({ Id: body, MessageBody: body, MessageGroupId: "webhooks" })),
    }),
  );
  return bodies((await Promise.all(polls)).flat()).sort();
}

/** a1 b1 a2 b2 a3 b3 sent in that order; one receive of `max` messages. */
async function interleavedGroups(sqs: SQSClient, name: string, max: number): Promise<(string | undefined)[]> {
  const queueUrl = await groupOfMessages(sqs, name, 0);
  for (const seq of [1, 2, 3]) {
    for (const group of ["a", "b"])
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `${group}${seq}`, MessageGroupId: group }));
  }
  return bodies(await receive(sqs, queueUrl, max));
}

const ALL = ["m1", "m2", "m3", "m4", "m5"];

test("patched: a FIFO group whose held messages time out comes back in sent order, the earliest first, every time", async () => {
  expect(await allHeldThenExpire(patched.sqs, "all-held")).toEqual([ALL, [], ALL, ALL]);
});

test("patched: received one at a time, the first deleted, the rest expire: m2 comes back first, then m2.. again", async () => {
  const rest = ["m2", "m3", "m4", "m5"];
  expect(await oneAtATimeThenExpire(patched.sqs, "one-at-a-time")).toEqual([["m1"], ["m2"], [], rest, rest]);
});

test("patched: a long poll returns the group, in order, as soon as its messages in flight time out", async () => {
  expect(await longPollAcrossTimeout(patched.sqs, "long-poll")).toEqual(["m1", "m2", "m3"]);
});

test("patched: a long poll returns the group's next message as soon as the held one is deleted", async () => {
  const { afterDeleteMs, bodies: returned } = await longPollAcrossDelete(patched.sqs, "delete-wake");
  expect(returned).toEqual(["m2"]);
  // Unpatched, the poll sleeps out the rest of its 1-second wait: about 700 ms after the delete.
  expect(afterDeleteMs).toBeLessThan(350);
});

test("patched: long polls side by side hand out one group's messages to one of them at a time", async () => {
  expect(await concurrentLongPolls(patched.sqs, "side-by-side")).toEqual(["m1"]);
});

test("patched: a batch receive returns as many messages of one group as it can, then the next group's", async () => {
  expect(await interleavedGroups(patched.sqs, "batch-3", 3)).toEqual(["a1", "a2", "a3"]);
  expect(await interleavedGroups(patched.sqs, "batch-10", 10)).toEqual(["a1", "a2", "a3", "b1", "b2", "b3"]);
});

test("unpatched moto 5.2.1 reorders (the group's last held message comes back alone, first) and misses timeouts in a long poll", async () => {
  expect(await allHeldThenExpire(unpatched.sqs, "all-held")).toEqual([ALL, [], ["m5"], ["m5"]]);
  // One message in flight expires correctly; a whole batch in flight does not.
  expect(await oneAtATimeThenExpire(unpatched.sqs, "one-at-a-time")).toEqual([["m1"], ["m2"], [], ["m2", "m3", "m4", "m5"], ["m5"]]);
  // ...and its long poll wakes for new messages only, else once a second: a 1-second poll misses them.
  expect(await longPollAcrossTimeout(unpatched.sqs, "long-poll")).toEqual([]);
  // ...nor when a held message is deleted.
  const { afterDeleteMs } = await longPollAcrossDelete(unpatched.sqs, "delete-wake");
  expect(afterDeleteMs).toBeGreaterThan(500);
  // ...and concurrent long polls each take from the group: m1 and m2 in flight at once.
  expect(await concurrentLongPolls(unpatched.sqs, "side-by-side")).toEqual(["m1", "m2"]);
  // ...and a batch takes the queue's order across groups.
  expect(await interleavedGroups(unpatched.sqs, "batch-3", 3)).toEqual(["a1", "b1", "a2"]);
});

/** Sends to a FIFO queue whose maximum size is 1024 bytes: a 1000-byte body, then the same with 50 bytes of attributes. */
async function sizesAccepted(sqs: SQSClient, name: string): Promise<[boolean, boolean, boolean]> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", MaximumMessageSize: "1024" },
    }),
  );
  const send = (body: string, attributes = {}) =>
    sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: "g", MessageAttributes: attributes })).then(
      () => true,
      (error: Error) => (/Message must be shorter than 1024 bytes/.test(error.message) ? false : Promise.reject(error)),
    );
  const attributes = { "webhook-source": { DataType: "String", StringValue: "x".repeat(30) } };
  // 1000 bytes in 500 characters: SQS counts bytes.
  return [await send("a".repeat(1000)), await send("b".repeat(1000), attributes), await send("é".repeat(520))];
}

test("patched: a message counts its attributes and its bytes against the maximum size, as SQS counts; unpatched, the body's characters only", async () => {
  expect(await sizesAccepted(patched.sqs, "sizes")).toEqual([true, false, false]);
  expect(await sizesAccepted(unpatched.sqs, "sizes")).toEqual([true, true, true]);
});

/** What one SendMessage to a FIFO queue does with a group and a deduplication ID: accepted, or SQS's refusal. */
async function idsAccepted(sqs: SQSClient, name: string): Promise<string[]> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: "true" } }));
  const send = (MessageGroupId: string, MessageDeduplicationId: string) =>
    sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "{}", MessageGroupId, MessageDeduplicationId })).then(
      () => "accepted",
      (error: Error) => `${error.name}: ${error.message}`,
    );
  return [
    await send(`github:${"9".repeat(121)}`, "d1"), // 128 characters
    await send(`github:${"9".repeat(122)}`, "d2"),
    await send("github:acme/café", "d3"),
    await send("github:acme/my repo", "d4"),
    await send("github:42", `github:${"f".repeat(122)}`),
  ];
}

test("patched: a MessageGroupId or MessageDeduplicationId over 128 characters or outside ASCII punctuation is refused as SQS refuses it; unpatched, accepted", async () => {
  const refused = (parameter: string, value: string) =>
    `InvalidParameterValue: Value ${value} for parameter ${parameter} is invalid. Reason: ${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`;
  expect(await idsAccepted(patched.sqs, "ids")).toEqual([
    "accepted",
    refused("MessageGroupId", `github:${"9".repeat(122)}`),
    refused("MessageGroupId", "github:acme/café"),
    refused("MessageGroupId", "github:acme/my repo"),
    refused("MessageDeduplicationId", `github:${"f".repeat(122)}`),
  ]);
  expect(await idsAccepted(unpatched.sqs, "ids")).toEqual(Array(5).fill("accepted"));
});

/**
 * A provider's retry after the first delivery was received and deleted: `first` sent, received
 * and deleted; `retry` sent with the same deduplication ID (explicit, or content-based with the
 * same body). What each send answered, and what the queue then holds.
 */
async function retryAfterDelete(sqs: SQSClient, name: string, contentBased = false) {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: "true", ContentBasedDeduplication: String(contentBased) } }),
  );
  const send = (body: string) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageGroupId: "github:42",
        MessageDeduplicationId: contentBased ? undefined : "github:delivery-1",
      }),
    );
  const first = await send(contentBased ? "same" : "first");
  const sentAt = Date.now();
  const [delivered] = await receive(sqs, QueueUrl!, 10);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: delivered.ReceiptHandle }));
  const retry = await send(contentBased ? "same" : "retry");
  const queued = async () => bodies(await receive(sqs, QueueUrl!, 10));
  return { first, retry, queuedAfterRetry: await queued(), sentAt, send, queued };
}

test("patched: a deduplication ID sent again after its message was received and deleted is accepted, not queued, and answered with the first MessageId (SQS's 5 minutes)", async () => {
  const explicit = await retryAfterDelete(patched.sqs, "retry-after-delete");
  expect(explicit.first.SequenceNumber).toEqual(expect.any(String));
  expect(explicit.retry).toMatchObject({ MessageId: explicit.first.MessageId, SequenceNumber: explicit.first.SequenceNumber });
  expect(explicit.queuedAfterRetry).toEqual([]);
  const contentBased = await retryAfterDelete(patched.sqs, "retry-after-delete-content", true);
  expect(contentBased.retry.MessageId).toBe(contentBased.first.MessageId);
  expect(contentBased.queuedAfterRetry).toEqual([]);
});

test("unpatched moto 5.2.1 forgets a deduplication ID once its message is deleted: the retry is queued again under a new MessageId", async () => {
  const explicit = await retryAfterDelete(unpatched.sqs, "retry-after-delete");
  expect(explicit.retry.MessageId).not.toBe(explicit.first.MessageId);
  expect(explicit.queuedAfterRetry).toEqual(["retry"]);
  expect((await retryAfterDelete(unpatched.sqs, "retry-after-delete-content", true)).queuedAfterRetry).toEqual(["same"]);
});

describe("a shortened deduplication window (WEBHOOK_QUEUE_MOTO_DEDUPLICATION_SECONDS)", () => {
  const WINDOW_SECONDS = 2;
  let shortWindow: { moto: MotoServer; sqs: SQSClient };

  beforeAll(async () => {
    process.env.WEBHOOK_QUEUE_MOTO_DEDUPLICATION_SECONDS = String(WINDOW_SECONDS);
    try {
      shortWindow = await emulator(true);
    } finally {
      delete process.env.WEBHOOK_QUEUE_MOTO_DEDUPLICATION_SECONDS;
    }
  });

  afterAll(async () => {
    shortWindow?.sqs.destroy();
    await shortWindow?.moto.stop();
  });

  test("patched: the same deduplication ID is dropped within the window and queued again, under a new MessageId, once it has passed", async () => {
    const { first, queuedAfterRetry, sentAt, send, queued } = await retryAfterDelete(shortWindow.sqs, "window");
    expect(queuedAfterRetry).toEqual([]);
    await sleep(sentAt + WINDOW_SECONDS * 1000 + 300 - Date.now());
    const afterWindow = await send("after the window");
    expect(afterWindow.MessageId).not.toBe(first.MessageId);
    expect(await queued()).toEqual(["after the window"]);
  });
});

/**
 * A webhook sent to a FIFO queue an enabled event source mapping reads, nothing else receiving:
 * the mapping's state afterwards, and the webhook's receive count at the first receive here.
 */
async function sendToMappedQueue(server: { moto: MotoServer; sqs: SQSClient }, name: string) {
  const { QueueUrl } = await server.sqs.send(
    new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }),
  );
  const queueArn = `arn:aws:sqs:${REGION}:123456789012:${name}.fifo`;
  const moto = { endpoint: server.moto.endpoint, region: REGION };
  const { uuid } = await createMappedFunction(moto, queueArn, `${name}-producer`);
  await server.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "webhook", MessageGroupId: "github:42" }));
  const { Messages = [] } = await server.sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"], VisibilityTimeout: VISIBILITY_SECONDS }),
  );
  return { state: await mappingState(moto, uuid), receiveCounts: Messages.map((message) => Number(message.Attributes?.ApproximateReceiveCount)) };
}

test("patched: a SendMessage to a queue an enabled mapping reads invokes nothing: the mapping stays Enabled, the webhook unreceived; unpatched, moto receives it to invoke the function", async () => {
  expect(await sendToMappedQueue(patched, "mapped")).toEqual({ state: "Enabled", receiveCounts: [1] });
  // moto received it on the send, failed to invoke (no Docker) and made it visible again: one receive spent.
  expect(await sendToMappedQueue(unpatched, "mapped")).toEqual({ state: "Enabled", receiveCounts: [2] });
});

/** p50 and p99 of 1..100 ms put as raw values, and their Sum, through GetMetricData. */
async function percentiles(endpoint: string): Promise<Record<string, number[] | string>> {
  const cloudwatch = new CloudWatchClient({ region: REGION, endpoint, credentials: EMULATOR_CREDENTIALS });
  const dimensions = [{ Name: "source", Value: "github" }];
  const now = new Date();
  try {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: "WebhookQueue",
        MetricData: [
          {
            MetricName: "DeliveryLatency",
            Dimensions: dimensions,
            Unit: "Milliseconds",
            Values: Array.from({ length: 100 }, (_, i) => i + 1),
            Timestamp: now,
          },
        ],
      }),
    );
    const query = (id: string, Stat: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: "WebhookQueue", MetricName: "DeliveryLatency", Dimensions: dimensions }, Period: 3600, Stat },
    });
    const answer = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: new Date(now.getTime() + 60_000),
        MetricDataQueries: [query("p50", "p50"), query("p99", "p99"), query("sum", "Sum")],
      }),
    );
    return Object.fromEntries((answer.MetricDataResults ?? []).map((result) => [result.Id!, result.Values ?? []]));
  } catch (error) {
    return { error: `${(error as Error).name}` };
  } finally {
    cloudwatch.destroy();
  }
}

test("patched: GetMetricData answers percentiles (p50, p99) of raw values, as CloudWatch does; unpatched, moto cannot", async () => {
  expect(await percentiles(patched.moto.endpoint)).toEqual({ p50: [50], p99: [99], sum: [5050] });
  expect(await percentiles(unpatched.moto.endpoint)).not.toEqual({ p50: [50], p99: [99], sum: [5050] });
});
