/**
 * The bundled forwarder (the file Lambda gets) against real HTTP(S) targets on 127.0.0.1
 * with injected faults. Nothing on the HTTP path is mocked.
 */
import { spawn } from "node:child_process";
import { bundleLambda } from "../../../src/infrastructure/bundling/bundle";
import { captureOutput, type ForwarderHandler, loadBundledHandler, logEntries, setForwarderEnv } from "../../support/bundled-lambda";
import {
  answer,
  hang,
  type LocalTarget,
  type ReceivedRequest,
  type Reply,
  refusedUrl,
  resetConnection,
  selfSignedCertificate,
  stallBody,
  startTarget,
  UNRESOLVABLE_URL,
} from "../../support/local-targets";
import { type LocalAws, startLocalAws } from "../../support/local-aws";
import { octokit } from "../../support/saas-signers";
import { lambdaContext, sqsEvent } from "../../support/sqs-events";
import { Webhook } from "standardwebhooks";

let targets: LocalTarget[] = [];
let restoreEnv: () => void = () => undefined;
let output: ReturnType<typeof captureOutput>;

async function target(reply?: Reply): Promise<LocalTarget> {
  const started = await startTarget(reply);
  targets.push(started);
  return started;
}

/** The groups the tests' sources write: github one per repository (`github:<id>`), `default` the article's, the others their name. */
function groupOf(source: string): { static: string } | { prefix: string } {
  if (source === "github") return { prefix: "github:" };
  return { static: source === "default" ? "mz-dev-sqs-webhook" : source };
}

/** `{source: {target: url}}` as SOURCES (each test record's group names its source). */
function sourcesOf(routes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(routes).map(([source, targets]) => [
      source,
      typeof targets === "object" && targets !== null && !Array.isArray(targets)
        ? { group: groupOf(source), targets: Object.fromEntries(Object.entries(targets).map(([name, url]) => [name, { url }])) }
        : targets,
    ]),
  );
}

/** Loads a fresh bundle with this environment (the logger reads its level at load time). */
function forwarder(routes: unknown, env: { FORWARD_TIMEOUT_MS?: string; POWERTOOLS_LOG_LEVEL?: string } = {}): ForwarderHandler {
  restoreEnv();
  restoreEnv = setForwarderEnv({
    SOURCES: typeof routes === "string" || routes === undefined ? routes : JSON.stringify(sourcesOf(routes as Record<string, unknown>)),
    POWERTOOLS_SERVICE_NAME: "webhook-forwarder",
    POWERTOOLS_LOG_LEVEL: "INFO",
    QUEUE_URL: "https://sqs.ap-northeast-1.amazonaws.com/123456789012/webhook.fifo",
    ...env,
  });
  return loadBundledHandler();
}

const messageIds = (requests: ReceivedRequest[]): string[] => requests.map((request) => JSON.parse(request.body.toString()).id);
const failedIds = (ids: string[]) => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });
/** Answers 500 to messages whose body contains "fail", 200 to the others. */
const failMarked: Reply = (request, response) => answer(request.body.includes("fail") ? 500 : 200)(request, response);

beforeAll(() => bundleLambda("forwarder"));
beforeEach(() => {
  output = captureOutput();
});
afterEach(async () => {
  output.restore();
  restoreEnv();
  restoreEnv = () => undefined;
  await Promise.all(targets.map((started) => started.close()));
  targets = [];
});

test("every request carries the webhook's stable ID and its source; a message the article's stack queued goes to the source of its group", async () => {
  const application = await target();
  const handler = forwarder({ default: { application: application.url }, github: { application: application.url } });

  const response = await handler(
    sqsEvent(
      { messageId: "m-1", group: "github:r1", deduplicationId: "github:72d3162e-cc78-11e3-81ab-4c9367dc0958" },
      { messageId: "m-2", group: "mz-dev-sqs-webhook", source: null, body: '{"legacy":true,"id":"m-2"}' },
    ),
    lambdaContext(),
  );

  expect(response).toEqual({ batchItemFailures: [] });
  expect(application.received.map((request) => [request.headers["x-webhook-source"], request.headers["webhook-id"]])).toEqual([
    ["github", "72d3162e-cc78-11e3-81ab-4c9367dc0958"],
    ["default", expect.stringMatching(/^legacy_[0-9a-f]{32}$/)],
  ]);
  expect(application.received[0].headers["webhook-signature"]).toBeUndefined();
});

