/**
 * `quarantine list|discard|release`, and redrive's handling of webhooks an older forwarder quarantined
 * in the DLQ, end to end against moto_server: real FIFO queues (a main queue whose RedrivePolicy names
 * its DLQ, and a quarantine queue), the CLI as a child process, the queues checked directly afterwards.
 */
import {
  Quarantined,
  SentMessage,
  bodiesByGroup,
  createQuarantineQueue,
  createQueuePair,
  drain,
  jsonOf,
  putMessages,
  putQuarantined,
  queueCounts,
  runCli,
  runInTerminal,
  useMotoServer,
} from "../../support/cli-harness";

jest.setTimeout(60_000);

const emulator = useMotoServer();

/** Characters a terminal acts on; text output keeps only its own line breaks. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** A forgery that would rewrite the operator's line: return, erase the line, a C1 CSI, a bidi override. */
const FORGED = "\r\x1b[2K\u009b2K\u202e";
const FORGED_SHOWN = "\\r\\x1b[2K\\u009b2K\\u202e";

/** A main queue with its DLQ and a quarantine queue, and the global options naming all three. */
async function createQueues(name: string) {
  const pair = await createQueuePair(emulator.sqs, name);
  const quarantine = await createQuarantineQueue(emulator.sqs, name);
  return { ...pair, quarantineUrl: quarantine.url, args: [...emulator.aws, "--queue-url", pair.queueUrl, "--quarantine-url", quarantine.url] };
}

/** Quarantines webhooks one after the other (so each group keeps this order). */
async function quarantineAll(url: string, webhooks: readonly Quarantined[]): Promise<SentMessage[]> {
  const sent: SentMessage[] = [];
  for (const webhook of webhooks) sent.push(await putQuarantined(emulator.sqs, url, webhook));
  return sent;
}

const github = (n: number, group = "github:r1"): Quarantined => ({ source: "github", groupId: group, webhookId: `d-${n}` });
const stripe = (n: number): Quarantined => ({
  source: "stripe",
  groupId: "stripe:cus_1",
  webhookId: `evt_${n}`,
  reason: "timestamp outside tolerance",
});

test("quarantine list shows the quarantine queue's webhooks with their reason, --from dlq only the DLQ's quarantined ones; nothing consumed, controls escaped", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("list-webhook-queue");
  const quarantined = await quarantineAll(queues.quarantineUrl, [
    github(1),
    stripe(1),
    { ...github(2), reason: `signature mismatch${FORGED}`, body: `{"forged":"${FORGED}"}` },
  ]);
  const failed = await putMessages(sqs, queues.dlqUrl, { a: 2 });
  const [legacy] = await quarantineAll(queues.dlqUrl, [github(9, "github:r9")]);

  // `quarantine` alone is `quarantine list`.
  const text = await runCli(["quarantine", ...queues.args]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/^SOURCE\s+GROUP\s+WEBHOOK ID\s+MESSAGE ID\s+RECEIVES\s+SENT\s+QUARANTINED \/ DEAD-LETTERED\s+BODY/);
  expect(text.stdout).toMatch(
    new RegExp(`^stripe\\s+stripe:cus_1\\s+evt_1\\s+${quarantined[1].messageId}\\s+1\\s+\\S+\\s+timestamp outside tolerance\\s+\\{`, "m"),
  );
  expect(text.stdout).toContain(`signature mismatch${FORGED_SHOWN}  {"forged":"${FORGED_SHOWN}"}`);
  expect(text.stdout).toContain(`3 messages in 2 groups from quarantine ${queues.quarantineUrl}; none consumed`);
  expect(text.stdout).not.toMatch(RAW_CONTROLS);
  expect(text.stderr).toContain("note: received 3 messages from the quarantine queue; each one's receive count went up by one.");

  const json = await runCli(["quarantine", "list", ...queues.args, "--json"]);
  expect(json.code).toBe(0);
  expect(json.stdout).not.toMatch(RAW_CONTROLS);
  const listed = jsonOf(json);
  expect(listed).toMatchObject({ from: "quarantine", queueUrl: queues.quarantineUrl, count: 3, complete: true });
  expect(bodiesByGroup(listed.messages)).toEqual(bodiesByGroup(quarantined));
  expect(listed.messages.map((m: { quarantineReason: string }) => m.quarantineReason)).toEqual([
    "signature mismatch",
    `signature mismatch${FORGED}`,
    "timestamp outside tolerance",
  ]);

  const fromDlq = await runCli(["quarantine", "list", "--from", "dlq", ...queues.args, "--json"]);
  expect(fromDlq.code).toBe(0);
  expect(jsonOf(fromDlq)).toMatchObject({
    from: "dlq",
    queueUrl: queues.dlqUrl,
    count: 1,
    received: 3,
    messages: [{ messageId: legacy.messageId, source: "github", quarantineReason: "signature mismatch" }],
  });
  const fromDlqText = await runCli(["quarantine", "list", "--from", "dlq", ...queues.args]);
  expect(fromDlqText.stdout).toContain("1 quarantined messages in 1 groups from dlq");
  expect(fromDlqText.stdout).toContain("2 of the 3 received are not quarantined");

  const noQueue = await runCli(["quarantine", "list", ...emulator.aws, "--queue-url", queues.queueUrl]);
  expect(noQueue).toMatchObject({ code: 2, stdout: "" });
  expect(noQueue.stderr).toBe("webhook-queue: no quarantine queue given: pass --quarantine-url or --stack NAME\n");

  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 3, inFlight: 0 });
  expect(bodiesByGroup(await drain(sqs, queues.quarantineUrl))).toEqual(bodiesByGroup(quarantined));
  expect(bodiesByGroup(await drain(sqs, queues.dlqUrl))).toEqual(bodiesByGroup([...failed, legacy]));
});

