/** The CLI's pure pieces: command-line splitting, validation, grouping, formatting. */
import { regionFromQueueUrl } from "../../src/cli/aws";
import { UsageError, explainError } from "../../src/cli/errors";
import { QueueMessage, bodyPreview, groupInReceiveOrder, matchesFilter, redriveDeduplicationId } from "../../src/cli/messages";
import { integerOption, splitCommand } from "../../src/cli/options";
import { formatAge, formatTable } from "../../src/cli/output";
import { parseHeader } from "../../src/cli/commands/send";
import { parseRouteKey, parseTerraformOutputs } from "../../src/cli/stack-outputs";

function message(groupId: string, messageId: string): QueueMessage {
  return { messageId, groupId, receiveCount: 1, sentAt: "", body: messageId, receiptHandle: "", attributes: {}, messageAttributes: {} };
}

test("the command is the first word that is not a global option or its value", () => {
  expect(splitCommand(["--region", "eu-west-1", "peek", "--max", "3"])).toEqual({ command: "peek", rest: ["--region", "eu-west-1", "--max", "3"] });
  expect(splitCommand(["--json", "status"])).toEqual({ command: "status", rest: ["--json"] });
  expect(splitCommand(["--help"])).toEqual({ rest: ["--help"] });
});

test("numbers outside their range are usage errors naming the option, the value and the range", () => {
  expect(integerOption("max", undefined, 100, 1, 10)).toBe(100);
  expect(integerOption("max", "7", 100, 1, 10)).toBe(7);
  for (const bad of ["0", "11", "2.5", "ten", ""]) {
    expect(() => integerOption("max", bad, 100, 1, 10)).toThrow(new UsageError(`--max ${bad} is not allowed: give a whole number from 1 to 10`));
  }
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

test("a redriven copy's deduplication ID is stable per DLQ message and not the content hash", () => {
  expect(redriveDeduplicationId({ messageId: "6f1c2e" })).toBe("redrive-6f1c2e");
});

test("route keys, terraform outputs, queue URL regions, headers", () => {
  expect(parseRouteKey("POST /sqs-hook")).toEqual({ method: "POST", path: "/sqs-hook" });
  expect(parseRouteKey("ANY /hooks/{proxy+}")).toEqual({ method: "POST", path: "/hooks/{proxy+}" });
  expect(parseRouteKey("$default")).toEqual({ method: "POST", path: "/" });
  expect(() => parseRouteKey("sqs-hook")).toThrow('cannot use route key "sqs-hook"');
  expect(parseTerraformOutputs('{"queue_url":{"sensitive":false,"type":"string","value":"https://q"},"n":{"value":3}}')).toEqual({ queue_url: "https://q" });
  expect(regionFromQueueUrl("https://sqs.eu-west-1.amazonaws.com/123/mz-dev-webhook-queue.fifo")).toBe("eu-west-1");
  expect(regionFromQueueUrl("https://us-east-2.queue.amazonaws.com/123/q.fifo")).toBe("us-east-2");
  expect(regionFromQueueUrl("http://127.0.0.1:5000/123/q.fifo")).toBeUndefined();
  expect(parseHeader("X-Signature: a:b")).toEqual(["X-Signature", "a:b"]);
  expect(() => parseHeader("no colon")).toThrow(UsageError);
});

test("formatting: tables, ages, one-line bodies", () => {
  expect(formatTable(["A", "LONGER"], [["xyz", "1"], ["", "22"]])).toBe("A    LONGER\nxyz  1\n     22");
  expect([0, 42, 185, 7620, 273600].map(formatAge)).toEqual(["0s", "42s", "3m 05s", "2h 07m", "3d 04h"]);
  expect(bodyPreview('{"a":1}\n{"b":2}', 0)).toBe('{"a":1}\\n{"b":2}');
  expect(bodyPreview("abcdefgh", 5)).toBe("abcd…");
});

test("SDK failures become one-line messages", () => {
  expect(explainError(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" })).message).toMatch(
    /^no AWS credentials found: set AWS_ACCESS_KEY_ID/,
  );
  expect(explainError(new Error("Region is missing"))).toBeInstanceOf(UsageError);
  expect(explainError(Object.assign(new Error("Access to the resource is denied."), { name: "AccessDenied" })).message).toBe(
    "AccessDenied: Access to the resource is denied.",
  );
});
