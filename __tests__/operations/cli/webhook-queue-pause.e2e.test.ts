/**
 * `pause` and `resume` end to end against moto_server: the CLI as a child process switches the
 * event source mapping that reads a queue, found from the queue's ARN; the mapping's state is
 * read back from moto, and the queue is checked to hold its webhooks untouched.
 */
import {
  REGION,
  createQueuePair,
  jsonOf,
  putMessages,
  queueCounts,
  receiveCounts,
  receivedOnce,
  runCli,
  runInTerminal,
  useMotoServer,
} from "../../support/cli-harness";
import { createMappedFunction, mappingState } from "../../support/moto-mappings";

jest.setTimeout(60_000);

const emulator = useMotoServer();

/** A queue pair with `count` webhooks queued, and a forwarder reading the queue through an enabled mapping. */
async function queueWithForwarder(name: string, count = 3) {
  const { sqs, moto } = emulator;
  const pair = await createQueuePair(sqs, name);
  const sent = await putMessages(sqs, pair.queueUrl, { "entity-a": count - 1, "entity-b": 1 });
  const forwarder = await createMappedFunction({ endpoint: moto.endpoint, region: REGION }, pair.queueArn, `${name}-producer`);
  const state = () => mappingState({ endpoint: moto.endpoint, region: REGION }, forwarder.uuid);
  return { pair, sent, forwarder, state, queue: [...emulator.aws, "--queue-url", pair.queueUrl] };
}

test("pause disables the mapping and waits for it; again, it says so and changes nothing; resume enables it and says how many wait", async () => {
  const { sqs } = emulator;
  const { pair, sent, forwarder, state, queue } = await queueWithForwarder("pause-webhook-queue");

  const paused = await runCli(["pause", ...queue, "--yes"]);
  expect(paused.code).toBe(0);
  expect(paused.stdout).toContain(`paused: event source mapping ${forwarder.uuid} (pause-webhook-queue-producer) is Disabled`);
  expect(paused.stdout).toContain(
    `(pause-webhook-queue-producer) is Disabled\n3 webhooks waiting in the queue; new ones keep queueing, and nothing is delivered until \`webhook-queue resume\``,
  );
  expect(paused.stderr).toContain(`event source mapping ${forwarder.uuid}: Disabled (0 s)`);
  expect(await state()).toBe("Disabled");

  const status = await runCli(["status", ...queue]);
  expect(status.stdout).toMatch(
    new RegExp(
      `event source mapping ${forwarder.uuid}: Disabled \\(paused: webhook-queue resume to deliver\\), function \\S+pause-webhook-queue-producer`,
    ),
  );

  // Idempotent: no question (no terminal, no --yes), exit 0.
  const again = await runCli(["pause", ...queue]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(
    `already paused: event source mapping ${forwarder.uuid} (pause-webhook-queue-producer) is Disabled; nothing changed`,
  );
  expect(await state()).toBe("Disabled");

  const resumed = await runCli(["resume", ...queue, "--yes", "--json"]);
  expect(resumed.code).toBe(0);
  expect(jsonOf(resumed)).toEqual({
    action: "resume",
    queue: pair.queueUrl,
    queueArn: pair.queueArn,
    waiting: 3,
    changed: true,
    eventSourceMappings: [
      { uuid: forwarder.uuid, functionArn: forwarder.functionArn, before: "Disabled", after: "Enabled", changed: true, waitedSeconds: 0 },
    ],
  });
  expect(await state()).toBe("Enabled");
  const text = await runCli(["resume", ...queue]);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(
    `already delivering: event source mapping ${forwarder.uuid} (pause-webhook-queue-producer) is Enabled; nothing changed`,
  );
  expect(text.stdout).toContain("3 webhooks waiting in the queue are delivered now, in each group's order");
  expect((await runCli(["status", ...queue])).stdout).toMatch(new RegExp(`event source mapping ${forwarder.uuid}: Enabled, function`));

  // Nothing received a webhook: each one's first receive is this one.
  expect(await queueCounts(sqs, pair.queueUrl)).toEqual({ visible: 3, inFlight: 0 });
  expect(await receiveCounts(sqs, pair.queueUrl)).toEqual(receivedOnce(sent));
});

test("without a terminal and without --yes, pause and resume refuse (exit 2) and change nothing; --json says so", async () => {
  const { state, queue } = await queueWithForwarder("refuse-pause-webhook-queue");

  const refused = await runCli(["pause", ...queue]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("refusing to pause deliveries without confirmation: there is no terminal to ask on; pass --yes");
  expect(await state()).toBe("Enabled");

  const json = await runCli(["pause", ...queue, "--json"]);
  expect(json.code).toBe(2);
  expect(jsonOf(json)).toEqual({ error: expect.stringContaining("refusing to pause deliveries"), exitCode: 2 });

  expect((await runCli(["pause", ...queue, "--yes", "--json"])).code).toBe(0);
  const resume = await runCli(["resume", ...queue]);
  expect(resume.code).toBe(2);
  expect(resume.stderr).toContain("refusing to resume deliveries without confirmation");
  expect(await state()).toBe("Disabled");
});

test("on a terminal pause asks first: n changes nothing (exit 1), y pauses", async () => {
  const { state, queue } = await queueWithForwarder("ask-pause-webhook-queue");
  const question =
    "Pause deliveries from ask-pause-webhook-queue.fifo to ask-pause-webhook-queue-producer? " +
    "Webhooks keep queueing; nothing is delivered until `webhook-queue resume`. [y/N]";

  const declined = await runInTerminal(["pause", ...queue], "n");
  expect(declined.code).toBe(1);
  expect(declined.stdout).toContain(question);
  expect(declined.stdout).toContain("not confirmed: nothing paused");
  expect(await state()).toBe("Enabled");

  const accepted = await runInTerminal(["pause", ...queue], "y");
  expect(accepted.code).toBe(0);
  expect(accepted.stdout).toContain("paused: event source mapping");
  expect(await state()).toBe("Disabled");

  const resumed = await runInTerminal(["resume", ...queue], "y");
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toContain(
    "Resume deliveries from ask-pause-webhook-queue.fifo to ask-pause-webhook-queue-producer? 3 webhooks waiting are delivered from now on. [y/N]",
  );
  expect(await state()).toBe("Enabled");
});

test("a queue no mapping reads: pause fails (exit 1) and names the queue", async () => {
  const pair = await createQueuePair(emulator.sqs, "unmapped-webhook-queue");
  const run = await runCli(["pause", ...emulator.aws, "--queue-url", pair.queueUrl, "--yes"]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`no event source mapping reads ${pair.queueArn}`);
});
