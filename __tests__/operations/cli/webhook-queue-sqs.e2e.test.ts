/**
 * End to end against moto_server: the CLI runs as a child process (bin/webhook-queue.js)
 * on FIFO queues created with the SDK, and the queues are checked directly afterwards.
 */
import { PutMetricDataCommand, CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { EMULATOR_CREDENTIALS } from "../../../src/operations/emulator/moto-server";
import {
  REGION,
  SentMessage,
  bodiesByGroup,
  cliEnv,
  createQuarantineQueue,
  createQueuePair,
  drain,
  finished,
  jsonOf,
  putMessages,
  putQuarantined,
  queueCounts,
  receiveCounts,
  receivedOnce,
  runCli,
  runInTerminal,
  spawnCli,
  stderrMatching,
  useMotoServer,
} from "../../support/cli-harness";
import { createMappedFunction } from "../../support/moto-mappings";

jest.setTimeout(60_000);

const emulator = useMotoServer();

function idsByGroup(messages: readonly SentMessage[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const { groupId, messageId } of messages) (groups[groupId] ??= []).push(messageId);
  return groups;
}

test("peek shows every DLQ message with group, receive count and body, and leaves them there", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "peek-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { "orders-eu": 4, "orders-us": 3, billing: 2 });

  const first = await runCli(["peek", ...aws, "--dlq-url", pair.dlqUrl, "--json"]);
  expect(first.code).toBe(0);
  const peeked = jsonOf(first);
  expect(peeked.count).toBe(9);
  expect(peeked.complete).toBe(true);
  expect(bodiesByGroup(peeked.messages)).toEqual(bodiesByGroup(sent));
  expect(idsByGroup(peeked.messages)).toEqual(idsByGroup(sent));
  expect(peeked.messages[0]).toMatchObject({ receiveCount: 1, sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 9, inFlight: 0 });

  // The DLQ found from the main queue's RedrivePolicy; the text table.
  const second = await runCli(["peek", ...aws, "--queue-url", pair.queueUrl]);
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/^SOURCE\s+GROUP\s+WEBHOOK ID\s+MESSAGE ID\s+RECEIVES\s+SENT\s+QUARANTINED \/ DEAD-LETTERED\s+BODY/);
  for (const message of sent) {
    // Queued without attributes (as before sources existed): no source, no webhook ID, not quarantined.
    expect(second.stdout).toMatch(new RegExp(`-\\s+${message.groupId}\\s+-\\s+${message.messageId}\\s+2\\s+\\S+\\s+-\\s+\\{"tag"`));
  }
  expect(second.stdout).toContain("9 messages in 3 groups");

  const direct = await drain(sqs, pair.dlqUrl);
  expect(bodiesByGroup(direct)).toEqual(bodiesByGroup(sent));
});

