import { emulator, mergeSettings, mzDev } from "../../src/infrastructure/environments";
import { ingressAttributeNames, resolveSettings, routeKeyPath, SettingsError, WebhookQueueSettings } from "../../src/infrastructure/settings";

/** The problem lines resolveSettings reports for these overrides of the article's environment. */
function problemsFor(overrides: Partial<WebhookQueueSettings>): string[] {
  try {
    resolveSettings({ ...mzDev, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return [...(error as SettingsError).problems];
  }
  throw new Error(`settings ${JSON.stringify(overrides)} were accepted`);
}

const github = { scheme: "github", secretParameters: ["/webhooks/github"] } as const;

describe("resolveSettings: the article's environment", () => {
  test("resolves with the article's defaults: one unsigned source at POST /sqs-hook, group mz-dev-sqs-webhook", () => {
    const resolved = resolveSettings(mzDev);
    expect(resolved).toEqual({
      stackName: "mz-dev",
      prefix: "mz-dev",
      region: "ap-northeast-1",
      defaultTags: mzDev.defaultTags,
      backend: mzDev.backend,
      awsProvider: { name: "6.x", constraint: ">= 6.12.0, < 7.0.0", oldest: "6.12.0", verifiedBy: expect.any(String) },
      apigwName: undefined,
      defaultSource: "default",
      sources: {
        default: {
          name: "default",
          routeKey: "POST /sqs-hook",
          messageGroup: "mz-dev-sqs-webhook",
          deduplicationId: "$context.requestId",
          targets: { application: { url: "/application-hook" } },
        },
      },
      functionTimeoutSeconds: 60,
      visibilityTimeoutSeconds: 60,
      maxMessageSizeBytes: 1_048_576,
      preventQueueDestroy: true,
      queue: { highThroughput: false },
      packaging: "archive_file",
      forwarder: {
        batchSize: 1,
        forwardTimeoutMs: 55000,
        externallyServedPaths: [],
        memorySizeMb: 128,
        retry: { maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 },
      },
      quarantine: { retentionSeconds: 1_209_600 },
      application: { enabled: true, routeKey: "POST /application-hook", timeoutSeconds: 3, logLevel: "INFO" },
      monitoring: {
        enabled: true,
        oldestMessageAgeSeconds: 900,
        deadLetterExpiryWarningSeconds: 86_400,
        alarmEmails: [],
        extraAlarmActions: [],
        dashboard: true,
        deliveryFailureRate: { percent: 50, minutes: 15 },
      },
      emulator: undefined,
      warnings: [expect.stringContaining("visibilityTimeoutSeconds = 60 is below six times the function timeout (360)")],
    });
  });

  test("the emulator plans on the provider this machine holds: aws 5.100.0, its 256 KiB messages", () => {
    const resolved = resolveSettings(emulator({}));
    expect(resolved.awsProvider).toMatchObject({ name: "5.100", constraint: "5.100.0" });
    expect(resolved.maxMessageSizeBytes).toBe(262_144);
  });

  test("a smaller message size is kept on either line", () => {
    expect(resolveSettings({ ...mzDev, maxMessageSizeBytes: 65_536 }).maxMessageSizeBytes).toBe(65_536);
    expect(resolveSettings({ ...emulator({}), maxMessageSizeBytes: 1024 }).maxMessageSizeBytes).toBe(1024);
  });

  test("1 MiB on the 5.100 line is a settings error naming the line and the way out, not a plan failure", () => {
    expect(() => resolveSettings({ ...emulator({}), maxMessageSizeBytes: 1_048_576 })).toThrow(
      'maxMessageSizeBytes = 1048576: at most 262144 on the aws provider line "5.100" (5.100.0): hashicorp/aws accepts up to 1048576 from 6.8.0 (awsProvider "6.x")',
    );
  });

  test("six times the function timeout silences the warning", () => {
    expect(resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 360 }).warnings).toEqual([]);
  });

  test("a forward timeout times the batch size over the function timeout is a warning", () => {
    expect(resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 360, forwarder: { batchSize: 2, forwardTimeoutMs: 40_000 } }).warnings).toEqual([
      "forwarder.forwardTimeoutMs = 40000 times batchSize 2 exceeds the function timeout; a batch of hanging targets ends in a Lambda timeout",
    ]);
  });

  test("the default forward timeout shares the function timeout among a batch", () => {
    expect(
      resolveSettings({ ...mzDev, functionTimeoutSeconds: 30, visibilityTimeoutSeconds: 180, forwarder: { batchSize: 10 } }).forwarder
        .forwardTimeoutMs,
    ).toBe(2500);
  });

  test("options are kept: tags, backend with a DynamoDB table, apigw name, KMS key, alarm e-mails, the emulator", () => {
    const resolved = resolveSettings({
      ...mzDev,
      apigwName: "my-api",
      backend: { kind: "s3", bucket: "state-bucket", key: "k", region: "eu-west-1", dynamodbTable: "locks" },
      forwarder: { secretsKmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", memorySizeMb: 256 },
      monitoring: {
        alarmEmails: ["ops@example.com"],
        oldestMessageAgeSeconds: 60,
        deadLetterExpiryWarningSeconds: 3600,
        extraAlarmActions: ["arn:aws:sns:ap-northeast-1:123456789012:pager"],
      },
      emulator: { endpoint: "http://127.0.0.1:5000" },
      preventQueueDestroy: false,
      queue: { highThroughput: true },
    });
    expect(resolved).toMatchObject({
      apigwName: "my-api",
      backend: { dynamodbTable: "locks" },
      forwarder: { secretsKmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", memorySizeMb: 256 },
      monitoring: {
        alarmEmails: ["ops@example.com"],
        oldestMessageAgeSeconds: 60,
        deadLetterExpiryWarningSeconds: 3600,
        extraAlarmActions: ["arn:aws:sns:ap-northeast-1:123456789012:pager"],
      },
      emulator: { endpoint: "http://127.0.0.1:5000" },
      preventQueueDestroy: false,
      queue: { highThroughput: true },
    });
  });
});

