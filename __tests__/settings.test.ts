import { mzDev } from "../src/environments";
import { resolveSettings, SettingsError, WebhookQueueSettings } from "../src/settings";

/** The one problem line resolveSettings reports for these overrides of the article's environment. */
function problemsFor(overrides: Partial<WebhookQueueSettings>): string[] {
  try {
    resolveSettings({ ...mzDev, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return [...(error as SettingsError).problems];
  }
  throw new Error(`settings ${JSON.stringify(overrides)} were accepted`);
}

describe("resolveSettings", () => {
  test("the article's environment resolves with the article's defaults", () => {
    const resolved = resolveSettings(mzDev);
    expect(resolved).toMatchObject({
      prefix: "mz-dev",
      routeKey: "POST /sqs-hook",
      messageGroupId: "mz-dev-sqs-webhook",
      functionTimeoutSeconds: 60,
      visibilityTimeoutSeconds: 60,
      forwarder: {
        batchSize: 1,
        forwardTimeoutMs: 55000,
        packaging: "archive_file",
        routes: { "mz-dev-sqs-webhook": { application: "/application-hook" } },
      },
      monitoring: { enabled: true, oldestMessageAgeSeconds: 900, alarmEmails: [] },
    });
    expect(resolved.warnings).toEqual([expect.stringContaining("below six times the function timeout")]);
  });

  test("six times the function timeout silences the warning", () => {
    expect(resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 360 }).warnings).toEqual([]);
  });

  test.each<[string, Partial<WebhookQueueSettings>, string]>([
    ["a prefix SQS rejects", { prefix: "mz dev!" }, `prefix = "mz dev!": only letters, digits, '-' and '_'`],
    [
      "a prefix that makes the DLQ name longer than 80",
      { prefix: "p".repeat(58) },
      `prefix = "${"p".repeat(58)}": at most 57 characters: the DLQ name "${"p".repeat(58)}-webhook-queue-dlq.fifo" would be 81 > 80`,
    ],
    ["a prefix that makes a role name longer than 64", { prefix: "p".repeat(27) }, `the role name "${"p".repeat(27)}-webhook-event-producer-execution-role" would be 65 > 64`],
    ["an empty prefix", { prefix: "" }, `prefix = "": only letters`],
    ["a route key without a method", { routeKey: "/sqs-hook" }, `routeKey = "/sqs-hook": 'METHOD /path', e.g. 'POST /sqs-hook'`],
    ["a route key with a bad method", { routeKey: "FETCH /sqs-hook" }, `routeKey = "FETCH /sqs-hook": 'METHOD /path'`],
    ["a route key whose path lacks a slash", { routeKey: "POST sqs-hook" }, `routeKey = "POST sqs-hook"`],
    ["an empty backend bucket", { backend: { kind: "s3", bucket: "", key: "k", region: "ap-northeast-1" } }, `backend.bucket = "": an S3 bucket name`],
    ["a backend key starting with /", { backend: { kind: "s3", bucket: "state-bucket", key: "/k", region: "ap-northeast-1" } }, `backend.key = "/k"`],
    ["a backend region that is no region", { backend: { kind: "s3", bucket: "state-bucket", key: "k", region: "tokyo" } }, `backend.region = "tokyo"`],
    ["a local backend without a path", { backend: { kind: "local", path: "" } }, `backend.path = ""`],
    ["a region that is no region", { region: "Tokyo" }, `region = "Tokyo": an AWS region such as ap-northeast-1`],
    ["a message group with spaces", { messageGroupId: "a b" }, `messageGroupId = "a b": 1..128 printable ASCII characters without spaces`],
    [
      "a visibility timeout below the function timeout",
      { visibilityTimeoutSeconds: 30 },
      `visibilityTimeoutSeconds = 30: at least functionTimeoutSeconds (60), or a message is redelivered while it is still being forwarded`,
    ],
    ["a function timeout over 15 minutes", { functionTimeoutSeconds: 901, visibilityTimeoutSeconds: 5000 }, `functionTimeoutSeconds = 901: a whole number of seconds, 1..900`],
    ["a FIFO batch over 10", { forwarder: { batchSize: 11 } }, `forwarder.batchSize = 11: 1..10 (the FIFO limit)`],
    ["a batch of 0", { forwarder: { batchSize: 0 } }, `forwarder.batchSize = 0: 1..10 (the FIFO limit)`],
    ["a forward timeout over the function timeout", { forwarder: { forwardTimeoutMs: 61000 } }, `forwarder.forwardTimeoutMs = 61000: a whole number of milliseconds, 100..60000`],
    ["an unknown packaging", { forwarder: { packaging: "tarball" as never } }, `forwarder.packaging = "tarball": 'archive_file' or 'zip'`],
    [
      "an http target outside the emulator",
      { forwarder: { routes: { g: { app: "http://app.example.com/hook" } } } },
      `forwarder.routes["g"]["app"] = "http://app.example.com/hook": an absolute https:// URL, or a path starting with '/' on the existing HTTP API`,
    ],
    ["a relative target", { forwarder: { routes: { g: { app: "app.example.com/hook" } } } }, `forwarder.routes["g"]["app"] = "app.example.com/hook"`],
    ["a group with no target", { forwarder: { routes: { g: {} } } }, `forwarder.routes["g"] = {}: at least one target`],
    ["no routes", { forwarder: { routes: {} } }, `forwarder.routes = {}: at least one message group`],
    ["an alarm age under a minute", { monitoring: { oldestMessageAgeSeconds: 10 } }, `monitoring.oldestMessageAgeSeconds = 10: 60..1209600 seconds`],
    ["an alarm e-mail that is none", { monitoring: { alarmEmails: ["ops"] } }, `monitoring.alarmEmails = "ops": an e-mail address`],
    ["an emulator endpoint that is no URL", { emulator: { endpoint: "localhost" } }, `emulator.endpoint = "localhost": an http(s) URL`],
    ["a stack name with spaces", { stackName: "mz dev" }, `stackName = "mz dev"`],
  ])("rejects %s", (_name, overrides, message) => {
    expect(problemsFor(overrides)).toContainEqual(expect.stringContaining(message));
  });

  test("http targets are allowed for the emulator profile only", () => {
    const routes = { g: { app: "http://127.0.0.1:8080/hook" } };
    expect(() => resolveSettings({ ...mzDev, forwarder: { routes }, emulator: { endpoint: "http://127.0.0.1:5000" } })).not.toThrow();
  });

  test("all problems are reported at once, in one message naming the stack", () => {
    expect(() => resolveSettings({ ...mzDev, prefix: "a b", routeKey: "x", forwarder: { batchSize: 20 } })).toThrow(
      /^Invalid settings for stack "mz-dev":\n {2}- prefix = "a b": .*\n {2}- routeKey = "x": .*\n {2}- forwarder\.batchSize = 20: .*$/,
    );
  });
});