/** Characters a terminal acts on; text output keeps only its own line breaks. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

test("peek shows a forged body's and attributes' controls escaped: no carriage return, ANSI sequence, C1 CSI or bidi override reaches the terminal", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "forged-webhook-queue");
  // What a forged webhook could carry to hide its quarantine reason: return to the line start, erase it, write another.
  const forged = "evil\r\x1b[2K\x1b[32mdelivered ok\x1b[0m \u009b2K \u202etxt.exe";
  // SQS refuses controls in a group ID (the emulator too, as patched): a group can never carry them.
  const groupId = "forged";
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pair.dlqUrl,
      MessageBody: `{"body":"${forged}"}`,
      MessageGroupId: groupId,
      MessageAttributes: {
        "webhook-source": { DataType: "String", StringValue: `github${forged}` },
        "webhook-id": { DataType: "String", StringValue: `v=${forged}` },
        "quarantine-reason": { DataType: "String", StringValue: `signature mismatch${forged}` },
      },
    }),
  );

  const text = await runCli(["peek", ...aws, "--dlq-url", pair.dlqUrl, "--full"]);
  expect(text.code).toBe(0);
  expect(text.stdout).not.toMatch(RAW_CONTROLS);
  expect(text.stderr).not.toMatch(RAW_CONTROLS);
  const escaped = "evil\\r\\x1b[2K\\x1b[32mdelivered ok\\x1b[0m \\u009b2K \\u202etxt.exe";
  expect(text.stdout).toContain(`github${escaped}  forged  ${escaped}`);
  expect(text.stdout).toContain(`signature mismatch${escaped}  {"body":"${escaped}"}`);

  const json = await runCli(["peek", ...aws, "--dlq-url", pair.dlqUrl, "--json"]);
  expect(json.code).toBe(0);
  expect(json.stdout).not.toMatch(RAW_CONTROLS);
  const [message] = jsonOf(json).messages;
  expect(message).toMatchObject({ groupId, source: `github${forged}`, webhookId: forged, quarantineReason: `signature mismatch${forged}` });
  expect(message.body).toBe(`{"body":"${forged}"}`);
  expect(message.messageAttributes["quarantine-reason"].StringValue).toBe(`signature mismatch${forged}`);
});

test("redrive moves every message back in group order, beyond one receive batch per group", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "redrive-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { "mz-dev-sqs-webhook": 12, partner: 8, billing: 5 });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pair.dlqUrl,
      MessageBody: "raw <body>\n  with spaces ",
      MessageGroupId: "billing",
      MessageAttributes: { "webhook-source": { DataType: "String", StringValue: "stripe" } },
    }),
  );

  const run = await runCli(["redrive", ...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl, "--yes", "--json"]);
  expect(run.code).toBe(0);
  const report = jsonOf(run);
  expect(report.summary).toEqual({ moved: 26, skipped: 0, failed: 0 });
  expect(run.stderr).toMatch(/moved 1\/26/);
  expect(run.stderr).toMatch(/moved 26\/26/);
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });

  const back = await drain(sqs, pair.queueUrl);
  expect(bodiesByGroup(back)).toEqual(bodiesByGroup([...sent, { groupId: "billing", body: "raw <body>\n  with spaces " }]));
  const copy = back.find((m) => m.body.startsWith("raw"));
  expect(copy?.messageAttributes).toEqual({ "webhook-source": expect.objectContaining({ DataType: "String", StringValue: "stripe" }) });
  expect(back.find((m) => m.body === sent[0].body)?.deduplicationId).toBe(`redrive-${sent[0].messageId}`);
});

test("peek names source, webhook ID and quarantine reason; redrive --source moves one source's; a legacy quarantined webhook moved with --include-quarantined and failed again during the run moves once", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "sources-webhook-queue");
  const [legacy] = await putMessages(sqs, pair.dlqUrl, { "mz-dev-sqs-webhook": 1 });
  const github = await putQuarantined(sqs, pair.dlqUrl, { source: "github", groupId: "github:r1", webhookId: "d-1" });
  const stripe = await putQuarantined(sqs, pair.dlqUrl, { source: "stripe", groupId: "stripe:cus_1", webhookId: "evt_1" });
  const common = [...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl];

  const peek = await runCli(["peek", ...common]);
  expect(peek.code).toBe(0);
  expect(peek.stdout).toMatch(new RegExp(`^github\\s+github:r1\\s+d-1\\s+${github.messageId}\\s+\\d+\\s+\\S+\\s+signature mismatch\\s+\\{`, "m"));
  expect(peek.stdout).toMatch(new RegExp(`^-\\s+mz-dev-sqs-webhook\\s+-\\s+${legacy.messageId}\\s`, "m"));

  // "default" is also the source of a message queued before sources existed.
  const byDefault = await runCli(["redrive", ...common, "--source", "default", "--yes", "--json"]);
  expect(byDefault.code).toBe(0);
  expect(jsonOf(byDefault).moved).toEqual([expect.objectContaining({ messageId: legacy.messageId })]);
  expect(jsonOf(byDefault).summary).toEqual({ moved: 1, skipped: 2, failed: 0 });

  // A forwarder whose secret is still wrong: what reaches the queue is quarantined again, as a new DLQ message.
  const stop = new AbortController();
  const requarantined: string[] = [];
  const forwarder = (async () => {
    while (!stop.signal.aborted) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: pair.queueUrl,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
      );
      for (const message of Messages) {
        if (message.MessageAttributes?.["webhook-source"]?.StringValue !== "github") continue;
        const back = await sqs.send(
          new SendMessageCommand({
            QueueUrl: pair.dlqUrl,
            MessageBody: message.Body!,
            MessageGroupId: message.Attributes!.MessageGroupId!,
            MessageDeduplicationId: `quarantine-${message.MessageId}`,
            MessageAttributes: { ...message.MessageAttributes, "quarantine-reason": { DataType: "String", StringValue: "signature mismatch" } },
          }),
        );
        requarantined.push(back.MessageId!);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: pair.queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
  })();
  try {
    // The pause after the move gives the forwarder time to send it back while the run goes on.
    const byGithub = await runCli(["redrive", ...common, "--source", "github", "--include-quarantined", "--pace-ms", "2500", "--yes", "--json"]);
    expect(byGithub.code).toBe(0);
    const report = jsonOf(byGithub);
    expect(report.moved).toEqual([expect.objectContaining({ messageId: github.messageId, groupId: "github:r1" })]);
    expect(requarantined).toHaveLength(1);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { messageId: stripe.messageId, groupId: "stripe:cus_1", reason: "filtered out" },
        {
          messageId: requarantined[0],
          groupId: "github:r1",
          reason: "moved earlier in this run and back in the DLQ (quarantined again: signature mismatch)",
        },
      ]),
    );
  } finally {
    stop.abort();
    await forwarder;
  }
  // Both quarantined webhooks are still there, released: nothing lost, nothing going round.
  expect(bodiesByGroup(await drain(sqs, pair.dlqUrl))).toEqual(bodiesByGroup([github, stripe]));
});

test("--dry-run moves nothing; --group and --message-id move only what they name, in order", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "filter-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { a: 3, b: 3, c: 2 });
  const common = [...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl];

  const dryRun = await runCli(["redrive", ...common, "--dry-run", "--json"]);
  expect(dryRun.code).toBe(0);
  const wouldMove = jsonOf(dryRun).wouldMove;
  expect(bodiesByGroup(wouldMove)).toEqual(bodiesByGroup(sent));
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 8, inFlight: 0 });
  expect(await queueCounts(sqs, pair.queueUrl)).toEqual({ visible: 0, inFlight: 0 });

  const byGroup = await runCli(["redrive", ...common, "--group", "b", "--yes"]);
  expect(byGroup.code).toBe(0);
  expect(byGroup.stdout).toContain("moved 3, skipped 5, failed 0");

  const target = sent.find((m) => m.groupId === "c")!;
  const byId = await runCli(["redrive", ...common, "--message-id", target.messageId, "--yes", "--json"]);
  expect(byId.code).toBe(0);
  expect(jsonOf(byId).moved).toEqual([expect.objectContaining({ messageId: target.messageId, groupId: "c" })]);

  const missing = await runCli(["redrive", ...common, "--message-id", "00000000-0000-0000-0000-000000000000", "--yes"]);
  expect(missing.code).toBe(1);
  expect(missing.stdout).toMatch(/00000000-0000-0000-0000-000000000000.*not found/);

  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 4, inFlight: 0 });
  const back = await drain(sqs, pair.queueUrl);
  expect(bodiesByGroup(back)).toEqual({ b: bodiesByGroup(sent).b, c: [target.body] });
});

test("a redrive killed midway (SIGKILL), run again, leaves every message in the queue exactly once and the DLQ empty", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "killed-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { g1: 6, g2: 5, g3: 5, g4: 4 });
  // What a run killed between SendMessage and DeleteMessage leaves behind: a copy in the
  // queue while the original is still in the DLQ.
  const head = sent[0];
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pair.queueUrl,
      MessageBody: head.body,
      MessageGroupId: head.groupId,
      MessageDeduplicationId: `redrive-${head.messageId}`,
    }),
  );
  const common = [...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl, "--yes"];

  const child = spawnCli(["redrive", ...common, "--pace-ms", "150", "--visibility-timeout", "8"]);
  const killed = finished(child);
  await stderrMatching(child, /moved 5\/20/);
  child.kill("SIGKILL");
  expect((await killed).signal).toBe("SIGKILL");
  const left = await queueCounts(sqs, pair.dlqUrl);
  expect(left.inFlight).toBeGreaterThan(0); // still hidden by the killed run
  expect(left.visible + left.inFlight).toBeLessThan(20);

  // The re-run waits for the killed run's messages to come back, then moves them.
  const rerun = await runCli(["redrive", ...common, "--json", "--wait-in-flight", "15"]);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toContain("waiting for");
  expect(jsonOf(rerun).summary.failed).toBe(0);
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });

  const back = await drain(sqs, pair.queueUrl);
  expect(back).toHaveLength(sent.length);
  // Each group in sent order, although the re-run got the killed run's messages back by
  // their visibility timeout (moto as released reorders those; the project's moto patch
  // keeps SQS FIFO's order: docs/terraform.md, "Emulator quirks").
  expect(bodiesByGroup(back)).toEqual(bodiesByGroup(sent));
});

test("a redrive stopped with Ctrl-C releases what it holds; the re-run finishes in group order", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "stopped-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { g1: 7, g2: 6, g3: 5 });
  const common = [...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl, "--yes"];

  const child = spawnCli(["redrive", ...common, "--pace-ms", "100"]);
  const stopped = finished(child);
  await stderrMatching(child, /moved 4\/18/);
  child.kill("SIGINT");
  const first = await stopped;
  expect(first.code).toBe(130);
  expect(first.stdout).toMatch(/moved \d+, skipped 0, failed 0 .*stopped early: run again to finish/);
  const left = await queueCounts(sqs, pair.dlqUrl);
  expect(left.inFlight).toBe(0);
  expect(left.visible).toBeGreaterThan(0);

  const rerun = await runCli(["redrive", ...common]);
  expect(rerun.code).toBe(0);
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(bodiesByGroup(await drain(sqs, pair.queueUrl))).toEqual(bodiesByGroup(sent));
});

test("on a terminal, redrive asks first and moves nothing unless the answer is yes", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "prompt-webhook-queue");
  const sent = await putMessages(sqs, pair.dlqUrl, { a: 2 });
  const args = ["redrive", ...aws, "--queue-url", pair.queueUrl];

  const declined = await runInTerminal(args, "n");
  expect(declined.code).toBe(1);
  expect(declined.stdout).toContain(`Move the DLQ's messages (about 2 now) from ${pair.dlqUrl} to ${pair.queueUrl}? [y/N]`);
  expect(declined.stdout).toContain("not confirmed: nothing moved");
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });

  const accepted = await runInTerminal(args, "y");
  expect(accepted.code).toBe(0);
  expect(accepted.stdout).toContain("moved 2, skipped 0, failed 0");
  expect(bodiesByGroup(await drain(sqs, pair.queueUrl))).toEqual(bodiesByGroup(sent));
});

/** What SQS publishes to CloudWatch once a minute (moto publishes nothing): the queue's oldest age at each time. */
async function publishOldestAge(endpoint: string, queueName: string, points: readonly { secondsAgo: number; value: number }[]): Promise<void> {
  const cloudwatch = new CloudWatchClient({ region: REGION, endpoint, credentials: EMULATOR_CREDENTIALS });
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: "AWS/SQS",
      MetricData: points.map(({ secondsAgo, value }) => ({
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: queueName }],
        Timestamp: new Date(Date.now() - secondsAgo * 1000),
        Value: value,
        Unit: "Seconds",
      })),
    }),
  );
  cloudwatch.destroy();
}

