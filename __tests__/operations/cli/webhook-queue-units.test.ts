/** The CLI's pure pieces: command-line splitting, validation, grouping, formatting. */
import { UsageError, explainError } from "../../../src/operations/cli/errors";
import { formatMilliseconds, sparkline } from "../../../src/operations/cli/delivery-stats";
import {
  NOT_QUARANTINED,
  QueueMessage,
  bodyPreview,
  groupInReceiveOrder,
  matchesFilter,
  redriveDeduplicationId,
  skipReason,
} from "../../../src/operations/cli/messages";
import { formatAge, formatTable, messageTable } from "../../../src/operations/cli/output";
import { quarantineFilter } from "../../../src/operations/cli/commands/quarantine";
import { latestDatapoint } from "../../../src/operations/cli/commands/status";
import { parseHeader } from "../../../src/operations/cli/commands/send";
import { parseRouteKey } from "../../../src/operations/cli/stack-outputs";
import { main, webhookQueueProgram } from "../../../src/operations/cli/webhook-queue";
import { integerIn, parseCommandLine } from "../../../src/operations/shared/command-line";
import { QueueState, checkQueuePair } from "../../../src/operations/cli/aws";
import { mainQueuePeekRisk, receivedNote } from "../../../src/operations/cli/commands/peek";
import {
  allowPolicyNames,
  parseQueueArn,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
  queueNameOfUrl,
  regionFromQueueUrl,
} from "../../../src/operations/shared/queue-pair";
import { parseTerraformOutputs } from "../../../src/operations/shared/stack-files";

function message(groupId: string, messageId: string): QueueMessage {
  return { messageId, groupId, receiveCount: 1, sentAt: "", body: messageId, receiptHandle: "", attributes: {}, messageAttributes: {} };
}

/** The command and options a command line selects. */
function parse(argv: string[]) {
  let chosen: { name: string; options: Record<string, unknown>; globals: Record<string, unknown> } | undefined;
  const parsed = parseCommandLine(
    webhookQueueProgram((command, options, globals) => (chosen = { name: command.name, options, globals })),
    argv,
  );
  return { help: parsed.help, ...chosen };
}

test("global options go before or after the command; each command's options are parsed and defaulted", () => {
  expect(parse(["--region", "eu-west-1", "peek", "--max", "3"])).toMatchObject({
    name: "peek",
    options: { max: 3, from: "dlq", full: false, visibilityTimeout: 30, force: false },
    globals: { region: "eu-west-1" },
  });
  expect(parse(["status", "--json", "--stack", "mz-dev"])).toMatchObject({ name: "status", globals: { json: true, stack: "mz-dev" } });
  expect(parse(["redrive", "--group", "a", "--group", "b", "-y"])).toMatchObject({
    options: { group: ["a", "b"], yes: true, waitInFlight: 40, includeQuarantined: false },
  });
  expect(parse(["redrive", "--include-quarantined"])).toMatchObject({ options: { includeQuarantined: true } });
});

test("quarantine: list is the default; --quarantine-url is global, before or after the subcommand", () => {
  expect(parse(["quarantine", "--max", "3"])).toMatchObject({ name: "list", options: { from: "quarantine", max: 3, full: false } });
  expect(parse(["--quarantine-url", "q", "quarantine", "list", "--from", "dlq"])).toMatchObject({
    name: "list",
    options: { from: "dlq" },
    globals: { quarantineUrl: "q" },
  });
  expect(parse(["quarantine", "discard", "--all", "-y", "--from", "dlq", "--json"])).toMatchObject({
    name: "discard",
    options: { all: true, yes: true, dryRun: false, from: "dlq", messageId: [], source: [] },
    globals: { json: true },
  });
  expect(parse(["quarantine", "release", "--message-id", "m1", "--message-id", "m2", "--quarantine-url", "q"])).toMatchObject({
    name: "release",
    options: { messageId: ["m1", "m2"], source: [], yes: false },
    globals: { quarantineUrl: "q" },
  });
});

