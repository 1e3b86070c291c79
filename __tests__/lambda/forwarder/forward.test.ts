import { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { Webhook } from "standardwebhooks";
import { octokit } from "../../support/saas-signers";
import {
  forwardRecord,
  recordProblem,
  RecordNotForwardedError,
  sqsRecordsOf,
  verificationFailure,
  ForwardContext,
} from "../../../lambda/forwarder/forward";
import { parseSources, SourceTable } from "../../../lambda/forwarder/sources";
import { captureOutput, logEntries } from "../../support/bundled-lambda";
import { answer, hang, type LocalTarget, type Reply, startTarget } from "../../support/local-targets";
import { sqsEvent, sqsRecord } from "../../support/sqs-events";
import { verifySignatureV4 } from "../../../src/operations/local/gateway/sigv4-verification";

describe("sqsRecordsOf", () => {
  test("returns the records of an SQS event", () => {
    const event = sqsEvent({ messageId: "m-1", group: "orders" }, { messageId: "m-2", group: "orders" });
    expect(sqsRecordsOf(event)).toBe(event.Records);
  });

  test.each([
    ["null", null],
    ["a string", "Records"],
    ["Records that is not a list", { Records: {} }],
    ["an SNS record", { Records: [{ EventSource: "aws:sns" }] }],
    ["a record without messageId", { Records: [{ eventSource: "aws:sqs" }] }],
    ["an SNS record with a messageId", { Records: [{ eventSource: "aws:sns", messageId: "m-1" }] }],
    ["SQS records mixed with others", { Records: [...sqsEvent({ messageId: "m-1", group: "orders" }).Records, { eventSource: "aws:s3" }] }],
    ["a null record", { Records: [null] }],
    ["an undefined record", { Records: [undefined] }],
    ["a string record", { Records: ["aws:sqs"] }],
  ])("refuses %s", (_name, event) => {
    expect(() => sqsRecordsOf(event)).toThrow(/not an SQS event/);
  });
});

const sources = parseSources(
  JSON.stringify({
    orders: { group: { static: "orders" }, targets: { application: { url: "https://example.com/hook" } } },
    github: {
      group: { prefix: "github:" },
      targets: { application: { url: "https://example.com/hook" } },
      signature: { scheme: "github", secretParameters: ["/webhooks/github"] },
    },
  }),
);

describe("recordProblem", () => {
  test("a record of a known source with a body can be sent", () => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "orders" }), sources.get("orders"))).toBeUndefined();
  });

  test("a group no source writes cannot", () => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "payments" }), undefined)).toBe('no source writes message group "payments"');
  });

  test.each([null, ""])("a body of %p cannot", (body) => {
    expect(recordProblem(sqsRecord({ messageId: "m-1", group: "orders", body }), sources.get("orders"))).toBe("no body");
  });
});

describe("verificationFailure", () => {
  const secret = "it's a secret to everybody";
  const context = { secrets: async () => [secret] } as unknown as ForwardContext;
  const body = '{"action":"opened"}';
  /** The trusted receive time (./trust.ts), not an attribute's. */
  const received = { webhookId: "wh-1", receivedAtMs: Date.UTC(2026, 10, 23) };
  const github = sources.get("github")!;

  test("a source without a signature is not checked", async () => {
    await expect(
      verificationFailure(sqsRecord({ messageId: "m-1", group: "orders", body }), sources.get("orders")!, received, context),
    ).resolves.toBeUndefined();
  });

  test("a webhook GitHub signed verifies; a tampered one does not", async () => {
    const signature = await octokit.sign(secret, body);
    const record = (withBody: string) =>
      sqsRecord({ messageId: "m-1", group: "github:1", body: withBody, attributes: { "header.x-hub-signature-256": `v=${signature}` } });
    await expect(verificationFailure(record(body), github, received, context)).resolves.toBeUndefined();
    await expect(verificationFailure(record(`${body} `), github, received, context)).resolves.toBe("signature mismatch");
  });

  test("a request without the header (carried as 'v=') is refused with the header's name", async () => {
    const record = sqsRecord({ messageId: "m-1", group: "github:1", body, attributes: { "header.x-hub-signature-256": "v=" } });
    await expect(verificationFailure(record, github, received, context)).resolves.toBe("missing header x-hub-signature-256");
  });

  test.each([undefined, 0, -1, Number.NaN, Number.POSITIVE_INFINITY])("a trusted receive time of %p is no receive time", async (receivedAtMs) => {
    const signature = await octokit.sign(secret, body);
    const record = sqsRecord({ messageId: "m-1", group: "github:1", body, attributes: { "header.x-hub-signature-256": `v=${signature}` } });
    await expect(verificationFailure(record, github, { webhookId: "wh-1", receivedAtMs }, context)).resolves.toBe(
      "no receive time: the message did not come through the signed source's route",
    );
  });

  test("the source's secret parameters are the ones read", async () => {
    const asked: (readonly string[])[] = [];
    const reading = { secrets: async (names: readonly string[]) => (asked.push(names), [secret]) } as unknown as ForwardContext;
    await verificationFailure(sqsRecord({ messageId: "m-1", group: "github:1", body }), github, received, reading);
    expect(asked).toEqual([["/webhooks/github"]]);
  });
});