test("delivery metrics: one EMF line per source (counts, end-to-end age) and one per source and target (latency, failed POSTs)", async () => {
  const application = await target(failMarked);
  const audit = await target();
  const handler = forwarder({ github: { application: application.url, audit: audit.url }, shop: { application: application.url } });
  const now = Date.now();
  await handler(
    sqsEvent(
      { messageId: "g-1", group: "github:r1", sentAt: now - 1000 },
      { messageId: "s-1", group: "shop", sentAt: now - 2000 },
      { messageId: "s-2", group: "shop", body: '{"id":"s-2","fail":true}', sentAt: now - 2000 },
    ),
    lambdaContext(),
  );
  const emf = logEntries(output.lines()).filter((entry) => entry._aws !== undefined) as {
    _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    [field: string]: unknown;
  }[];
  const line = (dimensions: Record<string, string>) =>
    emf.find(
      (entry) =>
        Object.entries(dimensions).every(([name, value]) => entry[name] === value) &&
        entry._aws.CloudWatchMetrics[0].Dimensions[0].length === Object.keys(dimensions).length + 1,
    );
  expect(emf).toHaveLength(5);
  for (const entry of emf) {
    expect(entry._aws.CloudWatchMetrics).toHaveLength(1);
    expect(entry._aws.CloudWatchMetrics[0].Namespace).toBe("WebhookQueue");
    expect(entry.service).toBe("webhook-forwarder");
  }
  const github = line({ source: "github" })!;
  expect(github._aws.CloudWatchMetrics[0].Dimensions).toEqual([["service", "source"]]);
  expect(github._aws.CloudWatchMetrics[0].Metrics).toEqual([
    { Name: "WebhooksDelivered", Unit: "Count" },
    { Name: "EndToEndAge", Unit: "Milliseconds" },
  ]);
  expect(github.WebhooksDelivered).toBe(1);
  // Received 25 ms before SQS took it (the route's receive time), 1 s ago.
  expect(github.EndToEndAge as number).toBeGreaterThanOrEqual(1025);
  const shop = line({ source: "shop" })!;
  expect(shop.WebhooksDelivered).toBe(1);
  expect(shop.WebhooksFailed).toBe(1);
  expect(shop._aws.CloudWatchMetrics[0].Metrics.map((metric) => metric.Name)).toEqual(["WebhooksDelivered", "WebhooksFailed", "EndToEndAge"]);
  const shopApplication = line({ source: "shop", target: "application" })!;
  expect(shopApplication._aws.CloudWatchMetrics[0].Dimensions).toEqual([["service", "source", "target"]]);
  expect(shopApplication._aws.CloudWatchMetrics[0].Metrics).toEqual([
    { Name: "DeliveryLatency", Unit: "Milliseconds" },
    { Name: "TargetFailures", Unit: "Count" },
  ]);
  expect(shopApplication.DeliveryLatency).toEqual([expect.any(Number), expect.any(Number)]);
  expect(shopApplication.TargetFailures).toBe(1);
  const githubAudit = line({ source: "github", target: "audit" })!;
  expect(githubAudit._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: "DeliveryLatency", Unit: "Milliseconds" }]);
  expect(line({ source: "github", target: "application" })).toBeDefined();
});