test("a discard or a release names exactly one kind of filter; --from dlq discards only quarantined messages", () => {
  const none = { messageId: [], source: [] };
  expect(quarantineFilter("discard", { ...none, all: true }, "quarantine")).toEqual({
    groups: new Set(),
    sources: new Set(),
    messageIds: new Set(),
    quarantined: "include",
    refuseForged: false,
  });
  expect(quarantineFilter("discard", { ...none, source: ["github", "stripe"] }, "dlq")).toMatchObject({
    sources: new Set(["github", "stripe"]),
    quarantined: "only",
  });
  expect(quarantineFilter("release", { ...none, messageId: ["m1"] }, "quarantine")).toMatchObject({
    messageIds: new Set(["m1"]),
    refuseForged: true,
  });
  expect(() => quarantineFilter("discard", none, "quarantine")).toThrow(
    new UsageError("quarantine discard needs exactly one of --message-id ID, --source NAME or --all (given: none)"),
  );
  expect(() => quarantineFilter("release", { messageId: ["m1"], source: ["github"] }, "quarantine")).toThrow(
    new UsageError("quarantine release needs exactly one of --message-id ID or --source NAME (given: --message-id and --source)"),
  );
});

test("help is generated from the option definitions", () => {
  expect(parse(["--help"]).help).toMatch(/Commands:\n {2}status +depth, in-flight and oldest age of each queue/);
  expect(parse(["--help"]).help).toMatch(/--quarantine-url <url> +the FIFO quarantine queue/);
  expect(parse(["quarantine", "--help"]).help).toMatch(/list \[options\] +show quarantined webhooks.*\n +discard \[options\] +delete.*\n +release/);
  expect(parse(["send", "--help"]).help).not.toMatch(/--secret </);
  expect(parse(["--help"]).help).toMatch(/--endpoint-url <url> +send AWS calls to this endpoint/);
  expect(parse(["redrive", "--help"]).help).toMatch(/--wait-in-flight <seconds> +when DLQ messages are in flight/);
  expect(parse(["help", "peek"]).help).toMatch(/Usage: webhook-queue peek \[options\]/);
});

test.each([
  [["peek", "--from", "elsewhere"], /argument 'elsewhere' is invalid\. Allowed choices are dlq, queue/],
  [["peek", "--max", "0"], /--max 0 is not allowed: give a whole number from 1 to 10000/],
  [["status", "--bogus"], /unknown option '--bogus'/],
  [["status", "--sample-main"], /unknown option '--sample-main'/],
  [["quarantine", "list", "--from", "queue"], /argument 'queue' is invalid\. Allowed choices are quarantine, dlq/],
  [["unpeek"], /unknown command 'unpeek'/],
])("%j is a usage error", (argv, message) => {
  expect(() => parse(argv)).toThrow(UsageError);
  expect(() => parse(argv)).toThrow(message);
});

test("a command line without a command, or with a mistake, exits 2 with the reason on stderr (and as JSON with --json)", async () => {
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    await expect(main([])).resolves.toBe(2);
    expect(String(err.mock.calls[0][0])).toMatch(/^webhook-queue: a command is needed\n\nUsage: webhook-queue \[options\] \[command\]/);
    await expect(main(["peek", "--max", "x", "--json"])).resolves.toBe(2);
    expect(JSON.parse(String(out.mock.calls[0][0]))).toEqual({ error: expect.stringContaining("--max x is not allowed"), exitCode: 2 });
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
});

