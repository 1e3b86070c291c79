/**
 * The counting proxy: requests in each AWS protocol (JSON with X-Amz-Target, query with Action
 * in the form body or the URL, REST) classified by service and action, forwarded unchanged
 * (method, path, Host, body) to a stand-in upstream whose answers come back as they were.
 */
import { IncomingMessage } from "node:http";
import { AwsCall, classifyAwsRequest, RequestCounter, startRequestCounter } from "../../../src/operations/emulator/request-counter";
import { LoopbackServer, serveHttp } from "../../../src/operations/local/http-server";

const scope = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20261207/ap-northeast-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`;

describe("classifyAwsRequest", () => {
  test.each<[string, string, string, Record<string, string>, string, string, string]>([
    ["SQS (JSON)", "POST", "/", { "x-amz-target": "AmazonSQS.SendMessage", authorization: scope("sqs") }, "{}", "sqs", "SendMessage"],
    [
      "DynamoDB",
      "POST",
      "/",
      { "x-amz-target": "DynamoDB_20120810.BatchGetItem", authorization: scope("dynamodb") },
      "{}",
      "dynamodb",
      "BatchGetItem",
    ],
    ["DynamoDB, unsigned", "POST", "/", { "x-amz-target": "DynamoDB_20120810.UpdateItem" }, "{}", "dynamodb", "UpdateItem"],
    ["SQS (JSON), unsigned", "POST", "/", { "x-amz-target": "AmazonSQS.ReceiveMessage" }, "{}", "sqs", "ReceiveMessage"],
    [
      "SQS (query, form body)",
      "POST",
      "/",
      { "content-type": "application/x-www-form-urlencoded; charset=utf-8", authorization: scope("sqs") },
      "Action=DeleteMessageBatch&Version=2012-11-05",
      "sqs",
      "DeleteMessageBatch",
    ],
    ["SQS (query, URL)", "GET", "/?Action=ListQueues&Version=2012-11-05", { authorization: scope("sqs") }, "", "sqs", "ListQueues"],
    [
      "Lambda (REST)",
      "GET",
      "/2015-03-31/event-source-mappings/abc?x=1",
      { authorization: scope("lambda") },
      "",
      "lambda",
      "GET /2015-03-31/event-source-mappings/abc",
    ],
    ["nothing to go by", "GET", "/moto-api/", {}, "", "unknown", "GET /moto-api/"],
  ])("%s", (_label, method, url, headers, body, service, action) => {
    expect(classifyAwsRequest(method, url, headers, Buffer.from(body))).toEqual({ service, action });
  });
});

describe("the counting proxy", () => {
  let upstream: LoopbackServer;
  let counter: RequestCounter;
  const seen: { method?: string; url: string; host?: string; body: string }[] = [];
  const calls: AwsCall[] = [];

  beforeAll(async () => {
    upstream = await serveHttp(async (request: IncomingMessage, url, body) => {
      seen.push({ method: request.method, url: `${url.pathname}${url.search}`, host: request.headers.host, body: body.toString() });
      if (url.pathname === "/fail") return { status: 503, body: Buffer.from("slow down"), headers: { "x-upstream": "yes" } };
      return { status: 200, body: { echo: body.toString() } };
    });
    counter = await startRequestCounter({ upstream: upstream.url, onCall: (call) => calls.push(call) });
  });

  afterAll(async () => {
    await counter.stop();
    await upstream.stop();
  });

  beforeEach(() => {
    seen.length = 0;
    calls.length = 0;
    counter.reset();
  });

  const post = (path: string, headers: Record<string, string>, body: string) =>
    fetch(`${counter.endpoint}${path}`, { method: "POST", headers, body });

  test("forwards each request unchanged (Host included: moto writes queue URLs from it) and passes the answer back", async () => {
    const response = await post("/123456789012/q.fifo", { "x-amz-target": "AmazonSQS.SendMessage", authorization: scope("sqs") }, '{"a":1}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ echo: '{"a":1}' });
    expect(seen).toEqual([{ method: "POST", url: "/123456789012/q.fifo", host: new URL(counter.endpoint).host, body: '{"a":1}' }]);

    const failed = await fetch(`${counter.endpoint}/fail`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("x-upstream")).toBe("yes");
    expect(await failed.text()).toBe("slow down");
  });

  test("tallies requests and bytes by service and action, hands each call to onCall, and starts again on reset", async () => {
    for (let i = 0; i < 3; i++) await post("/", { "x-amz-target": "AmazonSQS.ReceiveMessage", authorization: scope("sqs") }, "{}");
    await post("/", { "x-amz-target": "DynamoDB_20120810.BatchGetItem", authorization: scope("dynamodb") }, '{"RequestItems":{}}');
    await post("/", { "content-type": "application/x-www-form-urlencoded" }, "Action=SendMessage&MessageBody=x");

    const echo = (body: string) => JSON.stringify({ echo: body }).length;
    expect(counter.counts()).toEqual({
      sqs: { ReceiveMessage: { requests: 3, requestBytes: 6, responseBytes: 3 * echo("{}") } },
      dynamodb: { BatchGetItem: { requests: 1, requestBytes: 19, responseBytes: echo('{"RequestItems":{}}') } },
      unknown: {
        SendMessage: {
          requests: 1,
          requestBytes: "Action=SendMessage&MessageBody=x".length,
          responseBytes: echo("Action=SendMessage&MessageBody=x"),
        },
      },
    });
    expect(calls.map((call) => `${call.service} ${call.action} ${call.status} ${call.request.toString()}`)).toEqual([
      "sqs ReceiveMessage 200 {}",
      "sqs ReceiveMessage 200 {}",
      "sqs ReceiveMessage 200 {}",
      'dynamodb BatchGetItem 200 {"RequestItems":{}}',
      "unknown SendMessage 200 Action=SendMessage&MessageBody=x",
    ]);

    const snapshot = counter.counts();
    snapshot.sqs.ReceiveMessage.requests = 99;
    expect(counter.counts().sqs.ReceiveMessage.requests).toBe(3);
    counter.reset();
    expect(counter.counts()).toEqual({});
  });

  test("an upstream that cannot be reached answers 502 and counts nothing", async () => {
    const nowhere = await startRequestCounter({ upstream: "http://127.0.0.1:1" });
    try {
      const response = await fetch(`${nowhere.endpoint}/`, { method: "POST", headers: { "x-amz-target": "AmazonSQS.SendMessage" }, body: "{}" });
      expect(response.status).toBe(502);
      expect(nowhere.counts()).toEqual({});
    } finally {
      await nowhere.stop();
    }
  });
});