test("POSTs the body byte-identical as application/json and reports no failure", async () => {
  const application = await target();
  const body = '{"name":"山田 太郎","emoji":"🎉","amount": 1.50 ,"id":"m-1"}\n';
  const handler = forwarder({ orders: { application: application.url } });

  const response = await handler(sqsEvent({ messageId: "m-1", group: "orders", body }), lambdaContext());

  expect(response).toEqual({ batchItemFailures: [] });
  expect(application.received).toHaveLength(1);
  const [request] = application.received;
  expect(request.method).toBe("POST");
  expect(request.path).toBe("/hook");
  expect(request.headers["content-type"]).toBe("application/json");
  expect(request.body.equals(Buffer.from(body, "utf8"))).toBe(true);
});

interface Fault {
  readonly name: string;
  /** The URL of the faulty source's target; undefined leaves the source out of SOURCES. */
  readonly faultyUrl?: (healthy: LocalTarget) => Promise<string> | string;
  readonly body?: null;
  /** Fields of the WARN entry logged for the faulty message. */
  readonly logged: Record<string, unknown>;
}

const faults: Fault[] = [
  { name: "400", faultyUrl: async () => (await target(answer(400))).url, logged: { outcome: "client-error", status: 400 } },
  { name: "404", faultyUrl: async () => (await target(answer(404))).url, logged: { outcome: "client-error", status: 404 } },
  { name: "429", faultyUrl: async () => (await target(answer(429))).url, logged: { outcome: "throttled", status: 429 } },
  { name: "500", faultyUrl: async () => (await target(answer(500))).url, logged: { outcome: "server-error", status: 500 } },
  { name: "503", faultyUrl: async () => (await target(answer(503))).url, logged: { outcome: "server-error", status: 503 } },
  { name: "302 (not followed)", faultyUrl: async () => (await target(answer(302))).url, logged: { outcome: "unexpected-status" } },
  { name: "no answer before the timeout", faultyUrl: async () => (await target(hang)).url, logged: { outcome: "timeout" } },
  { name: "a 200 whose body never ends", faultyUrl: async () => (await target(stallBody)).url, logged: { outcome: "timeout" } },
  { name: "connection refused", faultyUrl: refusedUrl, logged: { outcome: "connection-error" } },
  { name: "connection reset", faultyUrl: async () => (await target(resetConnection)).url, logged: { outcome: "connection-error" } },
  { name: "DNS failure", faultyUrl: () => UNRESOLVABLE_URL, logged: { outcome: "dns-error" } },
  { name: "unknown source", logged: { reason: 'no source writes message group "faulty"' } },
  { name: "missing body", faultyUrl: (healthy) => healthy.url, body: null, logged: { reason: "no body" } },
];

test.each(faults)("$name: fails that record only; the other group is delivered", async ({ faultyUrl, body, logged }) => {
  const healthy = await target();
  const routes = { orders: { application: healthy.url }, ...(faultyUrl && { faulty: { application: await faultyUrl(healthy) } }) };
  const handler = forwarder(routes, { FORWARD_TIMEOUT_MS: "300" });

  const response = await handler(
    sqsEvent({ messageId: "ok-1", group: "orders" }, { messageId: "bad-1", group: "faulty", body }, { messageId: "ok-2", group: "orders" }),
    lambdaContext(),
  );

  expect(response).toEqual(failedIds(["bad-1"]));
  expect(messageIds(healthy.received)).toEqual(["ok-1", "ok-2"]);
  const warning = logEntries(output.lines()).find((entry) => entry.messageId === "bad-1" && entry.level === "WARN");
  expect(warning).toMatchObject({ messageGroupId: "faulty", ...logged });
});

test("the DNS failure is local and fast", async () => {
  const handler = forwarder({ faulty: { application: UNRESOLVABLE_URL } });
  const started = Date.now();
  await expect(handler(sqsEvent({ messageId: "m-1", group: "faulty" }), lambdaContext())).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(500);
});

test("when every record fails the invocation throws, so the whole batch returns to the queue", async () => {
  const broken = await target(answer(500));
  const handler = forwarder({ orders: { application: broken.url } });

  const invocation = handler(sqsEvent({ messageId: "m-1", group: "orders" }, { messageId: "m-2", group: "orders" }), lambdaContext());

  await expect(invocation).rejects.toMatchObject({ name: "FullBatchFailureError" });
  expect(messageIds(broken.received)).toEqual(["m-1"]);
});