test("whatever a failure or a result carries (a name, a URL, an AWS message) reaches the terminal escaped, line breaks kept", async () => {
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const previous = process.env.WEBHOOK_QUEUE_STACKS_DIR;
  process.env.WEBHOOK_QUEUE_STACKS_DIR = "/nonexistent-stacks";
  try {
    await expect(main(["--stack", "evil\u001b[2K\r\u009b", "peek"])).resolves.toBe(1);
    const written = err.mock.calls.map((call) => String(call[0])).join("");
    expect(written).toContain("stack evil\\x1b[2K\\r\\u009b not found");
    // eslint-disable-next-line no-control-regex
    expect(written.replace(/\n/g, "")).not.toMatch(/[\u0000-\u001f\u009b]/);
  } finally {
    if (previous === undefined) delete process.env.WEBHOOK_QUEUE_STACKS_DIR;
    else process.env.WEBHOOK_QUEUE_STACKS_DIR = previous;
    err.mockRestore();
  }
});

test("numbers outside their range are usage errors naming the option, the value and the range", () => {
  const max = integerIn("max", 1, 10);
  expect(max("7")).toBe(7);
  for (const bad of ["0", "11", "2.5", "ten", ""]) {
    expect(() => max(bad)).toThrow(new UsageError(`--max ${bad} is not allowed: give a whole number from 1 to 10`));
  }
});

test("the queue pair: redrive policies as SQS returns them, queue ARNs", () => {
  expect(parseRedrivePolicy('{"deadLetterTargetArn":"arn:aws:sqs:r:1:d.fifo","maxReceiveCount":"3"}')).toEqual({
    deadLetterTargetArn: "arn:aws:sqs:r:1:d.fifo",
    maxReceiveCount: 3,
  });
  expect(parseRedrivePolicy('{"deadLetterTargetArn": "arn:aws:sqs:r:1:d.fifo", "maxReceiveCount": 1}')).toEqual({
    deadLetterTargetArn: "arn:aws:sqs:r:1:d.fifo",
    maxReceiveCount: 1,
  });
  expect(parseRedrivePolicy(undefined)).toBeUndefined();
  expect(parseQueueArn("arn:aws:sqs:ap-northeast-1:123456789012:mz-dev-webhook-queue.fifo")).toEqual({
    region: "ap-northeast-1",
    account: "123456789012",
    name: "mz-dev-webhook-queue.fifo",
  });
  expect(() => parseQueueArn("arn:aws:sns:r:1:t")).toThrow(/is not an SQS queue ARN/);
});

test("the queue pair: redrive allow policies as SQS returns them", () => {
  const policy = parseRedriveAllowPolicy('{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:r:1:q.fifo"]}');
  expect(policy).toEqual({ redrivePermission: "byQueue", sourceQueueArns: ["arn:aws:sqs:r:1:q.fifo"] });
  expect(allowPolicyNames(policy, "arn:aws:sqs:r:1:q.fifo")).toBe(true);
  expect(allowPolicyNames(policy, "arn:aws:sqs:r:1:other.fifo")).toBe(false);
  expect(parseRedriveAllowPolicy('{"redrivePermission":"allowAll"}')).toEqual({ redrivePermission: "allowAll", sourceQueueArns: [] });
  expect(allowPolicyNames(parseRedriveAllowPolicy('{"redrivePermission":"allowAll"}'), "arn:aws:sqs:r:1:q.fifo")).toBe(false);
  expect(parseRedriveAllowPolicy(undefined)).toBeUndefined();
  expect(allowPolicyNames(undefined, "arn:aws:sqs:r:1:q.fifo")).toBe(false);
});

function queueState(name: string, extra: Partial<QueueState> = {}): QueueState {
  return {
    role: "queue",
    url: `https://sqs.r.amazonaws.com/1/${name}`,
    arn: `arn:aws:sqs:r:1:${name}`,
    visible: 0,
    inFlight: 0,
    delayed: 0,
    visibilityTimeout: 30,
    ...extra,
  };
}