describe("resolveSettings: sources", () => {
  test("a further source: its own route, one group per source by default, the request ID as deduplication ID", () => {
    const resolved = resolveSettings({ ...mzDev, sources: { default: {}, github: { signature: github } } });
    expect(resolved.sources.github).toEqual({
      name: "github",
      routeKey: "POST /webhooks/github",
      messageGroup: "github",
      deduplicationId: "$context.requestId",
      signature: github,
      targets: { application: { url: "/application-hook" } },
    });
  });

  test("entity groups and delivery IDs are request mappings into the body or a header", () => {
    const resolved = resolveSettings({
      ...mzDev,
      sources: { default: { messageGroup: "$request.body.data.object['customer']", deduplicationId: "$request.header.Stripe-Delivery" } },
    });
    expect(resolved.sources.default).toMatchObject({
      messageGroup: "$request.body.data.object['customer']",
      deduplicationId: "$request.header.Stripe-Delivery",
    });
    expect(resolveSettings({ ...mzDev, sources: { default: { messageGroup: "$request.body.items[0].id" } } }).sources.default.messageGroup).toBe(
      "$request.body.items[0].id",
    );
  });

  test("targets: a URL, or a URL with a signing secret", () => {
    const resolved = resolveSettings({
      ...mzDev,
      sources: {
        default: {
          targets: { application: { url: "/application-hook", signingSecretParameter: "/webhooks/app" }, audit: "https://audit.example.com/hook" },
        },
      },
    });
    expect(resolved.sources.default.targets).toEqual({
      application: { url: "/application-hook", signingSecretParameter: "/webhooks/app" },
      audit: { url: "https://audit.example.com/hook" },
    });
  });

  test("another default source keeps the article's route and group", () => {
    const resolved = resolveSettings({ ...mzDev, defaultSource: "article", sources: { article: {} } });
    expect(resolved.sources.article).toMatchObject({ routeKey: "POST /sqs-hook", messageGroup: "mz-dev-sqs-webhook" });
    expect(resolved.defaultSource).toBe("article");
  });

  test("http targets are allowed for the emulator profile only", () => {
    const sources = { default: { targets: { app: "http://127.0.0.1:8080/hook" } } };
    expect(() => resolveSettings({ ...mzDev, sources, emulator: { endpoint: "http://127.0.0.1:5000" } })).not.toThrow();
    expect(problemsFor({ sources })).toContainEqual(expect.stringContaining("an absolute https:// URL"));
  });

  test("a path served elsewhere may be a target once it is declared, with the dummy application off", () => {
    const resolved = resolveSettings({ ...mzDev, application: { enabled: false }, forwarder: { externallyServedPaths: ["/application-hook"] } });
    expect(resolved.sources.default.targets).toEqual({ application: { url: "/application-hook" } });
    expect(resolved.application.enabled).toBe(false);
  });

  test("the default target follows the application's route key", () => {
    const resolved = resolveSettings({ ...mzDev, application: { routeKey: "POST /hooks/app" } });
    expect(resolved.sources.default.targets).toEqual({ application: { url: "/hooks/app" } });
  });

  test("the attributes a source's ingress writes: three, and the headers of its scheme", () => {
    expect(ingressAttributeNames({})).toEqual(["webhook-source", "webhook-id", "webhook-received-at"]);
    expect(ingressAttributeNames({ signature: github })).toEqual([
      "webhook-source",
      "webhook-id",
      "webhook-received-at",
      "header.x-hub-signature-256",
    ]);
  });
});