test.each([
  ["no event", undefined],
  ["an empty object", {}],
  ["an API Gateway event", { version: "2.0", routeKey: "POST /hook", rawPath: "/hook", body: "{}" }],
  ["an SNS event", { Records: [{ EventSource: "aws:sns", Sns: { MessageId: "x", Message: "{}" } }] }],
  ["SQS records mixed with others", { Records: [...sqsEvent({ messageId: "m-1", group: "orders" }).Records, { eventSource: "aws:s3" }] }],
])("%s is not an SQS event: throws and sends nothing", async (_name, event) => {
  const application = await target();
  const handler = forwarder({ orders: { application: application.url } });

  await expect(handler(event, lambdaContext())).rejects.toThrow(/not an SQS event/);
  expect(application.received).toHaveLength(0);
});

test.each([
  ["unset", undefined, /SOURCES is not set/],
  ["not JSON", "{orders:", /SOURCES is not valid JSON/],
  ["an array", "[]", /at least one source/],
  ["empty", "{}", /at least one source/],
  ["a source without targets", { orders: "HEALTHY", other: {} }, /SOURCES\["other"\]\["targets"\] must be at least one target/],
  [
    "a relative URL",
    { orders: "HEALTHY", other: { app: "/hook" } },
    /SOURCES\["other"\]\["targets"\]\["app"\]\["url"\] must be an absolute https:\/\/ or http:\/\/ URL; got "\/hook"/,
  ],
  [
    "a non-http URL",
    { orders: "HEALTHY", other: { app: "ftp://example.com/hook" } },
    /must be an absolute https:\/\/ or http:\/\/ URL; got "ftp:\/\/example.com\/hook"/,
  ],
])("SOURCES %s: throws a clear error and delivers nowhere", async (_name, routes, message) => {
  const application = await target();
  const withHealthyTarget = typeof routes === "object" ? { ...routes, orders: { application: application.url } } : routes;
  const handler = forwarder(withHealthyTarget);

  await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext())).rejects.toThrow(message);
  expect(application.received).toHaveLength(0);
});

test.each(["abc", "0", "-300", "1.5"])("FORWARD_TIMEOUT_MS=%s throws and delivers nowhere", async (value) => {
  const application = await target();
  const handler = forwarder({ orders: { application: application.url } }, { FORWARD_TIMEOUT_MS: value });

  await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext())).rejects.toThrow(/FORWARD_TIMEOUT_MS/);
  expect(application.received).toHaveLength(0);
});

test("a hanging target is cut at FORWARD_TIMEOUT_MS", async () => {
  const slow = await target(hang);
  const application = await target();
  const handler = forwarder({ slow: { application: slow.url }, orders: { application: application.url } }, { FORWARD_TIMEOUT_MS: "300" });

  const started = Date.now();
  const response = await handler(sqsEvent({ messageId: "s-1", group: "slow" }, { messageId: "o-1", group: "orders" }), lambdaContext());

  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(response).toEqual(failedIds(["s-1"]));
  expect(messageIds(application.received)).toEqual(["o-1"]);
}, 5_000);

test("without FORWARD_TIMEOUT_MS a hanging target is cut before the invocation runs out of time", async () => {
  const slow = await target(hang);
  const handler = forwarder({ slow: { application: slow.url } });

  const started = Date.now();
  // 1500 ms left: a fifth (300 ms) is kept to answer, the one record gets the other 1200 ms.
  const invocation = handler(sqsEvent({ messageId: "s-1", group: "slow" }), lambdaContext(1_500));

  await expect(invocation).rejects.toMatchObject({ name: "FullBatchFailureError" });
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
  expect(Date.now() - started).toBeLessThan(1_490);
}, 5_000);