describe("forwardRecord, against real targets on 127.0.0.1", () => {
  const SIGNING_SECRET = `whsec_${Buffer.from("the forwarder's own signing key!!").toString("base64")}`;
  const GITHUB_SECRET = "it's a secret to everybody";
  const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
  let targets: LocalTarget[] = [];
  let output: ReturnType<typeof captureOutput>;

  async function target(reply?: Reply): Promise<LocalTarget> {
    const started = await startTarget(reply);
    targets.push(started);
    return started;
  }

  type TargetSpec = string | { url: string; signingSecretParameter?: string; awsIam?: boolean };
  /** The sources table with these targets (`{source: {target: url or {url, ...}}}`), each source's static group its name, github signed. */
  function sourcesOf(routes: Record<string, Record<string, TargetSpec>>, groups: Record<string, string> = {}): SourceTable {
    return parseSources(
      JSON.stringify(
        Object.fromEntries(
          Object.entries(routes).map(([source, named]) => [
            source,
            {
              group: { static: groups[source] ?? source },
              targets: Object.fromEntries(Object.entries(named).map(([name, url]) => [name, typeof url === "string" ? { url } : url])),
              ...(source === "github" && { signature: { scheme: "github", secretParameters: ["/webhooks/github"] } }),
            },
          ]),
        ),
      ),
    );
  }

  interface Calls {
    readonly secrets: (readonly string[])[];
    readonly quarantined: [string, string][];
  }

  function contextOf(sourceTable: SourceTable, overrides: Partial<ForwardContext> = {}): { context: ForwardContext; calls: Calls } {
    const calls: Calls = { secrets: [], quarantined: [] };
    const context: ForwardContext = {
      sources: sourceTable,
      timeoutMs: 2_000,
      logger: new Logger({ serviceName: "webhook-forwarder", logLevel: "INFO" }),
      secrets: async (names) => {
        calls.secrets.push(names);
        return names.map((name) => (name === "/webhooks/github" ? GITHUB_SECRET : SIGNING_SECRET));
      },
      quarantine: async (record, reason) => {
        calls.quarantined.push([record.messageId, reason]);
        return "quarantined-1";
      },
      now: () => NOW,
      ...overrides,
    };
    return { context, calls };
  }

  const entries = () => logEntries(output.lines());

  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(async () => {
    output.restore();
    await Promise.all(targets.map((started) => started.close()));
    targets = [];
  });

  test("delivers the body to every target at once, with the webhook's ID and source, and logs each delivery", async () => {
    const application = await target();
    const audit = await target(answer(204));
    const { context } = contextOf(sourcesOf({ orders: { application: application.url, audit: audit.url } }));
    const record = sqsRecord({ messageId: "m-1", group: "orders", body: '{"id":1}', deduplicationId: "wh_1" });

    await expect(forwardRecord(record, context)).resolves.toBeUndefined();

    for (const received of [application.received, audit.received]) {
      expect(received).toHaveLength(1);
      expect(received[0].body.toString()).toBe('{"id":1}');
      expect(received[0].headers).toMatchObject({ "webhook-id": "wh_1", "x-webhook-source": "orders" });
      expect(received[0].headers["webhook-signature"]).toBeUndefined();
    }
    const fields = { messageId: "m-1", messageGroupId: "orders", source: "orders", webhookId: "wh_1", outcome: "delivered" };
    expect(entries()).toEqual([
      expect.objectContaining({
        level: "INFO",
        message: "message delivered",
        ...fields,
        target: "application",
        status: 200,
        latencyMs: expect.any(Number),
      }),
      expect.objectContaining({
        level: "INFO",
        message: "message delivered",
        ...fields,
        target: "audit",
        status: 204,
        latencyMs: expect.any(Number),
      }),
    ]);
  });

  test("a target that does not answer 2xx fails the record, naming each failed target and its outcome", async () => {
    const application = await target();
    const audit = await target(answer(503));
    const archive = await target(answer(404));
    const { context } = contextOf(sourcesOf({ orders: { application: application.url, audit: audit.url, archive: archive.url } }));

    const forwarding = forwardRecord(sqsRecord({ messageId: "m-1", group: "orders" }), context);

    await expect(forwarding).rejects.toThrow(
      new RecordNotForwardedError("message m-1 (group orders) not delivered: audit server-error, archive client-error"),
    );
    await expect(forwarding).rejects.toMatchObject({ name: "RecordNotForwardedError" });
    expect(application.received).toHaveLength(1);
    expect(entries().filter((entry) => entry.level === "WARN")).toEqual([
      expect.objectContaining({
        message: "message not delivered",
        messageId: "m-1",
        target: "audit",
        status: 503,
        outcome: "server-error",
        timeoutMs: 2_000,
      }),
      expect.objectContaining({
        message: "message not delivered",
        messageId: "m-1",
        target: "archive",
        status: 404,
        outcome: "client-error",
        timeoutMs: 2_000,
      }),
    ]);
  });

  test("each request is cut at the context's timeout, and the log says why", async () => {
    const slow = await target(hang);
    const { context } = contextOf(sourcesOf({ orders: { slow: slow.url } }), { timeoutMs: 150 });

    const started = Date.now();
    await expect(forwardRecord(sqsRecord({ messageId: "m-1", group: "orders" }), context)).rejects.toThrow("not delivered: slow timeout");

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(entries()).toContainEqual(
      expect.objectContaining({ level: "WARN", target: "slow", outcome: "timeout", timeoutMs: 150, error: "no complete answer within 150 ms" }),
    );
  });

  test("a message the article's stack queued (no attribute at all) goes to the source of its group, with its legacy ID", async () => {
    const application = await target();
    const { context } = contextOf(sourcesOf({ default: { application: application.url } }, { default: "mz-dev-sqs-webhook" }));

    await forwardRecord(sqsRecord({ messageId: "m-1", group: "mz-dev-sqs-webhook", body: '{"a":1}', source: null }), context);

    expect(application.received.map((request) => request.headers["x-webhook-source"])).toEqual(["default"]);
    expect(application.received[0].headers["webhook-id"]).toMatch(/^legacy_[0-9a-f]{32}$/);
  });

  test.each([
    ["a group no source writes", { messageId: "m-1", group: "payments" }, 'no source writes message group "payments"'],
    ["a legacy message of such a group", { messageId: "m-1", group: "payments", source: null }, 'no source writes message group "payments"'],
    ["no body", { messageId: "m-1", group: "orders", body: null }, "no body"],
    ["an empty body", { messageId: "m-1", group: "orders", body: "" }, "no body"],
  ])("%s: nothing is sent, the record fails and the log says why", async (_name, spec, reason) => {
    const application = await target();
    const { context, calls } = contextOf(sourcesOf({ orders: { application: application.url } }));

    await expect(forwardRecord(sqsRecord(spec), context)).rejects.toThrow(
      new RecordNotForwardedError(`message m-1 (group ${spec.group}): ${reason}`),
    );

    expect(application.received).toHaveLength(0);
    expect(calls.quarantined).toEqual([]);
    expect(entries()).toEqual([
      expect.objectContaining({ level: "WARN", message: "message not forwarded", messageId: "m-1", messageGroupId: spec.group, reason }),
    ]);
  });

  test("a record without SQS attributes is still reported by its message ID", async () => {
    const { context } = contextOf(sourcesOf({ orders: { application: "http://127.0.0.1:1/hook" } }));
    const record = { ...sqsRecord({ messageId: "m-1", group: "payments" }), attributes: undefined } as unknown as SQSRecord;

    await expect(forwardRecord(record, context)).rejects.toThrow('message m-1 (group undefined): no source writes message group ""');
  });

  test("a signed webhook that verifies is delivered", async () => {
    const application = await target();
    const { context, calls } = contextOf(sourcesOf({ github: { application: application.url } }));
    const body = '{"action":"opened"}';
    const record = sqsRecord({
      messageId: "m-1",
      group: "github",
      body,
      sentAt: NOW,
      attributes: { "header.x-hub-signature-256": `v=${await octokit.sign(GITHUB_SECRET, body)}` },
    });

    await forwardRecord(record, context);

    expect(application.received).toHaveLength(1);
    expect(calls).toEqual({ secrets: [["/webhooks/github"]], quarantined: [] });
  });

  test("a webhook that fails verification is quarantined with the reason, never delivered, and the record counts as handled", async () => {
    const application = await target();
    const { context, calls } = contextOf(sourcesOf({ github: { application: application.url } }));
    const record = sqsRecord({
      messageId: "m-1",
      group: "github",
      body: '{"action":"opened"}',
      sentAt: NOW,
      deduplicationId: "github:delivery-1",
      attributes: { "header.x-hub-signature-256": `v=${await octokit.sign("another secret", "{}")}` },
    });

    await expect(forwardRecord(record, context)).resolves.toBeUndefined();

    expect(application.received).toHaveLength(0);
    expect(calls.quarantined).toEqual([["m-1", "signature mismatch"]]);
    expect(entries()).toEqual([
      expect.objectContaining({
        level: "WARN",
        message: "webhook quarantined",
        messageId: "m-1",
        messageGroupId: "github",
        source: "github",
        webhookId: "delivery-1",
        reason: "signature mismatch",
        quarantineMessageId: "quarantined-1",
      }),
    ]);
  });

  test("a quarantine that fails fails the record, so it is retried", async () => {
    const { context } = contextOf(sourcesOf({ github: { application: "http://127.0.0.1:1/hook" } }), {
      quarantine: async () => {
        throw new Error("quarantine queue unreachable");
      },
    });
    const record = sqsRecord({ messageId: "m-1", group: "github", sentAt: NOW });

    await expect(forwardRecord(record, context)).rejects.toThrow("quarantine queue unreachable");
  });

  test("a target with a signing secret gets a Standard Webhooks signature, made at the context's time, that the application can verify", async () => {
    const application = await target();
    const plain = await target();
    const { context, calls } = contextOf(
      sourcesOf({ orders: { signed: { url: application.url, signingSecretParameter: "/webhooks/application" }, plain: plain.url } }),
    );
    const body = '{"id":"m-1","name":"Zoë"}';

    await forwardRecord(sqsRecord({ messageId: "m-1", group: "orders", body, deduplicationId: "wh_1" }), context);

    const headers = application.received[0].headers as Record<string, string>;
    expect(headers).toMatchObject({ "webhook-id": "wh_1", "webhook-timestamp": String(NOW / 1000), "x-webhook-source": "orders" });
    expect(() => new Webhook(SIGNING_SECRET).verify(body, headers)).toThrow(/too old/);
    jest.useFakeTimers({
      now: NOW,
      doNotFake: [
        "nextTick",
        "setImmediate",
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
        "queueMicrotask",
        "performance",
        "hrtime",
      ],
    });
    try {
      expect(new Webhook(SIGNING_SECRET).verify(body, headers)).toEqual({ id: "m-1", name: "Zoë" });
    } finally {
      jest.useRealTimers();
    }
    expect(plain.received[0].headers["webhook-signature"]).toBeUndefined();
    expect(calls.secrets).toEqual([["/webhooks/application"]]);
  });

  test("without a clock of its own the context signs at the current time", async () => {
    const application = await target();
    const { context } = contextOf(sourcesOf({ orders: { signed: { url: application.url, signingSecretParameter: "/webhooks/application" } } }), {
      now: undefined,
    });
    const body = '{"id":"m-1"}';

    const before = Math.floor(Date.now() / 1000);
    await forwardRecord(sqsRecord({ messageId: "m-1", group: "orders", body }), context);

    const headers = application.received[0].headers as Record<string, string>;
    expect(Number(headers["webhook-timestamp"])).toBeGreaterThanOrEqual(before);
    expect(Number(headers["webhook-timestamp"])).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(new Webhook(SIGNING_SECRET).verify(body, headers)).toEqual({ id: "m-1" });
  });

  test.each([
    [
      "a source attribute naming another source",
      { "webhook-source": "orders" },
      /attribute webhook-source "orders" contradicts the message group of source github/,
    ],
    [
      "a receive time a day before SQS took it",
      { "webhook-received-at": String(NOW - 86_400_000) },
      /attribute webhook-received-at .* contradicts SQS's SentTimestamp/,
    ],
    [
      "a webhook ID other than the deduplication ID's",
      { "webhook-id": "v=replayed" },
      /attribute webhook-id "replayed" contradicts the deduplication ID "github:delivery-1"/,
    ],
    [
      "an attribute the route never writes",
      { "quarantine-reason": "none" },
      /attribute quarantine-reason is not one the route of source github writes/,
    ],
  ])("an injected attribute (%s) quarantines the webhook with the reason, even with a valid signature", async (_name, injected, reason) => {
    const application = await target();
    const { context, calls } = contextOf(sourcesOf({ github: { application: application.url }, orders: { application: application.url } }));
    const body = '{"action":"opened"}';
    const record = sqsRecord({
      messageId: "m-1",
      group: "github",
      body,
      sentAt: NOW,
      deduplicationId: "github:delivery-1",
      attributes: { "header.x-hub-signature-256": `v=${await octokit.sign(GITHUB_SECRET, body)}`, ...injected },
    });

    await expect(forwardRecord(record, context)).resolves.toBeUndefined();

    expect(application.received).toHaveLength(0);
    expect(calls.quarantined).toEqual([["m-1", expect.stringMatching(reason)]]);
    expect(calls.secrets).toEqual([]);
  });

  test("a target behind IAM authorization gets the role's SigV4 signature over exactly what is sent", async () => {
    const application = await target();
    const credentials = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret/key", sessionToken: "token=", region: "ap-northeast-1" };
    const { context } = contextOf(sourcesOf({ orders: { application: { url: `${application.url}/application-hook`, awsIam: true } } }), {
      awsCredentials: () => credentials,
    });

    await forwardRecord(sqsRecord({ messageId: "m-1", group: "orders", body: '{"id":"Zoë"}', deduplicationId: "wh_1" }), context);

    const request = application.received[0];
    expect(request.headers).toMatchObject({ "x-amz-security-token": "token=", "x-amz-date": "20260115T120000Z" });
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/20260115\/ap-northeast-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;webhook-id;x-amz-date;x-amz-security-token;x-webhook-source, Signature=[0-9a-f]{64}$/,
    );
    // Checked by the AWS SDK's own signer, as the local gateway checks it.
    const secretOf = (key: string) => (key === credentials.accessKeyId ? credentials : undefined);
    const scope = { region: "ap-northeast-1", service: "execute-api" };
    await expect(verifySignatureV4(request, secretOf, scope, new Date(NOW))).resolves.toEqual({ valid: true, accessKeyId: "ASIAEXAMPLE" });
    const tampered = { ...request, body: Buffer.from('{"id":"Zoe"}') };
    await expect(verifySignatureV4(tampered, secretOf, scope, new Date(NOW))).resolves.toMatchObject({ valid: false });
  });

  test("without the role's credentials, a target behind IAM authorization fails the record rather than go unsigned", async () => {
    const application = await target();
    const { context } = contextOf(sourcesOf({ orders: { application: { url: application.url, awsIam: true } } }), {
      awsCredentials: () => undefined,
    });

    await expect(forwardRecord(sqsRecord({ messageId: "m-1", group: "orders" }), context)).rejects.toThrow(
      "target application requires IAM authorization, and the function has no AWS credentials to sign with",
    );
    expect(application.received).toHaveLength(0);
  });
});
