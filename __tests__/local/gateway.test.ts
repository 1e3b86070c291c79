/** The local gateway: routes and parameters read from the synthesized stack, SQS-SendMessage against real moto over real HTTP. */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Testing } from "cdktf";
import { createHash } from "node:crypto";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../src/emulator/moto-server";
import { emulator } from "../../src/environments";
import { deployedValuesOf, resolveReferences, SynthesizedStack } from "../../src/local/deployed-stack";
import { gatewayRoutes, LocalGateway, mapParameter, MappedRequest, matchRoute, startLocalGateway } from "../../src/local/gateway";
import { WebhookQueueStack } from "../../src/webhook-queue-stack";

const REGION = "ap-northeast-1";

function request(overrides: Partial<MappedRequest> = {}): MappedRequest {
  return {
    method: "POST",
    path: "/sqs-hook",
    headers: { "x-saas-event": ["approval"], "x-multi": ["a", "b"] },
    query: new URLSearchParams("tenant=t1&tag=x&tag=y"),
    pathParameters: { id: "42" },
    body: JSON.stringify({ event: { type: "approval.updated", ids: [7, 8] }, "odd key": "v" }),
    context: { requestId: "Kq0ZXj2xNjMEJdw=", routeKey: "POST /sqs-hook" },
    ...overrides,
  };
}

describe("mapParameter (HTTP API parameter mapping)", () => {
  test.each([
    ["$request.body", JSON.stringify({ event: { type: "approval.updated", ids: [7, 8] }, "odd key": "v" })],
    ["$request.body.event.type", "approval.updated"],
    ["$request.body.event.ids[1]", "8"],
    ["$request.body.event", JSON.stringify({ type: "approval.updated", ids: [7, 8] })],
    ["$request.body['odd key']", "v"],
    ["$request.header.X-SaaS-Event", "approval"],
    ["$request.header.x-multi", "a,b"],
    ["$request.querystring.tenant", "t1"],
    ["$request.querystring.tag", "x,y"],
    ["$request.path.id", "42"],
    ["$context.requestId", "Kq0ZXj2xNjMEJdw="],
    ["mz-dev-sqs-webhook", "mz-dev-sqs-webhook"],
  ])("%s -> %s", (expression, expected) => {
    expect(mapParameter(expression, request())).toBe(expected);
  });

  test.each(["$request.header.missing", "$request.querystring.Tenant", "$request.body.nothing.here", "$request.path.other", "$stageVariables.x", "$context.unknown"])(
    "%s has no value",
    (expression) => {
      expect(mapParameter(expression, request())).toBeUndefined();
    },
  );

  test("a JSONPath into a body that is not JSON has no value; the whole body still maps", () => {
    expect(mapParameter("$request.body.a", request({ body: "plain text" }))).toBeUndefined();
    expect(mapParameter("$request.body", request({ body: "plain text" }))).toBe("plain text");
  });
});

describe("matchRoute", () => {
  const routes = [{ routeKey: "POST /sqs-hook" }, { routeKey: "ANY /items/{id}" }, { routeKey: "GET /items/{id}" }, { routeKey: "GET /files/{proxy+}" }, { routeKey: "$default" }];

  test("exact path and method", () => {
    expect(matchRoute(routes, "POST", "/sqs-hook")?.route.routeKey).toBe("POST /sqs-hook");
  });
  test("a method beats ANY; path variables are captured", () => {
    expect(matchRoute(routes, "GET", "/items/9")).toEqual({ route: { routeKey: "GET /items/{id}" }, pathParameters: { id: "9" } });
    expect(matchRoute(routes, "DELETE", "/items/9")?.route.routeKey).toBe("ANY /items/{id}");
  });
  test("greedy variables take the rest of the path", () => {
    expect(matchRoute(routes, "GET", "/files/a/b.txt")?.pathParameters).toEqual({ proxy: "a/b.txt" });
  });
  test("anything else goes to $default, or nowhere without one", () => {
    expect(matchRoute(routes, "GET", "/sqs-hook")?.route.routeKey).toBe("$default");
    expect(matchRoute(routes.slice(0, 1), "GET", "/sqs-hook")).toBeUndefined();
    expect(matchRoute(routes.slice(0, 1), "POST", "/sqs-hook/")).toBeUndefined();
  });
});