test("fan-out: the record is delivered only when both targets answer 2xx", async () => {
  const application = await target();
  const audit = await target(failMarked);
  const handler = forwarder({ orders: { application: application.url, audit: audit.url } });

  const response = await handler(sqsEvent({ messageId: "ok-1", group: "orders" }, { messageId: "fail-2", group: "orders" }), lambdaContext());

  expect(response).toEqual(failedIds(["fail-2"]));
  expect(messageIds(application.received)).toEqual(["ok-1", "fail-2"]);
  expect(messageIds(audit.received)).toEqual(["ok-1", "fail-2"]);
  expect(application.received[0].body.equals(audit.received[0].body)).toBe(true);
});

test("one group, a failure in the middle: nothing after it is sent; it and the rest are reported", async () => {
  const application = await target(failMarked);
  const handler = forwarder({ orders: { application: application.url } });

  const response = await handler(
    sqsEvent(
      { messageId: "m-1", group: "orders" },
      { messageId: "fail-2", group: "orders" },
      { messageId: "m-3", group: "orders" },
      { messageId: "m-4", group: "orders" },
    ),
    lambdaContext(),
  );

  expect(response).toEqual(failedIds(["fail-2", "m-3", "m-4"]));
  expect(messageIds(application.received)).toEqual(["m-1", "fail-2"]);
});

test("several groups, a failure in the middle: only the failed group stops; order is kept", async () => {
  const targetA = await target(failMarked);
  const targetB = await target(failMarked);
  const handler = forwarder({ a: { application: targetA.url }, b: { application: targetB.url } });

  const response = await handler(
    sqsEvent(
      { messageId: "a-1", group: "a" },
      { messageId: "b-1", group: "b" },
      { messageId: "fail-a-2", group: "a" },
      { messageId: "b-2", group: "b" },
      { messageId: "a-3", group: "a" },
      { messageId: "b-3", group: "b" },
    ),
    lambdaContext(),
  );

  expect(response).toEqual(failedIds(["fail-a-2", "a-3"]));
  expect(messageIds(targetA.received)).toEqual(["a-1", "fail-a-2"]);
  expect(messageIds(targetB.received)).toEqual(["b-1", "b-2", "b-3"]);
});

test("keep-alive: ten messages over two invocations use one connection", async () => {
  const application = await target();
  const handler = forwarder({ orders: { application: application.url } });
  const batch = (first: number) => sqsEvent(...[0, 1, 2, 3, 4].map((i) => ({ messageId: `m-${first + i}`, group: "orders" })));

  await handler(batch(1), lambdaContext());
  await handler(batch(6), lambdaContext());

  expect(application.received).toHaveLength(10);
  expect(application.connections()).toBe(1);
});

test("a connection idle for longer than 4 s is not reused (the target may have closed it while Lambda was frozen)", async () => {
  const application = await target();
  const handler = forwarder({ orders: { application: application.url } });

  await handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext());
  await new Promise((resolve) => setTimeout(resolve, 4_100));
  await handler(sqsEvent({ messageId: "m-2", group: "orders" }), lambdaContext());

  expect(application.received).toHaveLength(2);
  expect(application.connections()).toBe(2);
}, 10_000);

test("logs JSON at INFO with message ID, group, target, status and latency, and never the body", async () => {
  const application = await target();
  const audit = await target(answer(503));
  const body = '{"email":"taro.yamada@example.com","id":"m-1"}';
  const handler = forwarder({ orders: { application: application.url }, audited: { application: application.url, audit: audit.url } });

  await handler(sqsEvent({ messageId: "m-1", group: "orders", body }, { messageId: "m-2", group: "audited", body }), lambdaContext());

  const entries = logEntries(output.lines());
  expect(entries).toContainEqual(
    expect.objectContaining({
      level: "INFO",
      service: "webhook-forwarder",
      message: "message delivered",
      messageId: "m-1",
      messageGroupId: "orders",
      target: "application",
      status: 200,
      latencyMs: expect.any(Number),
    }),
  );
  expect(entries).toContainEqual(
    expect.objectContaining({
      level: "WARN",
      messageId: "m-2",
      messageGroupId: "audited",
      target: "audit",
      status: 503,
      latencyMs: expect.any(Number),
    }),
  );
  expect(output.lines().join("\n")).not.toContain("taro.yamada");
});