test("status shows depth, in-flight and CloudWatch's oldest age of the three queues and the event source mapping, receiving nothing", async () => {
  const { sqs, aws, moto } = emulator;
  const pair = await createQueuePair(sqs, "status-webhook-queue");
  const quarantine = await createQuarantineQueue(sqs, "status-webhook-queue");
  const inDlq = await putMessages(sqs, pair.dlqUrl, { a: 2, b: 1 });
  const inQueue = await putMessages(sqs, pair.queueUrl, { a: 1 });
  const inQuarantine = [await putQuarantined(sqs, quarantine.url, { source: "github", groupId: "github:r1", webhookId: "d-1" })];
  await publishOldestAge(moto.endpoint, "status-webhook-queue-dlq.fifo", [
    { secondsAgo: 180, value: 4000 },
    { secondsAgo: 60, value: 4321 },
  ]);
  // Older than 15 minutes: not the main queue's oldest age any more.
  await publishOldestAge(moto.endpoint, "status-webhook-queue.fifo", [{ secondsAgo: 20 * 60, value: 999 }]);
  // Disabled: paused, as `webhook-queue pause` leaves it.
  const fn = await createMappedFunction({ endpoint: moto.endpoint, region: REGION }, pair.queueArn, "mz-dev-webhook-event-producer", {
    enabled: false,
  });
  const queues = [...aws, "--queue-url", pair.queueUrl, "--quarantine-url", quarantine.url];

  const run = await runCli(["status", ...queues, "--json"]);
  expect(run.code).toBe(0);
  const status = jsonOf(run);
  expect(status.queue).toEqual({
    url: pair.queueUrl,
    arn: pair.queueArn,
    visible: 1,
    inFlight: 0,
    delayed: 0,
    oldestAgeSeconds: null,
    oldestAgeAt: null,
    oldestAgeFrom: "cloudwatch",
  });
  expect(status.dlq).toMatchObject({ url: pair.dlqUrl, visible: 3, inFlight: 0, oldestAgeSeconds: 4321, oldestAgeFrom: "cloudwatch" });
  expect(Date.now() - Date.parse(status.dlq.oldestAgeAt)).toBeLessThan(120_000);
  expect(status.quarantine).toMatchObject({ url: quarantine.url, visible: 1, oldestAgeSeconds: null, oldestAgeFrom: "cloudwatch" });
  expect(status.eventSourceMappings).toEqual([expect.objectContaining({ state: "Disabled", functionArn: fn.functionArn, batchSize: 10 })]);

  const text = await runCli(["status", ...queues]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^queue\s+1\s+0\s+0\s+n\/a \(no CloudWatch datapoint in 15 min\)\s+http/m);
  expect(text.stdout).toMatch(/^dlq\s+3\s+0\s+0\s+1h 12m\s+http/m);
  expect(text.stdout).toMatch(/^quarantine\s+1\s+0\s+0\s+n\/a \(no CloudWatch datapoint in 15 min\)\s+http/m);
  expect(text.stdout).toMatch(
    /event source mapping \S+: Disabled \(paused: webhook-queue resume to deliver\), function .*mz-dev-webhook-event-producer/,
  );
  expect((await runCli(["status", ...aws, "--queue-url", pair.queueUrl, "--sample-main"])).code).toBe(2);

  // Nothing was received: every message's first receive is this one.
  expect(await receiveCounts(sqs, pair.dlqUrl)).toEqual(receivedOnce(inDlq));
  expect(await receiveCounts(sqs, pair.queueUrl)).toEqual(receivedOnce(inQueue));
  expect(await receiveCounts(sqs, quarantine.url)).toEqual(receivedOnce(inQuarantine));
});

