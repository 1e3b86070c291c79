/**
 * What `peek` and `redrive` refuse, end to end against moto_server: a queue and a DLQ that
 * are not a pair (swapped URLs, another queue's DLQ, two unrelated queues), and peeking a
 * main queue whose maxReceiveCount a peek would use up. A refusal exits 2 and touches
 * nothing: the queues are checked directly afterwards, receive counts included.
 */
import {
  bodiesByGroup,
  createQueuePair,
  drain,
  jsonOf,
  putMessages,
  queueCounts,
  receiveCounts,
  receivedOnce,
  runCli,
  useMotoServer,
} from "../../support/cli-harness";

jest.setTimeout(60_000);

const emulator = useMotoServer();

test("swapped --queue-url and --dlq-url: peek and redrive refuse, saying which looks like which, and touch nothing", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "swapped-webhook-queue", { redriveAllowPolicy: true });
  const inDlq = await putMessages(sqs, pair.dlqUrl, { a: 2, b: 1 }, "in-dlq");
  const inQueue = await putMessages(sqs, pair.queueUrl, { a: 1 }, "in-queue");
  const swapped = [...aws, "--queue-url", pair.dlqUrl, "--dlq-url", pair.queueUrl];

  const [peekDlq, peekQueue, redrive, dryRun] = await Promise.all([
    runCli(["peek", ...swapped]),
    runCli(["peek", ...swapped, "--from", "queue", "--force"]),
    runCli(["redrive", ...swapped, "--yes"]),
    runCli(["redrive", ...swapped, "--dry-run", "--json"]),
  ]);
  const expected =
    `webhook-queue: the queue URL and the DLQ URL look swapped: ${pair.dlqUrl} (given as the queue) looks like the dead-letter queue ` +
    `of ${pair.queueUrl} (given as the dead-letter queue), which looks like the main queue. Pass --queue-url ${pair.queueUrl} --dlq-url ${pair.dlqUrl}\n`;
  for (const run of [peekDlq, peekQueue, redrive]) expect(run).toMatchObject({ code: 2, stdout: "", stderr: expected });
  expect(dryRun.code).toBe(2);
  expect(jsonOf(dryRun)).toEqual({ error: expect.stringContaining("look swapped"), exitCode: 2 });

  expect(await queueCounts(sqs, pair.dlqUrl)).toEqual({ visible: 3, inFlight: 0 });
  expect(await queueCounts(sqs, pair.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  expect(await receiveCounts(sqs, pair.dlqUrl)).toEqual(receivedOnce(inDlq));
  expect(await receiveCounts(sqs, pair.queueUrl)).toEqual(receivedOnce(inQueue));
});