test("a queue and a DLQ are a pair when the queue's RedrivePolicy or the DLQ's RedriveAllowPolicy says so; swapped ones are named", () => {
  const dlq = queueState("q-dlq.fifo", { role: "dlq" });
  const byPolicy = queueState("q.fifo", { deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 });
  const allowing = { ...dlq, redriveAllowPolicy: { redrivePermission: "byQueue", sourceQueueArns: [byPolicy.arn] } };
  const plain = queueState("q.fifo");
  expect(() => checkQueuePair(byPolicy, dlq)).not.toThrow();
  expect(() => checkQueuePair(plain, allowing)).not.toThrow();
  expect(() => checkQueuePair(byPolicy, allowing)).not.toThrow();

  // Swapped: the "queue" is the DLQ of the "DLQ", by either policy.
  for (const [queue, deadLetter] of [
    [dlq, byPolicy],
    [allowing, plain],
  ]) {
    expect(() => checkQueuePair(queue, deadLetter)).toThrow(UsageError);
    expect(() => checkQueuePair(queue, deadLetter)).toThrow(
      `look swapped: ${dlq.url} (given as the queue) looks like the dead-letter queue of ${plain.url} (given as the dead-letter queue)`,
    );
  }

  const otherDlq = queueState("other-dlq.fifo", {
    role: "dlq",
    redriveAllowPolicy: { redrivePermission: "byQueue", sourceQueueArns: [byPolicy.arn] },
  });
  expect(() => checkQueuePair(byPolicy, otherDlq)).toThrow(
    `${otherDlq.url} is not the dead-letter queue of ${byPolicy.url}: the queue's RedrivePolicy`,
  );
  expect(() => checkQueuePair(plain, dlq)).toThrow("does not name the queue (it has none)");
  expect(() => checkQueuePair(plain, { ...dlq, redriveAllowPolicy: { redrivePermission: "allowAll", sourceQueueArns: [] } })).toThrow(
    "does not name the queue (allowAll)",
  );
});

test("peeking the main queue is a risk up to maxReceiveCount 2", () => {
  const url = "https://sqs.r.amazonaws.com/1/q.fifo";
  expect(mainQueuePeekRisk({ url, maxReceiveCount: 1 })).toMatch(
    /maxReceiveCount is 1 .* moves to the dead-letter queue on its next receive.*--force/,
  );
  expect(mainQueuePeekRisk({ url, maxReceiveCount: 2 })).toMatch(/only 1 delivery attempt left/);
  expect(mainQueuePeekRisk({ url, maxReceiveCount: 3 })).toBeUndefined();
  expect(mainQueuePeekRisk({ url })).toBeUndefined();
});

test("messages group in first-appearance order, each group in receive order", () => {
  const received = [message("a", "a1"), message("b", "b1"), message("a", "a2"), message("c", "c1"), message("b", "b2")];
  expect(groupInReceiveOrder(received).map((g) => [g.groupId, g.messages.map((m) => m.messageId)])).toEqual([
    ["a", ["a1", "a2"]],
    ["b", ["b1", "b2"]],
    ["c", ["c1"]],
  ]);
});

test("the redrive filter matches by group and by message ID; empty sets match all", () => {
  const all = { groups: new Set<string>(), messageIds: new Set<string>() };
  expect(matchesFilter(message("a", "1"), all)).toBe(true);
  expect(matchesFilter(message("a", "1"), { ...all, groups: new Set(["b"]) })).toBe(false);
  expect(matchesFilter(message("a", "1"), { groups: new Set(["a"]), messageIds: new Set(["1"]) })).toBe(true);
  expect(matchesFilter(message("a", "2"), { ...all, messageIds: new Set(["1"]) })).toBe(false);
});