describe("resolveSettings: every problem named with the setting, its value and what is allowed", () => {
  test.each<[string, Partial<WebhookQueueSettings>, string]>([
    ["a stack name with spaces", { stackName: "mz dev" }, `stackName = "mz dev": letters, digits, '_' and '-', starting with a letter`],
    ["a prefix SQS rejects", { prefix: "mz dev!" }, `prefix = "mz dev!": only letters, digits, '-' and '_'`],
    ["an empty prefix", { prefix: "" }, `prefix = "": only letters`],
    [
      "a prefix that makes the DLQ name longer than 80",
      { prefix: "p".repeat(58) },
      `prefix = "${"p".repeat(58)}": at most 57 characters: the DLQ name "${"p".repeat(58)}-webhook-queue-dlq.fifo" would be 81 > 80`,
    ],
    [
      "a prefix that makes a role name longer than 64",
      { prefix: "p".repeat(27) },
      `prefix = "${"p".repeat(27)}": at most 26 characters: the role name "${"p".repeat(27)}-webhook-event-producer-execution-role" would be 65 > 64`,
    ],
    ["a region that is no region", { region: "Tokyo" }, `region = "Tokyo": an AWS region such as ap-northeast-1`],
    ["a tag key for AWS only", { defaultTags: { "aws:owner": "x" } }, `defaultTags key = "aws:owner": 1..128 characters, not starting with 'aws:'`],
    [
      "a tag value over 256 characters",
      { defaultTags: { Owner: "o".repeat(257) } },
      `defaultTags.Owner = "${"o".repeat(257)}": a string of at most 256 characters`,
    ],
    [
      "no backend",
      { backend: undefined as never },
      `backend = undefined: an S3 backend { kind: 's3', bucket, key, region } or { kind: 'local', path }`,
    ],
    ["an unknown backend kind", { backend: { kind: "gcs" } as never }, `backend.kind = "gcs": 's3' or 'local'`],
    [
      "an empty backend bucket",
      { backend: { kind: "s3", bucket: "", key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "": an S3 bucket name`,
    ],
    [
      "a backend key starting with /",
      { backend: { kind: "s3", bucket: "state-bucket", key: "/k", region: "ap-northeast-1" } },
      `backend.key = "/k": a non-empty object key`,
    ],
    [
      "a backend region that is no region",
      { backend: { kind: "s3", bucket: "state-bucket", key: "k", region: "tokyo" } },
      `backend.region = "tokyo"`,
    ],
    ["a local backend without a path", { backend: { kind: "local", path: "" } }, `backend.path = "": a state file path`],
    ["an API name over 128 characters", { apigwName: "a".repeat(129) }, `apigwName = "${"a".repeat(129)}": 1..128 characters`],
    ["an empty API name", { apigwName: "" }, `apigwName = "": 1..128 characters`],
    [
      "a function timeout over 15 minutes",
      { functionTimeoutSeconds: 901, visibilityTimeoutSeconds: 5000 },
      `functionTimeoutSeconds = 901: a whole number of seconds, 1..900`,
    ],
    ["a function timeout of 0", { functionTimeoutSeconds: 0 }, `functionTimeoutSeconds = 0: a whole number of seconds, 1..900`],
    [
      "a visibility timeout over 12 hours",
      { visibilityTimeoutSeconds: 43_201 },
      `visibilityTimeoutSeconds = 43201: a whole number of seconds, 0..43200`,
    ],
    [
      "a visibility timeout below the function timeout",
      { visibilityTimeoutSeconds: 30 },
      `visibilityTimeoutSeconds = 30: at least functionTimeoutSeconds (60), or a message is redelivered while it is still being forwarded`,
    ],
    ["a FIFO batch over 10", { forwarder: { batchSize: 11 } }, `forwarder.batchSize = 11: 1..10 (the FIFO limit)`],
    ["a batch of 0", { forwarder: { batchSize: 0 } }, `forwarder.batchSize = 0: 1..10 (the FIFO limit)`],
    [
      "a forward timeout over the function timeout",
      { forwarder: { forwardTimeoutMs: 61000 } },
      `forwarder.forwardTimeoutMs = 61000: a whole number of milliseconds, 100..60000`,
    ],
    [
      "a forward timeout under 100 ms",
      { forwarder: { forwardTimeoutMs: 99 } },
      `forwarder.forwardTimeoutMs = 99: a whole number of milliseconds, 100..60000`,
    ],
    ["a forwarder memory under 128 MB", { forwarder: { memorySizeMb: 64 } }, `forwarder.memorySizeMb = 64: 128..10240`],
    ["a forwarder memory over 10 GB", { forwarder: { memorySizeMb: 10_241 } }, `forwarder.memorySizeMb = 10241: 128..10240`],
    ["a preventQueueDestroy that is no boolean", { preventQueueDestroy: "yes" as never }, `preventQueueDestroy = "yes": true or false`],
    ["a queue.highThroughput that is no boolean", { queue: { highThroughput: "on" as never } }, `queue.highThroughput = "on": true or false`],
    ["a queue section that is no object", { queue: true as never }, `queue = true: { highThroughput?: true or false }`],
    ["an unknown packaging", { packaging: "tarball" as never }, `packaging = "tarball": 'archive_file' or 'zip'`],
    [
      "an unknown provider line",
      { awsProvider: "7.x" as never },
      `awsProvider = "7.x": one of "6.x", "5.100" (src/infrastructure/provider-lines.ts)`,
    ],
    ["a message size over SQS's 1 MiB", { maxMessageSizeBytes: 1_048_577 }, `maxMessageSizeBytes = 1048577: a whole number of bytes, 1024..1048576`],
    ["a message size under SQS's 1 KiB", { maxMessageSizeBytes: 1023 }, `maxMessageSizeBytes = 1023: a whole number of bytes, 1024..1048576`],
    ["a message size in KiB", { maxMessageSizeBytes: 256.5 }, `maxMessageSizeBytes = 256.5: a whole number of bytes`],
    [
      "a KMS key that is no key ARN",
      { forwarder: { secretsKmsKeyArn: "alias/webhooks" } },
      `forwarder.secretsKmsKeyArn = "alias/webhooks": a KMS key ARN`,
    ],
    [
      "an external path that is no path",
      { forwarder: { externallyServedPaths: ["application-hook"] } },
      `forwarder.externallyServedPaths = "application-hook": a path on the existing HTTP API`,
    ],
    [
      "an application route key without a method",
      { application: { routeKey: "/application-hook" } },
      `application.routeKey = "/application-hook": 'METHOD /path'`,
    ],
    ["an application timeout of 0", { application: { timeoutSeconds: 0 } }, `application.timeoutSeconds = 0: a whole number of seconds, 1..900`],
    [
      "an unknown application log level",
      { application: { logLevel: "VERBOSE" as never } },
      `application.logLevel = "VERBOSE": TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT`,
    ],
    ["an alarm age under a minute", { monitoring: { oldestMessageAgeSeconds: 10 } }, `monitoring.oldestMessageAgeSeconds = 10: 60..1209600 seconds`],
    ["an alarm e-mail that is none", { monitoring: { alarmEmails: ["ops"] } }, `monitoring.alarmEmails = "ops": an e-mail address`],
    [
      "a failure-rate alarm over 100%",
      { monitoring: { deliveryFailureRate: { percent: 101 } } },
      `monitoring.deliveryFailureRate.percent = 101: 1..100`,
    ],
    [
      "a failure-rate window that is no multiple of 5 minutes",
      { monitoring: { deliveryFailureRate: { minutes: 12 } } },
      `monitoring.deliveryFailureRate.minutes = 12: 5..1440, a multiple of 5`,
    ],
    ["a dashboard that is no boolean", { monitoring: { dashboard: "yes" as never } }, `monitoring.dashboard = "yes": true or false`],
    [
      "an expiry warning under a minute",
      { monitoring: { deadLetterExpiryWarningSeconds: 30 } },
      `monitoring.deadLetterExpiryWarningSeconds = 30: 60..1209600 seconds`,
    ],
    [
      "an expiry warning over the longest retention",
      { monitoring: { deadLetterExpiryWarningSeconds: 1_209_601 } },
      `monitoring.deadLetterExpiryWarningSeconds = 1209601: 60..1209600 seconds`,
    ],
    [
      "an alarm action that is no ARN",
      { monitoring: { extraAlarmActions: ["pager"] } },
      `monitoring.extraAlarmActions = "pager": an ARN (arn:aws:sns:...)`,
    ],
    ["an emulator endpoint that is no URL", { emulator: { endpoint: "localhost" } }, `emulator.endpoint = "localhost": an http(s) URL`],
    ["an emulator endpoint that is not http", { emulator: { endpoint: "ftp://127.0.0.1" } }, `emulator.endpoint = "ftp://127.0.0.1": an http(s) URL`],
    ["no sources", { sources: {} }, `sources = {}: at least one source`],
    [
      "a default source that is none of the sources",
      { defaultSource: "github", sources: { default: {} } },
      `defaultSource = "github": one of the sources (default): it keeps the article's addresses`,
    ],
    [
      "a source name with a space",
      { sources: { default: {}, "git hub": {} } },
      `sources["git hub"] = "git hub": a source name: 1..48 letters, digits, '_' and '-'`,
    ],
    [
      "a source that is no object",
      { sources: { default: {}, github: "POST /gh" as never } },
      `sources["github"] = "POST /gh": { group, targets, signature? }`,
    ],
    [
      "a route key without a method",
      { sources: { default: { routeKey: "/sqs-hook" } } },
      `sources["default"].routeKey = "/sqs-hook": 'METHOD /path', e.g. 'POST /webhooks/github'`,
    ],
    [
      "a route key with a bad method",
      { sources: { default: { routeKey: "FETCH /sqs-hook" } } },
      `sources["default"].routeKey = "FETCH /sqs-hook": 'METHOD /path'`,
    ],
    [
      "a route key whose path lacks a slash",
      { sources: { default: { routeKey: "POST sqs-hook" } } },
      `sources["default"].routeKey = "POST sqs-hook": 'METHOD /path'`,
    ],
    [
      "two sources on one route",
      { sources: { default: {}, github: { routeKey: "POST /sqs-hook" } } },
      `sources["github"].routeKey = "POST /sqs-hook": a route of its own (source default has it)`,
    ],
    [
      "a source on the application's route",
      { sources: { default: { routeKey: "POST /application-hook" } } },
      `sources["default"].routeKey = "POST /application-hook": a route other than the application's (POST /application-hook)`,
    ],
    [
      "a message group with spaces",
      { sources: { default: { messageGroup: "a b" } } },
      `sources["default"].messageGroup = "a b": 1..128 printable ASCII characters without spaces`,
    ],
    [
      "a message group over 128 characters",
      { sources: { default: { messageGroup: "g".repeat(129) } } },
      `sources["default"].messageGroup = "${"g".repeat(129)}": 1..128`,
    ],
    [
      "a group mapping API Gateway cannot evaluate",
      { sources: { default: { messageGroup: "$request.body..customer" } } },
      `sources["default"].messageGroup = "$request.body..customer": a static group ID, $request.body.<JSONPath> or $request.header.<name>`,
    ],
    [
      "a group mapping of the query string",
      { sources: { default: { messageGroup: "$request.querystring.tenant" } } },
      `sources["default"].messageGroup = "$request.querystring.tenant": a static group ID`,
    ],
    [
      "a deduplication ID that is not a mapping",
      { sources: { default: { deduplicationId: "fixed" } } },
      `sources["default"].deduplicationId = "fixed": $context.requestId, or the provider's delivery ID`,
    ],
    [
      "a deduplication ID from another context variable",
      { sources: { default: { deduplicationId: "$context.requestTime" } } },
      `sources["default"].deduplicationId = "$context.requestTime"`,
    ],
    ["a source with no target", { sources: { default: { targets: {} } } }, `sources["default"]["targets"] = {}: at least one target`],
    [
      "an http target outside the emulator",
      { sources: { default: { targets: { app: "http://app.example.com/hook" } } } },
      `sources["default"]["targets"]["app"]["url"] = "http://app.example.com/hook": an absolute https:// URL, or a path starting with '/' on the existing HTTP API`,
    ],
    [
      "a relative target",
      { sources: { default: { targets: { app: "app.example.com/hook" } } } },
      `sources["default"]["targets"]["app"]["url"] = "app.example.com/hook"`,
    ],
    ["a target that is no URL at all", { sources: { default: { targets: { app: 42 as never } } } }, `sources["default"]["targets"]["app"]`],
    [
      "a signing secret that is no parameter name",
      { sources: { default: { targets: { application: { url: "/application-hook", signingSecretParameter: "white space" } } } } },
      `sources["default"]["targets"]["application"]["signingSecretParameter"] = "white space": an SSM parameter name`,
    ],
    [
      "a signature that is no object",
      { sources: { default: { signature: "github" as never } } },
      `sources["default"]["signature"] = "github": { scheme:`,
    ],
    [
      "a signature scheme that does not exist",
      { sources: { default: { signature: { scheme: "md5", secretParameters: ["/s"] } as never } } },
      `sources["default"]["signature"]["scheme"] = "md5": github, stripe, standard-webhooks, hmac-sha256`,
    ],
    [
      "a signature without secrets",
      { sources: { default: { signature: { scheme: "github", secretParameters: [] } } } },
      `sources["default"]["signature"]["secretParameters"] = []: one or more SSM parameter names (several while a secret rotates)`,
    ],
    [
      "a generic HMAC without its header",
      { sources: { default: { signature: { scheme: "hmac-sha256", encoding: "hex", secretParameters: ["/s"] } as never } } },
      `sources["default"]["signature"]["header"] = undefined: the name of the header carrying the signature`,
    ],
    [
      "a generic HMAC without its encoding",
      { sources: { default: { signature: { scheme: "hmac-sha256", header: "X-Sig", secretParameters: ["/s"] } as never } } },
      `sources["default"]["signature"]["encoding"] = undefined: hex or base64`,
    ],
    [
      "a generic HMAC prefix that is no string",
      {
        sources: {
          default: { signature: { scheme: "hmac-sha256", header: "X-Sig", encoding: "hex", prefix: 1, secretParameters: ["/s"] } as never },
        },
      },
      `sources["default"]["signature"]["prefix"] = 1: a string, e.g. sha256=`,
    ],
    [
      "a tolerance of more than a day",
      { sources: { default: { signature: { scheme: "stripe", secretParameters: ["/s"], toleranceSeconds: 86_401 } } } },
      `sources["default"]["signature"]["toleranceSeconds"] = 86401: 1..86400 seconds`,
    ],
    [
      "a tolerance on github, whose signatures carry no timestamp",
      { sources: { default: { signature: { scheme: "github", secretParameters: ["/s"], toleranceSeconds: 300 } as never } } },
      `sources["default"]["signature"]["toleranceSeconds"] = 300: nothing: github signatures carry no timestamp (only stripe and standard-webhooks do)`,
    ],
    [
      "two sources writing one static group (the forwarder knows a source by its group)",
      { sources: { default: {}, shop: { messageGroup: "mz-dev-sqs-webhook" } } },
      `sources["shop"].messageGroup = "mz-dev-sqs-webhook": a group of its own (source default writes it too)`,
    ],
    [
      "a static group in another source's mapped groups",
      { sources: { default: {}, github: { messageGroup: "$request.body.repository.id" }, legacy: { messageGroup: "github:42" } } },
      `sources["legacy"].messageGroup = "github:42": a group not starting with "github:", which source github writes before its mapped values`,
    ],
    [
      "a target URL with a user and password",
      { sources: { default: { targets: { app: "https://user:pass@app.example.com/hook" } } } },
      `sources["default"].targets["app"].url = "https://<credentials>@app.example.com/hook": a URL without credentials (user:password@): they would sit in the Lambda environment and the Terraform state`,
    ],
    [
      "a target URL with a token in its query",
      { sources: { default: { targets: { app: "https://app.example.com/hook?tenant=1&access_token=abc" } } } },
      `sources["default"].targets["app"].url = "https://app.example.com/hook?tenant=1&access_token=abc": a URL without credentials (?access_token=)`,
    ],
    [
      "a target that is an API Gateway URL of an ingress route (a loop)",
      { sources: { default: { targets: { app: "https://abc123xyz.execute-api.ap-northeast-1.amazonaws.com/sqs-hook" } } } },
      `sources["default"].targets["app"].url = "https://abc123xyz.execute-api.ap-northeast-1.amazonaws.com/sqs-hook": not an API Gateway URL of an ingress route (/sqs-hook is source default's)`,
    ],
    ["a reserved concurrency of 1", { forwarder: { reservedConcurrency: 1 } }, `forwarder.reservedConcurrency = 1: a whole number from 2`],
    ["a reserved concurrency that is no number", { forwarder: { reservedConcurrency: "all" as never } }, `forwarder.reservedConcurrency = "all"`],
    ["a retry budget under a minute", { forwarder: { retry: { maxAgeSeconds: 30 } } }, `forwarder.retry.maxAgeSeconds = 30: 60..172800 seconds`],
    [
      "a retry budget the queue's retention would cut short",
      { forwarder: { retry: { maxAgeSeconds: 259_200 } } },
      `forwarder.retry.maxAgeSeconds = 259200: 60..172800 seconds (the queue keeps a message 4 days`,
    ],
    ["a first backoff of no time", { forwarder: { retry: { initialDelaySeconds: 0 } } }, `forwarder.retry.initialDelaySeconds = 0: 1..43200`],
    [
      "a longest backoff beyond the budget",
      { forwarder: { retry: { maxAgeSeconds: 600, maxDelaySeconds: 900 } } },
      `forwarder.retry.maxDelaySeconds = 900: at most maxAgeSeconds (600)`,
    ],
    [
      "a retry setting that does not exist",
      { forwarder: { retry: { attempts: 5 } as never } },
      `forwarder.retry.attempts = 5: nothing: not a retry setting`,
    ],
    [
      "retry: true",
      { forwarder: { retry: true as never } },
      `forwarder.retry = true: false, or { maxAgeSeconds, initialDelaySeconds, maxDelaySeconds }`,
    ],
    [
      "a quarantine kept over 14 days",
      { quarantine: { retentionSeconds: 1_209_601 } },
      `quarantine.retentionSeconds = 1209601: a whole number of seconds from 60`,
    ],
    ["a quarantine kept under a minute", { quarantine: { retentionSeconds: 59 } }, `quarantine.retentionSeconds = 59`],
    [
      "a tolerance of 0",
      { sources: { default: { signature: { scheme: "standard-webhooks", secretParameters: ["/s"], toleranceSeconds: 0 } } } },
      `sources["default"]["signature"]["toleranceSeconds"] = 0: 1..86400 seconds`,
    ],
    [
      "a target path nothing serves, with the dummy application off",
      { application: { enabled: false } },
      `sources["default"].targets["application"] = "/application-hook": a path this stack's routes serve, or one listed in forwarder.externallyServedPaths (served now: none; application.enabled is false)`,
    ],
    [
      "a target path that is not the application's",
      { sources: { default: { targets: { app: "/other-hook?x=1" } } } },
      `sources["default"].targets["app"] = "/other-hook?x=1": a path this stack's routes serve, or one listed in forwarder.externallyServedPaths (served now: /application-hook (application.routeKey (POST /application-hook)))`,
    ],
    [
      "a target that is a webhook route",
      { sources: { default: {}, github: { targets: { loop: "/sqs-hook" } } } },
      `sources["github"].targets["loop"] = "/sqs-hook": not a webhook route (source default writes it into the queue): every webhook would be queued again, forever`,
    ],
    ["no stack name", { stackName: undefined as never }, `stackName = undefined: letters, digits, '_' and '-', starting with a letter`],
    ["a stack name starting with a digit", { stackName: "1mz" }, `stackName = "1mz": letters`],
    ["a stack name with a trailing dot", { stackName: "mz." }, `stackName = "mz.": letters`],
    ["no prefix", { prefix: undefined as never }, `prefix = undefined: only letters, digits, '-' and '_'`],
    ["a prefix with a trailing dot", { prefix: "mz." }, `prefix = "mz.": only letters`],
    ["no region", { region: undefined as never }, `region = undefined: an AWS region such as ap-northeast-1`],
    ["a region with two digits", { region: "ap-northeast-12" }, `region = "ap-northeast-12"`],
    ["a region in capitals", { region: "AP-NORTHEAST-1" }, `region = "AP-NORTHEAST-1"`],
    ["a region without its number", { region: "ap-northeast-" }, `region = "ap-northeast-"`],
    ["a region with a prefix", { region: "xap-northeast-1" }, `region = "xap-northeast-1"`],
    ["an empty tag key", { defaultTags: { "": "x" } }, `defaultTags key = "": 1..128 characters, not starting with 'aws:'`],
    ["a tag key over 128 characters", { defaultTags: { ["k".repeat(129)]: "x" } }, `defaultTags key = "${"k".repeat(129)}": 1..128 characters`],
    ["a tag value that is no string", { defaultTags: { Owner: 42 as never } }, `defaultTags.Owner = 42: a string of at most 256 characters`],
    ["a backend bucket of two characters", { backend: { kind: "s3", bucket: "ab", key: "k", region: "ap-northeast-1" } }, `backend.bucket = "ab"`],
    [
      "a backend bucket over 63 characters",
      { backend: { kind: "s3", bucket: "b".repeat(64), key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "${"b".repeat(64)}"`,
    ],
    [
      "a backend bucket with capitals",
      { backend: { kind: "s3", bucket: "State-Bucket", key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "State-Bucket"`,
    ],
    [
      "a backend bucket starting with a dash",
      { backend: { kind: "s3", bucket: "-bucket", key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "-bucket"`,
    ],
    [
      "a backend bucket ending with a dash",
      { backend: { kind: "s3", bucket: "bucket-", key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "bucket-"`,
    ],
    [
      "a backend bucket with an underscore",
      { backend: { kind: "s3", bucket: "state_bucket", key: "k", region: "ap-northeast-1" } },
      `backend.bucket = "state_bucket"`,
    ],
    [
      "no backend bucket",
      { backend: { kind: "s3", key: "k", region: "ap-northeast-1" } as never },
      `backend.bucket = undefined: an S3 bucket name (3..63 of a-z, 0-9, '.', '-')`,
    ],
    [
      "an empty backend key",
      { backend: { kind: "s3", bucket: "state-bucket", key: "", region: "ap-northeast-1" } },
      `backend.key = "": a non-empty object key not starting with '/'`,
    ],
    [
      "no backend region",
      { backend: { kind: "s3", bucket: "state-bucket", key: "k" } as never },
      `backend.region = undefined: an AWS region such as ap-northeast-1`,
    ],
    ["a local backend with no path at all", { backend: { kind: "local" } as never }, `backend.path = undefined: a state file path`],
    ["a function timeout that is not whole", { functionTimeoutSeconds: 1.5 }, `functionTimeoutSeconds = 1.5: a whole number of seconds, 1..900`],
    ["a function timeout given as text", { functionTimeoutSeconds: "60" as never }, `functionTimeoutSeconds = "60"`],
    ["a negative visibility timeout", { visibilityTimeoutSeconds: -1 }, `visibilityTimeoutSeconds = -1: a whole number of seconds, 0..43200`],
    [
      "a visibility timeout that is not whole",
      { visibilityTimeoutSeconds: 360.5 },
      `visibilityTimeoutSeconds = 360.5: a whole number of seconds, 0..43200`,
    ],
    [
      "a visibility timeout of 0",
      { visibilityTimeoutSeconds: 0 },
      `visibilityTimeoutSeconds = 0: at least functionTimeoutSeconds (60), or a message is redelivered while it is still being forwarded`,
    ],
    ["a batch that is not whole", { forwarder: { batchSize: 1.5 } }, `forwarder.batchSize = 1.5: 1..10 (the FIFO limit)`],
    [
      "a forward timeout that is not whole",
      { forwarder: { forwardTimeoutMs: 1000.5 } },
      `forwarder.forwardTimeoutMs = 1000.5: a whole number of milliseconds, 100..60000 (the function timeout)`,
    ],
    [
      "a forward timeout over a shorter function timeout",
      { functionTimeoutSeconds: 10, visibilityTimeoutSeconds: 60, forwarder: { forwardTimeoutMs: 10_001 } },
      `forwarder.forwardTimeoutMs = 10001: a whole number of milliseconds, 100..10000 (the function timeout)`,
    ],
    ["a forwarder memory that is not whole", { forwarder: { memorySizeMb: 200.5 } }, `forwarder.memorySizeMb = 200.5: 128..10240`],
    [
      "an application timeout over 15 minutes",
      { application: { timeoutSeconds: 901 } },
      `application.timeoutSeconds = 901: a whole number of seconds, 1..900`,
    ],
    ["an application timeout that is not whole", { application: { timeoutSeconds: 2.5 } }, `application.timeoutSeconds = 2.5`],
    ["a lower-case application log level", { application: { logLevel: "info" as never } }, `application.logLevel = "info"`],
    [
      "an external path that is no string",
      { forwarder: { externallyServedPaths: [42 as never] } },
      `forwarder.externallyServedPaths = 42: a path on the existing HTTP API`,
    ],
    ["an external path with a space", { forwarder: { externallyServedPaths: ["/a b"] } }, `forwarder.externallyServedPaths = "/a b"`],
    ["an external path with a leading space", { forwarder: { externallyServedPaths: [" /a"] } }, `forwarder.externallyServedPaths = " /a"`],
    [
      "a KMS key ARN of an alias",
      { forwarder: { secretsKmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:alias/webhooks" } },
      `forwarder.secretsKmsKeyArn = "arn:aws:kms:ap-northeast-1:123456789012:alias/webhooks": a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>`,
    ],
    [
      "a KMS key ARN with an 11-digit account",
      { forwarder: { secretsKmsKeyArn: "arn:aws:kms:ap-northeast-1:12345678901:key/1234abcd" } },
      `forwarder.secretsKmsKeyArn = "arn:aws:kms:ap-northeast-1:12345678901:key/1234abcd"`,
    ],
    [
      "a KMS key ARN with something after the key",
      { forwarder: { secretsKmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd extra" } },
      `forwarder.secretsKmsKeyArn = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd extra"`,
    ],
    [
      "a KMS key ARN with something before it",
      { forwarder: { secretsKmsKeyArn: "x arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd" } },
      `forwarder.secretsKmsKeyArn = "x arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd"`,
    ],
    [
      "an alarm age over the longest retention",
      { monitoring: { oldestMessageAgeSeconds: 1_209_601 } },
      `monitoring.oldestMessageAgeSeconds = 1209601: 60..1209600 seconds`,
    ],
    ["an alarm age that is not whole", { monitoring: { oldestMessageAgeSeconds: 90.5 } }, `monitoring.oldestMessageAgeSeconds = 90.5`],
    [
      "an alarm e-mail without a domain dot",
      { monitoring: { alarmEmails: ["ops@example"] } },
      `monitoring.alarmEmails = "ops@example": an e-mail address`,
    ],
    ["an alarm e-mail with a space", { monitoring: { alarmEmails: ["o ps@example.com"] } }, `monitoring.alarmEmails = "o ps@example.com"`],
    ["an alarm e-mail with two @", { monitoring: { alarmEmails: ["ops@@example.com"] } }, `monitoring.alarmEmails = "ops@@example.com"`],
    ["an alarm action without a service", { monitoring: { extraAlarmActions: ["arn:aws::x"] } }, `monitoring.extraAlarmActions = "arn:aws::x"`],
    [
      "an alarm action with something before it",
      { monitoring: { extraAlarmActions: ["x arn:aws:sns:ap-northeast-1:1:t"] } },
      `monitoring.extraAlarmActions = "x arn:aws:sns:ap-northeast-1:1:t"`,
    ],
    ["an empty emulator endpoint", { emulator: { endpoint: "" } }, `emulator.endpoint = "": an http(s) URL such as http://127.0.0.1:5000`],
    [
      "sources that are a name",
      { sources: "github" as never },
      `sources = "github": at least one source { <name>: { routeKey?, messageGroup?, deduplicationId?, signature?, targets? } }`,
    ],
    ["sources that are a list", { sources: [] as never }, `sources = []: at least one source`],
    [
      "a default source missing among several",
      { defaultSource: "article", sources: { default: {}, github: {} } },
      `defaultSource = "article": one of the sources (default, github): it keeps the article's addresses`,
    ],
    [
      "a group mapping without a body path",
      { sources: { default: { messageGroup: "$request.body" } } },
      `sources["default"].messageGroup = "$request.body"`,
    ],
    [
      "a group mapping of a header without a name",
      { sources: { default: { messageGroup: "$request.header." } } },
      `sources["default"].messageGroup = "$request.header."`,
    ],
    [
      "a group mapping with something after it",
      { sources: { default: { messageGroup: "$request.header.X-Tenant " } } },
      `sources["default"].messageGroup = "$request.header.X-Tenant "`,
    ],
    [
      "a group mapping with something before it",
      { sources: { default: { messageGroup: "$x$request.header.X-Tenant" } } },
      `sources["default"].messageGroup = "$x$request.header.X-Tenant"`,
    ],
    [
      "an empty message group",
      { sources: { default: { messageGroup: "" } } },
      `sources["default"].messageGroup = "": 1..128 printable ASCII characters without spaces`,
    ],
    [
      "a route key with a space in its path",
      { sources: { default: { routeKey: "POST /sqs hook" } } },
      `sources["default"].routeKey = "POST /sqs hook"`,
    ],
    [
      "a route key with something before the method",
      { sources: { default: { routeKey: " POST /sqs-hook" } } },
      `sources["default"].routeKey = " POST /sqs-hook"`,
    ],
    [
      "an application route key with a bad method",
      { application: { routeKey: "FETCH /application-hook" } },
      `application.routeKey = "FETCH /application-hook": 'METHOD /path', e.g. 'POST /application-hook'`,
    ],
    [
      "an http target in the emulator that is not even a URL",
      { emulator: { endpoint: "http://127.0.0.1:5000" }, sources: { default: { targets: { app: "ftp://127.0.0.1/hook" } } } },
      `sources["default"]["targets"]["app"]["url"] = "ftp://127.0.0.1/hook": an absolute https:// or http:// URL, or a path starting with '/' on the existing HTTP API (http: in the emulator)`,
    ],
    [
      "a target path nothing serves, with an external path declared and the dummy application off",
      { application: { enabled: false }, forwarder: { externallyServedPaths: ["/real-app"] } },
      `sources["default"].targets["application"] = "/application-hook": a path this stack's routes serve, or one listed in forwarder.externallyServedPaths (served now: /real-app (forwarder.externallyServedPaths); application.enabled is false); nothing answers it, so every webhook would be dead-lettered`,
    ],
    [
      "a target path nothing serves, with the application and an external path",
      { forwarder: { externallyServedPaths: ["/real-app"] }, sources: { default: { targets: { app: "/other-hook" } } } },
      `(served now: /application-hook (application.routeKey (POST /application-hook)), /real-app (forwarder.externallyServedPaths)); nothing answers it`,
    ],
    [
      "a target that is a webhook route, with a fragment",
      { sources: { default: {}, github: { targets: { loop: "/sqs-hook#x" } } } },
      `sources["github"].targets["loop"] = "/sqs-hook#x": not a webhook route (source default writes it into the queue)`,
    ],
    [
      "a target that is its own source's route",
      { sources: { default: { targets: { loop: "/sqs-hook" } } } },
      `sources["default"].targets["loop"] = "/sqs-hook": not a webhook route (source default writes it into the queue)`,
    ],
  ])("rejects %s", (_name, overrides, message) => {
    expect(problemsFor(overrides)).toContainEqual(expect.stringContaining(message));
  });

  test("a scheme whose headers do not fit in SQS's 10 message attributes is refused", () => {
    // Standard Webhooks needs 6 header attributes (webhook-* and svix-*) besides the 3 of every message: 9 fit.
    expect(() =>
      resolveSettings({ ...mzDev, sources: { default: { signature: { scheme: "standard-webhooks", secretParameters: ["/s"] } } } }),
    ).not.toThrow();
  });

  test("a derived group ID is only as wrong as the prefix: reported once, as the prefix", () => {
    expect(problemsFor({ prefix: "a b" }).filter((line) => line.includes("messageGroup"))).toEqual([]);
  });

  test("all problems are reported at once, in one message naming the stack", () => {
    expect(() => resolveSettings({ ...mzDev, prefix: "a b", region: "x", forwarder: { batchSize: 20 } })).toThrow(
      /^Invalid settings for stack "mz-dev":\n {2}- prefix = "a b": .*\n {2}- region = "x": .*\n {2}- forwarder\.batchSize = 20: .*$/,
    );
  });
});

describe("resolveSettings: who may reach the targets", () => {
  const github = { signature: { scheme: "github" as const, secretParameters: ["/webhooks/github"] } };

  test("a signed source whose target gets neither the stack's signature nor IAM authorization is a warning: anyone may post forgeries there", () => {
    const resolved = resolveSettings({
      ...mzDev,
      visibilityTimeoutSeconds: 360,
      sources: { default: {}, github: { ...github, targets: { app: "https://app.example.com/hook" } } },
    });
    expect(resolved.warnings).toEqual([
      'sources["github"].targets["app"] receives source github\'s verified webhooks with neither the stack\'s signature (signingSecretParameter) nor IAM authorization: anyone who finds https://app.example.com/hook can post forged ones to it directly',
    ]);
  });

  test("no warning for a target the stack signs for, for the application's route (IAM), or for an unsigned source", () => {
    const targets = { signed: { url: "https://app.example.com/hook", signingSecretParameter: "/webhooks/app" }, application: "/application-hook" };
    expect(
      resolveSettings({
        ...mzDev,
        visibilityTimeoutSeconds: 360,
        sources: { default: { targets: { app: "https://app.example.com/hook" } }, github: { ...github, targets } },
      }).warnings,
    ).toEqual([]);
  });

  test("a path of the API the application's stack serves is not IAM-protected by this stack: warned", () => {
    const resolved = resolveSettings({
      ...mzDev,
      visibilityTimeoutSeconds: 360,
      application: { enabled: false },
      forwarder: { externallyServedPaths: ["/application-hook"] },
      sources: { default: { targets: { application: "/application-hook" } }, github: { ...github, targets: { application: "/application-hook" } } },
    });
    expect(resolved.warnings).toEqual([expect.stringContaining('sources["github"].targets["application"] receives')]);
  });

  test("URLs whose query names are harmless, and http(s) URLs of other API Gateway routes, pass", () => {
    expect(() =>
      resolveSettings({
        ...mzDev,
        sources: {
          default: {
            targets: { a: "https://app.example.com/hook?tenant=1&format=json", b: "https://abc.execute-api.ap-northeast-1.amazonaws.com/orders" },
          },
        },
      }),
    ).not.toThrow();
  });

  test("reserved concurrency and the quarantine's retention are kept", () => {
    const resolved = resolveSettings({ ...mzDev, forwarder: { reservedConcurrency: 20 }, quarantine: { retentionSeconds: 86_400 } });
    expect(resolved.forwarder.reservedConcurrency).toBe(20);
    expect(resolved.quarantine).toEqual({ retentionSeconds: 86_400 });
    expect(resolveSettings(mzDev).forwarder).not.toHaveProperty("reservedConcurrency");
  });

  test("retries inside the queue: the defaults, each field overridable, or off with false", () => {
    expect(resolveSettings(mzDev).forwarder.retry).toEqual({ maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 });
    expect(resolveSettings({ ...mzDev, forwarder: { retry: { maxAgeSeconds: 7200 } } }).forwarder.retry).toEqual({
      maxAgeSeconds: 7200,
      initialDelaySeconds: 5,
      maxDelaySeconds: 300,
    });
    expect(resolveSettings({ ...mzDev, forwarder: { retry: false } }).forwarder).not.toHaveProperty("retry");
  });
});

describe("resolveSettings: what is just allowed resolves", () => {
  test.each<[string, Partial<WebhookQueueSettings>]>([
    ["a one-letter stack name", { stackName: "m" }],
    ["a stack name of letters, digits, '_' and '-'", { stackName: "mz_dev-2" }],
    ["the longest prefix (26 characters: a 64-character role name)", { prefix: "p".repeat(26) }],
    ["a prefix of letters, digits, '_' and '-'", { prefix: "Mz_dev-2" }],
    ["a GovCloud region", { region: "us-gov-west-1" }],
    ["an ISO region", { region: "us-isob-east-1" }],
    ["another ISO region", { region: "us-iso-east-1" }],
    ["a China region", { region: "cn-north-1" }],
    ["a 128-character tag key and a 256-character value", { defaultTags: { ["k".repeat(128)]: "v".repeat(256) } }],
    ["an empty tag value", { defaultTags: { Owner: "" } }],
    ["a tag key with aws: inside it", { defaultTags: { "team:aws:x": "v" } }],
    ["a three-character bucket", { backend: { kind: "s3", bucket: "abc", key: "k", region: "ap-northeast-1" } }],
    ["a 63-character bucket with dots and digits", { backend: { kind: "s3", bucket: `a.${"b".repeat(59)}-1`, key: "a/b", region: "us-gov-west-1" } }],
    ["a local backend", { backend: { kind: "local", path: "terraform.tfstate" } }],
    ["a 128-character API name", { apigwName: "a".repeat(128) }],
    ["the longest function timeout", { functionTimeoutSeconds: 900, visibilityTimeoutSeconds: 5400 }],
    ["the shortest function timeout", { functionTimeoutSeconds: 1 }],
    ["the longest visibility timeout", { visibilityTimeoutSeconds: 43_200 }],
    ["a visibility timeout equal to the function timeout", { functionTimeoutSeconds: 30, visibilityTimeoutSeconds: 30 }],
    ["the largest batch", { forwarder: { batchSize: 10 } }],
    ["the shortest forward timeout", { forwarder: { forwardTimeoutMs: 100 } }],
    ["a forward timeout equal to the function timeout", { forwarder: { forwardTimeoutMs: 60_000 } }],
    ["the least memory", { forwarder: { memorySizeMb: 128 } }],
    ["the most memory", { forwarder: { memorySizeMb: 10_240 } }],
    ["zip packaging", { packaging: "zip" }],
    ["an application timeout of 1 s", { application: { timeoutSeconds: 1 } }],
    ["an application timeout of 15 minutes", { application: { timeoutSeconds: 900 } }],
    ["an external path with every character a route path may have", { forwarder: { externallyServedPaths: ["/a.b_c~d-e/{id}/f+"] } }],
    ["a KMS key in another partition", { forwarder: { secretsKmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234" } }],
    ["the shortest alarm ages", { monitoring: { oldestMessageAgeSeconds: 60, deadLetterExpiryWarningSeconds: 60 } }],
    ["the longest alarm ages", { monitoring: { oldestMessageAgeSeconds: 1_209_600, deadLetterExpiryWarningSeconds: 1_209_600 } }],
    ["an alarm action in another partition", { monitoring: { extraAlarmActions: ["arn:aws-cn:sns:cn-north-1:123456789012:pager"] } }],
    ["an https emulator endpoint", { emulator: { endpoint: "https://localhost:5000" } }],
    [
      "a 128-character message group of printable ASCII",
      { sources: { default: { messageGroup: `!#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~${"g".repeat(97)}` } } },
    ],
    ["a group mapping of a header", { sources: { default: { messageGroup: "$request.header.X-Tenant" } } }],
    ["a group mapping into the body with brackets", { sources: { default: { messageGroup: "$request.body['data object'][0].id" } } }],
    ["a delivery ID from the body", { sources: { default: { deduplicationId: "$request.body.id" } } }],
    ["a route key with every method", { sources: { default: { routeKey: "ANY /a.b_c~d-e/{id}/f+" } } }],
    ["a target path with a query, served by the application", { sources: { default: { targets: { app: "/application-hook?tenant=a" } } } }],
    [
      "a generic HMAC scheme (one header)",
      { sources: { default: { signature: { scheme: "hmac-sha256", header: "X-Sig", encoding: "hex", secretParameters: ["/s"] } } } },
    ],
  ])("%s", (_name, overrides) => {
    expect(() => resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 360, ...overrides })).not.toThrow();
  });

  test("the message group limit is 128 characters", () => {
    expect(problemsFor({ sources: { default: { messageGroup: "g".repeat(129) } } })).toHaveLength(1);
    expect(() => resolveSettings({ ...mzDev, sources: { default: { messageGroup: "g".repeat(128) } } })).not.toThrow();
  });

  test("a prefix of 27 characters breaks the role name only; one of 57 still fits the DLQ name", () => {
    expect(problemsFor({ prefix: "p".repeat(27) })).toEqual([expect.stringContaining("the role name")]);
    expect(problemsFor({ prefix: "p".repeat(57) })).toEqual([expect.stringContaining("the role name")]);
  });

  test("without sources, the default source is the only one, wherever it is named", () => {
    const resolved = resolveSettings({ ...mzDev, defaultSource: "article" });
    expect(Object.keys(resolved.sources)).toEqual(["article"]);
    expect(resolved.sources.article).toMatchObject({ routeKey: "POST /sqs-hook", messageGroup: "mz-dev-sqs-webhook" });
  });

  test("a forward timeout times the batch size equal to the function timeout is no warning", () => {
    expect(resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 360, forwarder: { batchSize: 2, forwardTimeoutMs: 30_000 } }).warnings).toEqual([]);
  });

  test("a visibility timeout just below six times the function timeout is still a warning", () => {
    expect(resolveSettings({ ...mzDev, visibilityTimeoutSeconds: 359 }).warnings).toEqual([
      "visibilityTimeoutSeconds = 359 is below six times the function timeout (360), as AWS advises for SQS event sources; throttled retries may count as receives",
    ]);
  });

  test("a delivery ID mapped on an unsigned source warns that requests without it are merged; a signed source or the request ID does not", () => {
    const settings = { ...mzDev, visibilityTimeoutSeconds: 360 };
    expect(resolveSettings({ ...settings, sources: { default: { deduplicationId: "$request.header.X-Delivery" } } }).warnings).toEqual([
      `sources["default"].deduplicationId = $request.header.X-Delivery on an unsigned source: requests without it all get the deduplication ID "default:", and SQS keeps only the first of them in any 5 minutes; map a value every delivery carries, or keep $context.requestId`,
    ]);
    const signed = { scheme: "github", secretParameters: ["/github"] } as const;
    expect(
      resolveSettings({ ...settings, sources: { default: { deduplicationId: "$request.header.X-GitHub-Delivery", signature: signed } } }).warnings,
    ).toEqual([]);
    expect(resolveSettings({ ...settings, sources: { default: { deduplicationId: "$context.requestId" } } }).warnings).toEqual([]);
  });

  test("a group or deduplication ID mapped from a field or header that does not name an ID warns that SQS may refuse it (over 128 characters, not ASCII)", () => {
    const settings = { ...mzDev, visibilityTimeoutSeconds: 360 };
    const signature = { scheme: "github", secretParameters: ["/github"] } as const;
    const warningsFor = (source: { messageGroup?: string; deduplicationId?: string }) =>
      resolveSettings({ ...settings, sources: { default: {}, github: { signature, ...source } } }).warnings;
    expect(warningsFor({ messageGroup: "$request.body.repository.full_name", deduplicationId: "$request.header.X-GitHub-Title" })).toEqual([
      `sources["github"].messageGroup = $request.body.repository.full_name: its last step, "full_name", does not name an ID (id, uuid, guid, key, number, sha, hash, delivery), so it may hold free text (spaces, non-ASCII) or more than the 121 characters left after "github:"; SQS refuses such a MessageGroupId and the SaaS gets 400: the webhook is lost. Group by a field that holds an ID (e.g. repository.id, not repository.full_name)`,
      `sources["github"].deduplicationId = $request.header.X-GitHub-Title: its last step, "X-GitHub-Title", does not name an ID (id, uuid, guid, key, number, sha, hash, delivery), so it may hold free text (spaces, non-ASCII) or more than the 121 characters left after "github:"; SQS refuses such a MessageDeduplicationId and the SaaS gets 400: the webhook is lost. Map the provider's delivery ID (e.g. $request.header.X-GitHub-Delivery), or keep $context.requestId`,
    ]);
    expect(warningsFor({ messageGroup: "$request.body.items[0]" })).toEqual([expect.stringContaining('its last step, "[0]", does not name an ID')]);
    expect(warningsFor({ messageGroup: "$request.body.data.object['customer']" })).toEqual([expect.stringContaining('its last step, "customer"')]);
    for (const messageGroup of [
      "$request.body.repository.id",
      "$request.body.installation_id",
      "$request.body.data.object['customerId']",
      "$request.body.orderID",
      "$request.body.event_uuid",
      "$request.body.issue.number",
      "$request.body.head_commit.sha",
      "$request.header.Idempotency-Key",
      "$request.header.X-Request-Id",
    ])
      expect(warningsFor({ messageGroup, deduplicationId: "$request.header.X-GitHub-Delivery" })).toEqual([]);
  });

  test("a KMS key is kept only when given", () => {
    expect(resolveSettings(mzDev).forwarder).not.toHaveProperty("secretsKmsKeyArn");
  });

  test("an invalid signature is reported once, as its shape, without counting its headers", () => {
    expect(
      problemsFor({ sources: { default: { signature: { scheme: "hmac-sha256", encoding: "hex", header: 5, secretParameters: ["/s"] } as never } } }),
    ).toEqual([`sources["default"]["signature"]["header"] = 5: the name of the header carrying the signature`]);
  });

  test("every problem of the sources comes with the setting's name", () => {
    expect(problemsFor({ sources: { default: {}, "git hub": { routeKey: "POST /gh", targets: { app: "nowhere" } } } })).toEqual([
      `sources["git hub"] = "git hub": a source name: 1..48 letters, digits, '_' and '-'`,
      `sources["git hub"]["targets"]["app"]["url"] = "nowhere": an absolute https:// URL, or a path starting with '/' on the existing HTTP API`,
    ]);
  });
});

describe("helpers", () => {
  test("routeKeyPath", () => {
    expect(routeKeyPath("POST /application-hook")).toBe("/application-hook");
    expect(routeKeyPath("$default")).toBe("$default");
  });

  test("mergeSettings: objects merge key by key, anything else replaces", () => {
    expect(mergeSettings({ a: { b: 1, c: [1] }, d: 1 } as Record<string, unknown>, { a: { c: [2] }, e: 3 })).toEqual({
      a: { b: 1, c: [2] },
      d: 1,
      e: 3,
    });
  });

  test("the emulator environment: zip packaging, queues it may tear down, local state, the endpoint", () => {
    expect(emulator({ WEBHOOK_QUEUE_EMULATOR_ENDPOINT: "http://127.0.0.1:4999", WEBHOOK_QUEUE_EMULATOR_STATE: "/tmp/x.tfstate" })).toMatchObject({
      stackName: "emulator",
      packaging: "zip",
      preventQueueDestroy: false,
      backend: { kind: "local", path: "/tmp/x.tfstate" },
      emulator: { endpoint: "http://127.0.0.1:4999" },
      defaultTags: mzDev.defaultTags,
    });
  });
});