test("quarantine discard deletes by message ID, by source or --all with --yes; refused without a terminal or a filter; a dry run changes nothing", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("discard-webhook-queue");
  const [d1, d2, , d3, forged] = await quarantineAll(queues.quarantineUrl, [
    github(1),
    github(2),
    stripe(1),
    github(3, "github:r2"),
    { ...github(4, "github:r4"), reason: `bad${FORGED}` },
  ]);
  const discard = (...args: string[]) => runCli(["quarantine", "discard", ...queues.args, ...args]);

  const [unconfirmed, noFilter, twoFilters] = [await discard("--all"), await discard("--yes"), await discard("--all", "--source", "github", "--yes")];
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toBe(
    "webhook-queue: refusing to discard messages without confirmation: there is no terminal to ask on; pass --yes (or --dry-run to look first)\n",
  );
  expect(noFilter.code).toBe(2);
  expect(noFilter.stderr).toContain("quarantine discard needs exactly one of --message-id ID, --source NAME or --all (given: none)");
  expect(twoFilters.code).toBe(2);
  expect(twoFilters.stderr).toContain("(given: --source and --all)");

  const dryRun = await discard("--all", "--dry-run");
  expect(dryRun.code).toBe(0);
  expect(dryRun.stdout).toContain("dry run: would discard 5 messages in 4 groups, skip 0; nothing discarded");
  expect(dryRun.stdout).toContain(`bad${FORGED_SHOWN}`);
  expect(dryRun.stdout).not.toMatch(RAW_CONTROLS);
  expect(dryRun.stderr).not.toMatch(RAW_CONTROLS);
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 5, inFlight: 0 });

  const byId = await discard("--message-id", d2.messageId, "--yes", "--json");
  expect(byId.code).toBe(0);
  expect(jsonOf(byId)).toMatchObject({ to: null, summary: { discarded: 1, skipped: 4, failed: 0 }, discarded: [{ messageId: d2.messageId }] });

  const bySource = await discard("--source", "stripe", "--yes");
  expect(bySource.code).toBe(0);
  expect(bySource.stdout).toBe(`discarded 1, skipped 3, failed 0 (from ${queues.quarantineUrl})\n`);
  expect(bodiesByGroup(await drain(sqs, queues.quarantineUrl))).toEqual(bodiesByGroup([d1, d3, forged]));

  await quarantineAll(queues.quarantineUrl, [github(5), github(6, "github:r3")]);
  const all = await discard("--all", "--yes");
  expect(all.code).toBe(0);
  expect(all.stdout).toContain("discarded 2, skipped 0, failed 0");
  expect(all.stderr).not.toMatch(RAW_CONTROLS);
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 0, inFlight: 0 });
  expect(await queueCounts(sqs, queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
});