test("a redrive skips what carries a quarantine reason unless it includes it; a discard from the DLQ takes only that", () => {
  const failed = message("a", "1");
  const quarantined = { ...message("github:r1", "2"), quarantineReason: "signature mismatch" };
  const all = { groups: new Set<string>(), messageIds: new Set<string>() };
  expect(skipReason(failed, { ...all, quarantined: "skip" })).toBeUndefined();
  expect(skipReason(quarantined, { ...all, quarantined: "skip" })).toBe(
    'quarantined (signature mismatch), left in the DLQ: once you vouch for it, move it with "webhook-queue redrive --include-quarantined --message-id 2", ' +
      'or drop it with "webhook-queue quarantine discard --from dlq --message-id 2"',
  );
  expect(skipReason(quarantined, { ...all, quarantined: "include" })).toBeUndefined();
  expect(skipReason(quarantined, all)).toBeUndefined();
  expect(skipReason(quarantined, { ...all, quarantined: "only" })).toBeUndefined();
  expect(skipReason(failed, { ...all, quarantined: "only" })).toBe(NOT_QUARANTINED);
  expect(skipReason(quarantined, { ...all, messageIds: new Set(["1"]), quarantined: "include" })).toBe("filtered out");
});

test("a webhook quarantined as forged is never moved back (its copy's attributes would be trusted); a discard takes it", () => {
  const forged = {
    ...message("github:r1", "3"),
    quarantineReason: 'forged: attribute webhook-source "default" contradicts the message group of source github',
  };
  const all = { groups: new Set<string>(), messageIds: new Set<string>() };
  expect(skipReason(forged, { ...all, refuseForged: true })).toBe(
    'forged: attribute webhook-source "default" contradicts the message group of source github: never put back, its copy\'s attributes would be trusted; ' +
      'drop it with "webhook-queue quarantine discard --message-id 3"',
  );
  expect(skipReason(forged, { ...all, messageIds: new Set(["3"]), refuseForged: true })).toMatch(/never put back/);
  expect(skipReason({ ...forged, quarantineReason: "signature mismatch" }, { ...all, refuseForged: true })).toBeUndefined();
  expect(skipReason(forged, all)).toBeUndefined();
});

test("peek's note says how many it received, that their receive count rose, and what that does to the age metric", () => {
  expect(receivedNote(3, { role: "dlq" })).toBe(
    "note: received 3 messages from the DLQ; each one's receive count went up by one. SQS may leave a message received three or more " +
      "times out of ApproximateAgeOfOldestMessage (documented by AWS for standard queues), the metric the DLQ expiry alarm reads",
  );
  expect(receivedNote(1, { role: "quarantine" })).toMatch(/^note: received 1 messages from the quarantine queue; .*three or more times/);
  expect(receivedNote(0, { role: "dlq" })).toBe("note: received no messages from the DLQ; no receive count changed");
});

test("status takes the latest CloudWatch datapoint that has a Maximum", () => {
  const at = (iso: string) => new Date(iso);
  expect(
    latestDatapoint([
      { Timestamp: at("2026-12-07T10:01:00Z"), Maximum: 61 },
      { Timestamp: at("2026-12-07T10:03:00Z"), Maximum: 183 },
      { Timestamp: at("2026-12-07T10:04:00Z") },
      { Timestamp: at("2026-12-07T10:02:00Z"), Maximum: 122 },
    ]),
  ).toEqual({ Timestamp: at("2026-12-07T10:03:00Z"), Maximum: 183 });
  expect(latestDatapoint([])).toBeUndefined();
  expect(queueNameOfUrl("https://sqs.ap-northeast-1.amazonaws.com/123456789012/mz-dev-webhook-dlq.fifo")).toBe("mz-dev-webhook-dlq.fifo");
  expect(queueNameOfUrl("http://127.0.0.1:5000/123456789012/q.fifo/")).toBe("q.fifo");
});

test("a redriven copy's deduplication ID is stable per DLQ message and not the content hash", () => {
  expect(redriveDeduplicationId({ messageId: "6f1c2e" })).toBe("redrive-6f1c2e");
});