test("the log level comes from POWERTOOLS_LOG_LEVEL", async () => {
  const application = await target(failMarked);
  const handler = forwarder({ orders: { application: application.url } }, { POWERTOOLS_LOG_LEVEL: "WARN" });

  await handler(sqsEvent({ messageId: "m-1", group: "orders" }, { messageId: "fail-2", group: "orders" }), lambdaContext());

  const levels = logEntries(output.lines()).map((entry) => entry.level);
  expect(levels).toContain("WARN");
  expect(levels).not.toContain("INFO");
});

test("HTTPS targets: delivered over one kept-alive TLS connection (bundle run in its own process)", async () => {
  const certificate = selfSignedCertificate();
  try {
    const secure = await startTarget(answer(200), certificate);
    targets.push(secure);
    const script = `
      const { handler } = require(${JSON.stringify(bundleLambda("forwarder").file)});
      const event = (ids) => ({ Records: ids.map((id) => ({ messageId: id, body: JSON.stringify({ id }), eventSource: "aws:sqs", attributes: { MessageGroupId: "orders" } })) });
      (async () => {
        const results = [await handler(event(["m-1", "m-2"])), await handler(event(["m-3"]))];
        process.stderr.write(JSON.stringify(results));
      })();`;
    const child = spawn(process.execPath, ["-e", script], {
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: certificate.certFile,
        SOURCES: JSON.stringify({ orders: { group: { static: "orders" }, targets: { application: { url: secure.url } } } }),
        // These records carry no attribute, as a message the article's stack queued.
        POWERTOOLS_LOG_LEVEL: "ERROR",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));

    expect({ code, stderr }).toEqual({ code: 0, stderr: JSON.stringify([{ batchItemFailures: [] }, { batchItemFailures: [] }]) });
    expect(messageIds(secure.received)).toEqual(["m-1", "m-2", "m-3"]);
    expect(secure.connections()).toBe(1);
  } finally {
    certificate.remove();
  }
});

/**
 * The handler module loaded from its source in this process, as the mutation tests run it (they
 * see lambda/ only through what the tests import), with SSM and the DLQ on 127.0.0.1.
 */