test("a DLQ that is not the queue's: refused when the queue's RedrivePolicy names another DLQ, or when neither queue names the other", async () => {
  const { sqs, aws } = emulator;
  const first = await createQueuePair(sqs, "first-webhook-queue");
  const second = await createQueuePair(sqs, "second-webhook-queue");
  const unrelated = await createQueuePair(sqs, "unrelated-webhook-queue", { maxReceiveCount: null });
  const inDlq = await putMessages(sqs, second.dlqUrl, { a: 2 }, "second-dlq");
  await putMessages(sqs, unrelated.dlqUrl, { a: 1 }, "unrelated-dlq");
  const crossed = [...aws, "--queue-url", first.queueUrl, "--dlq-url", second.dlqUrl];
  const apart = [...aws, "--queue-url", unrelated.queueUrl, "--dlq-url", unrelated.dlqUrl];

  const [redrive, peek, redriveApart, peekApart] = await Promise.all([
    runCli(["redrive", ...crossed, "--yes"]),
    runCli(["peek", ...crossed]),
    runCli(["redrive", ...apart, "--yes"]),
    runCli(["peek", ...apart, "--json"]),
  ]);
  const otherDlq =
    `webhook-queue: ${second.dlqUrl} is not the dead-letter queue of ${first.queueUrl}: the queue's RedrivePolicy sends its failed messages ` +
    `to ${first.dlqArn}. Give the matching --dlq-url, or only --queue-url (the DLQ is then read from the RedrivePolicy)\n`;
  expect(redrive).toMatchObject({ code: 2, stdout: "", stderr: otherDlq });
  expect(peek).toMatchObject({ code: 2, stdout: "", stderr: otherDlq });
  const notAPair =
    `${unrelated.queueUrl} and ${unrelated.dlqUrl} are not a queue and its dead-letter queue: the queue has no RedrivePolicy naming the DLQ, ` +
    "and the DLQ's RedriveAllowPolicy does not name the queue (it has none)";
  expect(redriveApart).toMatchObject({ code: 2, stderr: `webhook-queue: ${notAPair}\n` });
  expect(peekApart.code).toBe(2);
  expect(jsonOf(peekApart)).toEqual({ error: notAPair, exitCode: 2 });

  expect(await queueCounts(sqs, second.dlqUrl)).toEqual({ visible: 2, inFlight: 0 });
  expect(await queueCounts(sqs, first.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(await queueCounts(sqs, unrelated.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(await receiveCounts(sqs, second.dlqUrl)).toEqual(receivedOnce(inDlq));
  expect(await receiveCounts(sqs, unrelated.dlqUrl)).toEqual({ [JSON.stringify({ tag: "unrelated-dlq", groupId: "a", seq: 1 })]: 1 });
});

test("a pair named only by the DLQ's RedriveAllowPolicy (the queue has no RedrivePolicy) is accepted", async () => {
  const { sqs, aws } = emulator;
  const pair = await createQueuePair(sqs, "allow-only-webhook-queue", { maxReceiveCount: null, redriveAllowPolicy: true });
  const sent = await putMessages(sqs, pair.dlqUrl, { a: 2, b: 1 });
  const both = [...aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl];

  const peek = await runCli(["peek", ...both, "--json"]);
  expect(peek.code).toBe(0);
  expect(jsonOf(peek).count).toBe(3);
  const redrive = await runCli(["redrive", ...both, "--yes"]);
  expect(redrive.code).toBe(0);
  expect(redrive.stdout).toContain("moved 3, skipped 0, failed 0");
  expect(bodiesByGroup(await drain(sqs, pair.queueUrl))).toEqual(bodiesByGroup(sent));
});

test("peek --from queue is refused when maxReceiveCount <= 2 unless --force; with 3 it is allowed", async () => {
  const { sqs, aws } = emulator;
  const one = await createQueuePair(sqs, "receive-once-webhook-queue", { maxReceiveCount: 1 });
  const two = await createQueuePair(sqs, "receive-twice-webhook-queue", { maxReceiveCount: 2 });
  const three = await createQueuePair(sqs, "receive-thrice-webhook-queue", { maxReceiveCount: 3 });
  const sentOne = await putMessages(sqs, one.queueUrl, { a: 2, b: 1 });
  const sentTwo = await putMessages(sqs, two.queueUrl, { a: 1 });
  await putMessages(sqs, three.queueUrl, { a: 2 });

  const [refusedOne, refusedTwo, allowedThree] = await Promise.all([
    runCli(["peek", ...aws, "--queue-url", one.queueUrl, "--from", "queue"]),
    runCli(["peek", ...aws, "--queue-url", two.queueUrl, "--from", "queue", "--json"]),
    runCli(["peek", ...aws, "--queue-url", three.queueUrl, "--from", "queue", "--json"]),
  ]);
  expect(refusedOne).toMatchObject({ code: 2, stdout: "" });
  expect(refusedOne.stderr).toBe(
    `webhook-queue: refusing to peek the main queue ${one.queueUrl}: its maxReceiveCount is 1 and each peek counts as a receive, ` +
      "so a message peeked now moves to the dead-letter queue on its next receive, without the forwarder ever trying it. " +
      "Peek the DLQ instead, or pass --force to peek the queue anyway\n",
  );
  expect(refusedTwo.code).toBe(2);
  expect(jsonOf(refusedTwo)).toEqual({
    error: expect.stringMatching(/maxReceiveCount is 2 .*only 1 delivery attempt left before it moves to the dead-letter queue.*--force/),
    exitCode: 2,
  });
  expect(allowedThree.code).toBe(0);
  expect(jsonOf(allowedThree)).toMatchObject({ from: "queue", count: 2 });
  // Refused: nothing was received.
  expect(await queueCounts(sqs, one.queueUrl)).toEqual({ visible: 3, inFlight: 0 });
  expect(await receiveCounts(sqs, two.queueUrl)).toEqual(receivedOnce(sentTwo));

  const forced = await runCli(["peek", ...aws, "--queue-url", one.queueUrl, "--from", "queue", "--force", "--json"]);
  expect(forced.code).toBe(0);
  expect(forced.stderr).toContain("peeking the main queue counts toward its maxReceiveCount (1)");
  expect(jsonOf(forced)).toMatchObject({ from: "queue", count: 3, messages: [{ receiveCount: 1 }, { receiveCount: 1 }, { receiveCount: 1 }] });
  // What the refusal warns of: the next receive (the forwarder's) finds nothing, SQS moved the peeked messages to the DLQ.
  expect(await receiveCounts(sqs, one.queueUrl)).toEqual({});
  expect(bodiesByGroup(await drain(sqs, one.dlqUrl))).toEqual(bodiesByGroup(sentOne));
});