test("route keys, terraform outputs, queue URL regions, headers", () => {
  expect(parseRouteKey("POST /sqs-hook")).toEqual({ method: "POST", path: "/sqs-hook" });
  expect(parseRouteKey("ANY /hooks/{proxy+}")).toEqual({ method: "POST", path: "/hooks/{proxy+}" });
  expect(parseRouteKey("$default")).toEqual({ method: "POST", path: "/" });
  expect(() => parseRouteKey("sqs-hook")).toThrow('cannot use route key "sqs-hook"');
  expect(
    parseTerraformOutputs({
      queue_url: { sensitive: false, type: "string", value: "https://q" },
      quarantine_url: { value: "https://quarantine" },
      n: { value: 3 },
    } as never),
  ).toEqual({ queue_url: "https://q", quarantine_url: "https://quarantine" });
  expect(regionFromQueueUrl("https://sqs.eu-west-1.amazonaws.com/123/mz-dev-webhook-queue.fifo")).toBe("eu-west-1");
  expect(regionFromQueueUrl("https://us-east-2.queue.amazonaws.com/123/q.fifo")).toBe("us-east-2");
  expect(regionFromQueueUrl("http://127.0.0.1:5000/123/q.fifo")).toBeUndefined();
  expect(parseHeader("X-Signature: a:b")).toEqual(["X-Signature", "a:b"]);
  expect(() => parseHeader("no colon")).toThrow(UsageError);
});

test("formatting: tables, ages, one-line bodies", () => {
  expect(
    formatTable(
      ["A", "LONGER"],
      [
        ["xyz", "1"],
        ["", "22"],
      ],
    ),
  ).toBe("A    LONGER\nxyz  1\n     22");
  expect([0, 42, 185, 7620, 273600].map(formatAge)).toEqual(["0s", "42s", "3m 05s", "2h 07m", "3d 04h"]);
  expect(bodyPreview('{"a":1}\n{"b":2}', 0)).toBe('{"a":1}\\n{"b":2}');
  expect(bodyPreview("abcdefgh", 5)).toBe("abcd…");
  expect(bodyPreview("ok\r\x1b[2Kforged\u009b\u202e", 0)).toBe("ok\\r\\x1b[2Kforged\\u009b\\u202e");
});

test("the message table shows every field a request can shape with its controls escaped", () => {
  const forged = "\r\x1b[2K\u009b\u202e";
  const table = messageTable(
    [
      {
        ...message(`g${forged}`, "m1"),
        source: `github${forged}`,
        webhookId: `d-1${forged}`,
        quarantineReason: `signature mismatch${forged}`,
        body: `{"a":"${forged}"}`,
      },
    ],
    0,
  );
  const shown = "\\r\\x1b[2K\\u009b\\u202e";
  // SENT is empty here: the columns split on runs of spaces.
  expect(table.split("\n")[1].split(/ {2,}/)).toEqual([
    `github${shown}`,
    `g${shown}`,
    `d-1${shown}`,
    "m1",
    "1",
    `signature mismatch${shown}`,
    `{"a":"${shown}"}`,
  ]);
});

test("SDK failures become one-line messages", () => {
  expect(
    explainError(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" })).message,
  ).toMatch(/^no AWS credentials found: set AWS_ACCESS_KEY_ID/);
  expect(explainError(new Error("Region is missing"))).toBeInstanceOf(UsageError);
  expect(explainError(Object.assign(new Error("Access to the resource is denied."), { name: "AccessDenied" })).message).toBe(
    "AccessDenied: Access to the resource is denied.",
  );
});

describe("the last hour per source, as status shows it", () => {
  test("a sparkline scales to the busiest five minutes; none is a space", () => {
    expect(sparkline([0, 1, 2, 4, 8, 0])).toBe(" ▁▂▄█ ");
    expect(sparkline([0, 0, 0])).toBe("   ");
    expect(sparkline([3])).toBe("█");
  });

  test("milliseconds for people", () => {
    expect([null, 12.4, 999, 1234, 59_940, 185_000].map(formatMilliseconds)).toEqual(["-", "12 ms", "999 ms", "1.2 s", "59.9 s", "3m 05s"]);
  });
});