describe("the handler from its source", () => {
  const GITHUB_SECRET = "it's a secret to everybody";
  const SIGNING_SECRET = `whsec_${Buffer.from("the forwarder's own signing key!!").toString("base64")}`;
  let aws: LocalAws;

  beforeAll(async () => {
    aws = await startLocalAws();
    aws.parameters.set("/webhooks/github", GITHUB_SECRET);
    aws.parameters.set("/webhooks/application", SIGNING_SECRET);
  });
  afterAll(() => aws.close());
  beforeEach(() => {
    aws.sent.length = 0;
  });

  /** Loads lambda/forwarder/index.ts afresh with this environment; `github` sources are signed. */
  function sourceForwarder(
    sources: Record<string, Record<string, string | { url: string; signingSecretParameter: string }>>,
    env: Parameters<typeof setForwarderEnv>[0] = {},
  ): ForwarderHandler {
    restoreEnv();
    restoreEnv = setForwarderEnv({
      SOURCES: JSON.stringify(
        Object.fromEntries(
          Object.entries(sources).map(([source, named]) => [
            source,
            {
              group: groupOf(source),
              targets: Object.fromEntries(Object.entries(named).map(([name, url]) => [name, typeof url === "string" ? { url } : url])),
              ...(source === "github" && { signature: { scheme: "github", secretParameters: ["/webhooks/github"] } }),
            },
          ]),
        ),
      ),
      POWERTOOLS_SERVICE_NAME: "webhook-forwarder",
      POWERTOOLS_LOG_LEVEL: "INFO",
      ...aws.env,
      ...env,
    });
    let handler: ForwarderHandler | undefined;
    jest.isolateModules(() => {
      handler = (require("../../../lambda/forwarder/index") as { handler: ForwarderHandler }).handler;
    });
    return handler!;
  }

  /** A github webhook as the ingress queues it, signed with `secret`. */
  async function githubRecord(messageId: string, secret: string) {
    const body = JSON.stringify({ action: "opened", id: messageId });
    return { messageId, group: "github:1", body, attributes: { "header.x-hub-signature-256": `v=${await octokit.sign(secret, body)}` } };
  }

  test("a failure skips the rest of its group only; the response names them, and the log line of the batch too, with the Lambda context", async () => {
    const application = await target(failMarked);
    const handler = sourceForwarder({ a: { application: application.url }, b: { application: application.url } });

    const response = await handler(
      sqsEvent(
        { messageId: "a-1", group: "a" },
        { messageId: "fail-a-2", group: "a" },
        { messageId: "b-1", group: "b" },
        { messageId: "a-3", group: "a" },
      ),
      lambdaContext(),
    );

    expect(response).toEqual(failedIds(["fail-a-2", "a-3"]));
    expect(messageIds(application.received)).toEqual(["a-1", "fail-a-2", "b-1"]);
    expect(logEntries(output.lines())).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "batch done",
        service: "webhook-forwarder",
        records: 4,
        failed: ["fail-a-2", "a-3"],
        function_name: "webhook-forwarder",
        function_request_id: "c6af9ac6-7b61-11e6-9a41-93e812345678",
      }),
    );
  });

  test("without a Lambda context (a local run) it forwards all the same, and logs no context", async () => {
    const application = await target();
    const handler = sourceForwarder({ orders: { application: application.url } });

    await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }))).resolves.toEqual({ batchItemFailures: [] });

    const done = logEntries(output.lines()).find((entry) => entry.message === "batch done");
    expect(done).toMatchObject({ records: 1, failed: [] });
    expect(done).not.toHaveProperty("function_request_id");
  });

  test("a message the article's stack queued (no attribute) goes to the source whose group it has", async () => {
    const application = await target();
    const handler = sourceForwarder({ default: { application: application.url } });

    await expect(handler(sqsEvent({ messageId: "m-1", group: "mz-dev-sqs-webhook", source: null }), lambdaContext())).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(application.received.map((request) => request.headers["x-webhook-source"])).toEqual(["default"]);
  });

  test("a forged webhook relabelled as an unsigned source by an injected attribute is quarantined, not delivered", async () => {
    const application = await target();
    const quarantine = aws.queueUrl("webhooks-quarantine.fifo");
    const handler = sourceForwarder(
      { github: { application: application.url }, default: { application: application.url } },
      { QUARANTINE_QUEUE_URL: quarantine },
    );
    const forged = { messageId: "forged-1", group: "github:1", attributes: { "webhook-source": "default", "header.x-hub-signature-256": "v=" } };

    await expect(handler(sqsEvent(forged), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });

    expect(application.received).toHaveLength(0);
    expect(aws.sent).toEqual([
      expect.objectContaining({
        QueueUrl: quarantine,
        MessageAttributes: expect.objectContaining({
          "quarantine-reason": {
            DataType: "String",
            StringValue: 'forged: attribute webhook-source "default" contradicts the message group of source github',
          },
        }),
      }),
    ]);
  });

  test("a target behind IAM authorization is signed with the function's credentials, as Lambda sets them", async () => {
    const application = await target();
    const handler = sourceForwarder({ orders: { application: { url: application.url, awsIam: true } as never } }, {
      AWS_ACCESS_KEY_ID: "ASIAFORWARDER",
      AWS_SECRET_ACCESS_KEY: "s3cret",
      AWS_SESSION_TOKEN: "tok",
      AWS_REGION: "ap-northeast-1",
    } as never);

    await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });

    expect(application.received[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAFORWARDER\/\d{8}\/ap-northeast-1\/execute-api\//);
    expect(application.received[0].headers["x-amz-security-token"]).toBe("tok");
  });

  test("FORWARD_TIMEOUT_MS cuts a hanging target", async () => {
    const slow = await target(hang);
    const application = await target();
    const handler = sourceForwarder({ slow: { application: slow.url }, orders: { application: application.url } }, { FORWARD_TIMEOUT_MS: "300" });

    const started = Date.now();
    const response = await handler(sqsEvent({ messageId: "s-1", group: "slow" }, { messageId: "o-1", group: "orders" }), lambdaContext());

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(response).toEqual(failedIds(["s-1"]));
  });

  test("without FORWARD_TIMEOUT_MS a hanging target is cut before the invocation runs out of time", async () => {
    const slow = await target(hang);
    const handler = sourceForwarder({ slow: { application: slow.url } });

    const started = Date.now();
    await expect(handler(sqsEvent({ messageId: "s-1", group: "slow" }), lambdaContext(1_500))).rejects.toMatchObject({
      name: "FullBatchFailureError",
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
    expect(Date.now() - started).toBeLessThan(1_490);
  }, 5_000);

  test("a webhook that fails verification is quarantined in QUARANTINE_QUEUE_URL with its reason; the batch has no failure", async () => {
    const application = await target();
    const quarantine = aws.queueUrl("webhooks-quarantine.fifo");
    const handler = sourceForwarder({ github: { application: application.url } }, { QUARANTINE_QUEUE_URL: quarantine });

    const response = await handler(sqsEvent(await githubRecord("forged-1", "a guess"), await githubRecord("m-2", GITHUB_SECRET)), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(messageIds(application.received)).toEqual(["m-2"]);
    expect(aws.sent).toEqual([
      expect.objectContaining({
        QueueUrl: quarantine,
        MessageGroupId: "github:1",
        MessageDeduplicationId: "quarantine-forged-1",
        MessageAttributes: expect.objectContaining({ "quarantine-reason": { DataType: "String", StringValue: "signature mismatch" } }),
      }),
    ]);
    expect(logEntries(output.lines())).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "webhook quarantined",
        messageId: "forged-1",
        quarantineMessageId: expect.any(String),
      }),
    );
  });

  test("without QUARANTINE_QUEUE_URL such a webhook cannot be quarantined: its record returns to the queue", async () => {
    const application = await target();
    const handler = sourceForwarder({ github: { application: application.url } });

    const invocation = handler(sqsEvent(await githubRecord("forged-1", "a guess")), lambdaContext());

    await expect(invocation).rejects.toMatchObject({
      name: "FullBatchFailureError",
      recordErrors: [
        expect.objectContaining({ message: "QUARANTINE_QUEUE_URL is not set: a webhook that fails verification cannot be quarantined" }),
      ],
    });
    expect(application.received).toHaveLength(0);
    expect(aws.sent).toHaveLength(0);
  });

  test("a target's signing secret is read from SSM, and the request carries a signature the application verifies", async () => {
    const application = await target();
    const handler = sourceForwarder({ orders: { application: { url: application.url, signingSecretParameter: "/webhooks/application" } } });

    await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });

    const [request] = application.received;
    expect(new Webhook(SIGNING_SECRET).verify(request.body.toString(), request.headers as Record<string, string>)).toEqual({
      event: "order.created",
      id: "m-1",
    });
  });

  test("a configuration error is logged at ERROR and thrown: every record returns to the queue", async () => {
    const application = await target();
    const handler = sourceForwarder({ orders: { application: application.url } }, { SOURCES: "{orders:" });

    await expect(handler(sqsEvent({ messageId: "m-1", group: "orders" }), lambdaContext())).rejects.toThrow(/SOURCES is not valid JSON/);

    expect(application.received).toHaveLength(0);
    expect(logEntries(output.lines())).toEqual([
      expect.objectContaining({
        level: "ERROR",
        message: "batch not forwarded; every record returns to the queue",
        error: expect.objectContaining({ message: expect.stringMatching(/^SOURCES is not valid JSON/) }),
      }),
    ]);
  });
});