describe("routes from the synthesized emulator stack", () => {
  const stack = JSON.parse(Testing.synth(new WebhookQueueStack(Testing.app(), emulator({})))) as SynthesizedStack;
  const deployed = deployedValuesOf(
    JSON.stringify({
      values: {
        root_module: {
          resources: [{ address: "aws_sqs_queue.webhook_queue", values: { url: "http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo" } }],
        },
      },
    }),
  );

  test("the route key and the integration's parameters, Terraform references resolved", () => {
    expect(gatewayRoutes(stack, deployed)).toEqual([
      {
        routeKey: "POST /sqs-hook",
        integrationAddress: "aws_apigatewayv2_integration.webhook_event_producer",
        integrationType: "AWS_PROXY",
        integrationSubtype: "SQS-SendMessage",
        requestParameters: {
          QueueUrl: "http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo",
          MessageGroupId: "mz-dev-sqs-webhook",
          MessageBody: "$request.body",
        },
      },
    ]);
  });

  test("resolveReferences: interpolation, $${ escapes, and a clear refusal of other expressions", () => {
    expect(resolveReferences("q=${aws_sqs_queue.webhook_queue.url}!", deployed)).toBe("q=http://127.0.0.1:5000/123456789012/mz-dev-webhook-queue.fifo!");
    expect(resolveReferences("$${literal}", deployed)).toBe("${literal}");
    expect(() => resolveReferences("${var.webhook.max_concurrency}", deployed)).toThrow(/only resource attribute references/);
    expect(() => resolveReferences("${aws_sqs_queue.webhook_dlq.url}", deployed)).toThrow(/aws_sqs_queue.webhook_dlq is not in the deployed state/);
  });
});

describe("the gateway over HTTP against moto", () => {
  let moto: MotoServer;
  let sqs: SQSClient;
  let gateway: LocalGateway;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
    queueUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: "gateway-test.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }))
    ).QueueUrl!;
    gateway = await startLocalGateway({
      routes: [
        {
          routeKey: "POST /sqs-hook",
          integrationAddress: "aws_apigatewayv2_integration.webhook_event_producer",
          integrationType: "AWS_PROXY",
          integrationSubtype: "SQS-SendMessage",
          requestParameters: { QueueUrl: queueUrl, MessageGroupId: "$request.header.x-group", MessageBody: "$request.body" },
        },
      ],
      sqs,
      apiId: "abc123",
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    sqs?.destroy();
    await moto?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = { "x-group": "g1" }) =>
    fetch(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  test("200 with SQS's SendMessageResponse; the message is in the queue with the mapped group", async () => {
    const response = await post("/sqs-hook", '{"event":"approval"}');
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("apigw-requestid")).toMatch(/^[A-Za-z0-9+/]{14}==?$/);
    const answer = await response.json();
    expect(answer).toEqual({
      SendMessageResponse: {
        ResponseMetadata: { RequestId: expect.any(String) },
        SendMessageResult: {
          MD5OfMessageAttributes: null,
          MD5OfMessageBody: createHash("md5").update('{"event":"approval"}').digest("hex"),
          MD5OfMessageSystemAttributes: null,
          MessageId: expect.any(String),
          // moto assigns none with content-based deduplication; SQS does.
          SequenceNumber: null,
        },
      },
    });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ["MessageGroupId"], WaitTimeSeconds: 1 }));
    expect(received.Messages?.[0]).toMatchObject({ Body: '{"event":"approval"}', Attributes: { MessageGroupId: "g1" } });
  });

  test("an unmatched route answers 404 Not Found", async () => {
    const response = await post("/other", "{}");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: "Not Found" });
    expect((await fetch(`${gateway.url}/sqs-hook`)).status).toBe(404);
  });

  test("a parameter the request cannot give is a 400; an empty body is SQS's MissingParameter", async () => {
    const noGroup = await post("/sqs-hook", "{}", {});
    expect(noGroup.status).toBe(400);
    expect(await noGroup.json()).toEqual({ message: "Bad Request" });
    const empty = await post("/sqs-hook", "");
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ Error: { Code: "MissingParameter", Type: "Sender" } });
  });

  test("SQS refusing the message comes back with SQS's status and error", async () => {
    const local = await startLocalGateway({
      routes: [
        {
          routeKey: "POST /sqs-hook",
          integrationAddress: "x",
          integrationType: "AWS_PROXY",
          integrationSubtype: "SQS-SendMessage",
          requestParameters: { QueueUrl: `${moto.endpoint}/123456789012/missing.fifo`, MessageGroupId: "g", MessageBody: "$request.body" },
        },
      ],
      sqs,
      apiId: "abc123",
    });
    try {
      const response = await fetch(`${local.url}/sqs-hook`, { method: "POST", body: "{}" });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ Error: { Code: expect.stringMatching(/QueueDoesNotExist|NonExistentQueue/), Type: "Sender" } });
    } finally {
      await local.stop();
    }
  });
});