test("clear errors: unknown queue, non-FIFO queue, missing credentials, no confirmation, bad options", async () => {
  const { sqs, aws, moto } = emulator;
  const pair = await createQueuePair(sqs, "errors-webhook-queue");
  await putMessages(sqs, pair.dlqUrl, { a: 1 });
  const standard = await sqs.send(new CreateQueueCommand({ QueueName: "errors-standard-queue" }));
  const unknownUrl = `${moto.endpoint}/123456789012/no-such-queue.fifo`;
  const noCredentials = cliEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
  delete noCredentials.AWS_ACCESS_KEY_ID;
  delete noCredentials.AWS_SECRET_ACCESS_KEY;

  const [unknown, notFifo, credentials, unconfirmed, badOption, badNumber, jsonError] = await Promise.all([
    runCli(["peek", ...aws, "--dlq-url", unknownUrl]),
    runCli(["status", ...aws, "--queue-url", standard.QueueUrl!]),
    runCli(["status", ...aws, "--dlq-url", pair.dlqUrl], { env: noCredentials }),
    runCli(["redrive", ...aws, "--queue-url", pair.queueUrl]),
    runCli(["peek", ...aws, "--dlq-url", pair.dlqUrl, "--consume"]),
    runCli(["peek", ...aws, "--dlq-url", pair.dlqUrl, "--max", "zero"]),
    runCli(["redrive", ...aws, "--dlq-url", unknownUrl, "--queue-url", pair.queueUrl, "--yes", "--json"]),
  ]);
  expect(unknown).toMatchObject({ code: 1, stdout: "" });
  expect(unknown.stderr).toBe(`webhook-queue: dead-letter queue ${unknownUrl} does not exist (region ${REGION}, endpoint ${moto.endpoint})\n`);
  expect(notFifo.code).toBe(1);
  expect(notFifo.stderr).toContain(`queue ${standard.QueueUrl} is not a FIFO queue`);
  expect(credentials.code).toBe(1);
  expect(credentials.stderr).toMatch(/^webhook-queue: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*\n$/);
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toContain("pass --yes");
  expect(badOption.code).toBe(2);
  expect(badOption.stderr).toContain("--consume");
  expect(badNumber.code).toBe(2);
  expect(badNumber.stderr).toContain("--max zero is not allowed: give a whole number from 1 to 10000");
  expect(jsonError.code).toBe(1);
  expect(jsonOf(jsonError)).toEqual({ error: expect.stringContaining(`${unknownUrl} does not exist`), exitCode: 1 });
  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });
});