test("quarantine discard --from dlq deletes only the DLQ's quarantined messages, never a failed delivery", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("discard-dlq-webhook-queue");
  const failed = await putMessages(sqs, queues.dlqUrl, { a: 2, b: 1 });
  await quarantineAll(queues.dlqUrl, [github(1), stripe(1)]);
  const discard = (...args: string[]) => runCli(["quarantine", "discard", "--from", "dlq", ...queues.args, ...args]);

  const askedForAFailure = await discard("--message-id", failed[0].messageId, "--yes");
  expect(askedForAFailure.code).toBe(0);
  expect(askedForAFailure.stdout).toContain(
    `skipped: message ${failed[0].messageId} (group a): not quarantined (a failed delivery): never discarded\ndiscarded 0, skipped 5`,
  );

  const all = await discard("--all", "--yes", "--json");
  expect(all.code).toBe(0);
  expect(jsonOf(all).summary).toEqual({ discarded: 2, skipped: 3, failed: 0 });
  expect(bodiesByGroup(await drain(sqs, queues.dlqUrl))).toEqual(bodiesByGroup(failed));
});

test("on a terminal, quarantine discard asks first and deletes nothing unless the answer is yes", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("prompt-discard-webhook-queue");
  await quarantineAll(queues.quarantineUrl, [github(1)]);
  const args = ["quarantine", "discard", "--all", ...queues.args];

  const declined = await runInTerminal(args, "n");
  expect(declined.code).toBe(1);
  expect(declined.stdout).toContain(`Delete for good the quarantine queue's messages (about 1 now) from ${queues.quarantineUrl}? [y/N]`);
  expect(declined.stdout).toContain("not confirmed: nothing discarded");
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 1, inFlight: 0 });

  const accepted = await runInTerminal(args, "y");
  expect(accepted.code).toBe(0);
  expect(accepted.stdout).toContain("discarded 1, skipped 0, failed 0");
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 0, inFlight: 0 });
});

test("quarantine release moves the webhooks named back to the main queue in group order, without the quarantine reason; nothing else moves", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("release-webhook-queue");
  // More than one receive batch (10) of one group, interleaved with another source's.
  const webhooks = Array.from({ length: 12 }, (_, i) => [github(i + 1), ...(i < 3 ? [stripe(i + 1)] : [])]).flat();
  const sent = await quarantineAll(queues.quarantineUrl, webhooks);
  const githubSent = sent.filter((m) => m.groupId === "github:r1");
  const stripeSent = sent.filter((m) => m.groupId === "stripe:cus_1");
  const release = (...args: string[]) => runCli(["quarantine", "release", ...queues.args, ...args]);

  const [unconfirmed, noFilter] = [await release("--source", "github"), await release("--yes")];
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toContain("refusing to move messages without confirmation");
  expect(noFilter.code).toBe(2);
  expect(noFilter.stderr).toContain("quarantine release needs exactly one of --message-id ID or --source NAME (given: none)");

  // A dry run sees what one receive batch per group shows: the head of the group, in order.
  const dryRun = await release("--source", "github", "--dry-run", "--json");
  expect(dryRun.code).toBe(0);
  const wouldMove = bodiesByGroup(jsonOf(dryRun).wouldMove);
  expect(Object.keys(wouldMove)).toEqual(["github:r1"]);
  expect(wouldMove["github:r1"]).toEqual(githubSent.slice(0, wouldMove["github:r1"].length).map((m) => m.body));
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 15, inFlight: 0 });
  expect(await queueCounts(sqs, queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });

  const bySource = await release("--source", "github", "--yes", "--json");
  expect(bySource.code).toBe(0);
  expect(jsonOf(bySource)).toMatchObject({ to: queues.queueUrl, summary: { moved: 12, failed: 0 } });
  const byId = await release("--message-id", stripeSent[1].messageId, "--yes");
  expect(byId.code).toBe(0);
  expect(byId.stdout).toMatch(/^moved 1, skipped [12], failed 0 \(from \S+ to \S+\)\n$/);
  // Run again: what was released is no longer there to move.
  const again = await release("--source", "github", "--yes", "--json");
  expect(jsonOf(again).summary).toEqual({ moved: 0, skipped: 2, failed: 0 });

  const back = await drain(sqs, queues.queueUrl);
  expect(bodiesByGroup(back)).toEqual(bodiesByGroup([...githubSent, stripeSent[1]]));
  for (const copy of back) {
    const original = sent.find((m) => m.body === copy.body && m.groupId === copy.groupId)!;
    expect(copy.deduplicationId).toBe(`redrive-${original.messageId}`);
    expect(Object.keys(copy.messageAttributes).sort()).toEqual(["header.x-hub-signature-256", "webhook-id", "webhook-source"]);
  }
  expect(bodiesByGroup(await drain(sqs, queues.quarantineUrl))).toEqual(bodiesByGroup([stripeSent[0], stripeSent[2]]));
});

