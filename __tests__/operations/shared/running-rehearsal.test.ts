/**
 * What `webhook-queue --stack emulator` takes from a running rehearsal's endpoints.json: only a
 * file whose every address is on this machine (a planted one must not send the CLI's calls, or a
 * webhook `send` signs with a real secret, anywhere else). Nothing here connects anywhere.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLoopbackUrl } from "../../../src/operations/shared/loopback";
import { LOCAL_DIR_ENV, readRunningRehearsal } from "../../../src/operations/shared/running-rehearsal";

let localDir: string;
beforeEach(() => (localDir = mkdtempSync(join(tmpdir(), "running-rehearsal-"))));
afterEach(() => rmSync(localDir, { recursive: true, force: true }));

/** endpoints.json as `npm run local` writes it, for this (running) process. */
const written = (changes: Record<string, unknown> = {}, outputs: Record<string, unknown> = {}) => ({
  pid: process.pid,
  stack: "emulator",
  gateway: "http://127.0.0.1:40001",
  moto: "http://127.0.0.1:40000",
  region: "ap-northeast-1",
  application: "http://127.0.0.1:40001/application-hook",
  control: "http://127.0.0.1:40002",
  webhooks: { default: "http://127.0.0.1:40001/sqs-hook" },
  queueUrl: "http://127.0.0.1:40000/123456789012/mz-dev-webhook-queue.fifo",
  dlqUrl: "http://127.0.0.1:40000/123456789012/mz-dev-webhook-queue-dlq.fifo",
  outputs: {
    apigateway_endpoint: "http://127.0.0.1:40001",
    queue_url: "http://127.0.0.1:40000/123456789012/mz-dev-webhook-queue.fifo",
    queue_arn: "arn:aws:sqs:ap-northeast-1:123456789012:mz-dev-webhook-queue.fifo",
    webhook_sources: { default: { route_key: "POST /sqs-hook", url: "http://127.0.0.1:40001/sqs-hook" } },
    ...outputs,
  },
  stackDirectory: "/tmp/stack",
  logFile: "/tmp/rehearsal.log",
  ...changes,
});

const read = (document: unknown) => {
  writeFileSync(join(localDir, "endpoints.json"), JSON.stringify(document));
  return readRunningRehearsal({ [LOCAL_DIR_ENV]: localDir });
};

test("a rehearsal's own file is read", () => {
  expect(read(written())?.moto).toBe("http://127.0.0.1:40000");
});

test.each([
  ["moto_server elsewhere (the metadata address)", written({ moto: "http://169.254.169.254" })],
  ["moto_server on a private address", written({ moto: "http://10.0.0.5:5000" })],
  ["moto_server over https, or without a port", written({ moto: "https://127.0.0.1:40000" })],
  ["a queue URL elsewhere (the SDK sends SQS calls to it)", written({}, { queue_url: "https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo" })],
  ["the API endpoint elsewhere (send posts signed webhooks there)", written({}, { apigateway_endpoint: "https://attacker.example" })],
  [
    "a source's URL elsewhere",
    written({}, { webhook_sources: { default: { route_key: "POST /sqs-hook", url: "http://127.0.0.1.attacker.example:80/sqs-hook" } } }),
  ],
  ["a terminal escape in an address", written({ moto: "http://127.0.0.1:40000/\u001b[2K" })],
  ["a pid that is no number", written({ pid: `\r${process.pid}` })],
])("a file with %s is not used", (_what, document) => {
  expect(read(document)).toBeUndefined();
});

test("isLoopbackUrl: plain HTTP on this machine with a port; a path only when asked for", () => {
  expect(isLoopbackUrl("http://127.0.0.1:5000")).toBe(true);
  expect(isLoopbackUrl("http://localhost:5000/")).toBe(true);
  expect(isLoopbackUrl("http://127.0.0.1:5000/sqs-hook")).toBe(false);
  expect(isLoopbackUrl("http://127.0.0.1:5000/sqs-hook", { path: true })).toBe(true);
  for (const url of [
    "http://127.0.0.1",
    "http://user:pass@127.0.0.1:5000",
    "http://127.0.0.1:5000?x=1",
    "http://0x7f000001:5000",
    "http://[::ffff:169.254.169.254]:80",
    "http://169.254.169.254:80",
    "ftp://127.0.0.1:21",
    "not a url",
  ]) {
    expect([url, isLoopbackUrl(url, { path: true })]).toEqual([url, false]);
  }
  expect(isLoopbackUrl(undefined)).toBe(false);
});