test("quarantine release never puts back a webhook quarantined as forged, even named by its ID; discard drops it", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("release-forged");
  const [forged] = await quarantineAll(queues.quarantineUrl, [
    { ...github(1), reason: 'forged: attribute webhook-received-at "1" contradicts SQS\'s SentTimestamp 1700000000000' },
  ]);
  const released = await runCli(["quarantine", "release", ...queues.args, "--message-id", forged.messageId, "--yes"]);
  expect(released.code).toBe(0);
  expect(released.stdout).toMatch(/\nmoved 0, skipped 1, failed 0/);
  expect(released.stderr + released.stdout).toContain("never put back, its copy's attributes would be trusted");
  expect(await queueCounts(sqs, queues.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  const discarded = await runCli(["quarantine", "discard", ...queues.args, "--message-id", forged.messageId, "--yes"]);
  expect(discarded.code).toBe(0);
  expect(await queueCounts(sqs, queues.quarantineUrl)).toEqual({ visible: 0, inFlight: 0 });
});

test("redrive skips a DLQ message an older forwarder quarantined, naming the commands to use; --include-quarantined moves it", async () => {
  const { sqs } = emulator;
  const queues = await createQueues("legacy-webhook-queue");
  const failed = await putMessages(sqs, queues.dlqUrl, { a: 2 });
  const [legacy] = await quarantineAll(queues.dlqUrl, [{ ...github(1), reason: `signature mismatch${FORGED}` }]);
  const redrive = (...args: string[]) => runCli(["redrive", ...queues.args, ...args]);

  const skipping = await redrive("--yes");
  expect(skipping.code).toBe(0);
  expect(skipping.stdout).toBe(
    `skipped: message ${legacy.messageId} (group github:r1): quarantined (signature mismatch${FORGED_SHOWN}), left in the DLQ: ` +
      `once you vouch for it, move it with "webhook-queue redrive --include-quarantined --message-id ${legacy.messageId}", ` +
      `or drop it with "webhook-queue quarantine discard --from dlq --message-id ${legacy.messageId}"\n` +
      `moved 2, skipped 1, failed 0 (from ${queues.dlqUrl} to ${queues.queueUrl})\n`,
  );
  expect(bodiesByGroup(await drain(sqs, queues.queueUrl))).toEqual(bodiesByGroup(failed));
  expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({ visible: 1, inFlight: 0 });

  const including = await redrive("--include-quarantined", "--message-id", legacy.messageId, "--yes", "--json");
  expect(including.code).toBe(0);
  expect(jsonOf(including).moved).toEqual([expect.objectContaining({ messageId: legacy.messageId, groupId: "github:r1" })]);
  const [copy] = await drain(sqs, queues.queueUrl);
  expect(copy).toMatchObject({ body: legacy.body, deduplicationId: `redrive-${legacy.messageId}` });
  expect(copy.messageAttributes).not.toHaveProperty("quarantine-reason");
  expect(await queueCounts(sqs, queues.dlqUrl)).toEqual({ visible: 0, inFlight: 0 });
});
