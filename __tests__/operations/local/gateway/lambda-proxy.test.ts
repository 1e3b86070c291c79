/**
 * The local gateway's AWS_PROXY Lambda integration: the payload format 2.0 event, the answer
 * mapped back as API Gateway does, the resource policy check, and the whole path over real
 * HTTP to the bundled dummy application in a Lambda sandbox.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { dirname } from "node:path";
import { bundleLambda } from "../../../../src/infrastructure/bundling/bundle";
import {
  answerOf,
  arnLike,
  functionArnOf,
  invocationAllowed,
  payloadV2Event,
  ProxyRequest,
  requestTime,
} from "../../../../src/operations/local/gateway/lambda-proxy";
import { LocalGateway, startLocalGateway } from "../../../../src/operations/local/gateway/server";
import { SandboxPool } from "../../../../src/operations/local/lambda-sandbox";

const FUNCTION_ARN = "arn:aws:lambda:ap-northeast-1:123456789012:function:mz-dev-webhook-application";
const EXECUTION_ARN = "arn:aws:execute-api:ap-northeast-1:123456789012:api1";

function proxyRequest(overrides: Partial<ProxyRequest> = {}): ProxyRequest {
  return {
    method: "POST",
    rawPath: "/application-hook",
    rawQueryString: "group=a&tag=x&tag=y",
    headers: { "content-type": ["application/json"], "x-multi": ["1", "2"], cookie: ["a=1; b=2"], "user-agent": ["curl/8"] },
    body: Buffer.from('{"id":1}'),
    routeKey: "POST /application-hook",
    pathParameters: {},
    requestId: "Kq0ZXj2xNjMEJdw=",
    apiId: "api1",
    accountId: "123456789012",
    domainName: "api1.execute-api.ap-northeast-1.amazonaws.com",
    sourceIp: "127.0.0.1",
    protocol: "HTTP/1.1",
    timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58),
    ...overrides,
  };
}

describe("payloadV2Event", () => {
  test("headers lower-case and comma-joined, cookies apart, query parameters joined, request context filled", () => {
    expect(payloadV2Event(proxyRequest())).toEqual({
      version: "2.0",
      routeKey: "POST /application-hook",
      rawPath: "/application-hook",
      rawQueryString: "group=a&tag=x&tag=y",
      cookies: ["a=1", "b=2"],
      headers: { "content-type": "application/json", "x-multi": "1,2", "user-agent": "curl/8" },
      queryStringParameters: { group: "a", tag: "x,y" },
      requestContext: {
        accountId: "123456789012",
        apiId: "api1",
        domainName: "api1.execute-api.ap-northeast-1.amazonaws.com",
        domainPrefix: "api1",
        http: { method: "POST", path: "/application-hook", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "curl/8" },
        requestId: "Kq0ZXj2xNjMEJdw=",
        routeKey: "POST /application-hook",
        stage: "$default",
        time: "12/Mar/2020:19:03:58 +0000",
        timeEpoch: Date.UTC(2020, 2, 12, 19, 3, 58),
      },
      body: '{"id":1}',
      isBase64Encoded: false,
    });
  });

  test("a binary body is base64-encoded; no body, no query and no path parameters are left out", () => {
    const binary = payloadV2Event(proxyRequest({ headers: { "content-type": ["application/octet-stream"] }, body: Buffer.from([0, 255]) }));
    expect(binary).toMatchObject({ body: "AP8=", isBase64Encoded: true });
    const bare = payloadV2Event(proxyRequest({ headers: {}, body: Buffer.alloc(0), rawQueryString: "" }));
    expect(bare).not.toHaveProperty("body");
    expect(bare).not.toHaveProperty("queryStringParameters");
    expect(bare).not.toHaveProperty("pathParameters");
    expect(bare).not.toHaveProperty("cookies");
    expect(bare.isBase64Encoded).toBe(false);
    expect(payloadV2Event(proxyRequest({ pathParameters: { id: "7" } })).pathParameters).toEqual({ id: "7" });
  });

  test("requestTime is API Gateway's CLF time", () => {
    expect(requestTime(Date.UTC(2026, 10, 3, 4, 5, 6))).toBe("03/Nov/2026:04:05:06 +0000");
  });
});

describe("answerOf (the function's answer as the HTTP response)", () => {
  const returned = (result: unknown) => answerOf({ kind: "returned", result, durationMs: 1 });

  test("statusCode, headers, cookies and body as given; text/plain when no content type", () => {
    expect(returned({ statusCode: 201, headers: { "X-A": "1" }, cookies: ["s=1"], body: "made" })).toEqual({
      status: 201,
      headers: { "content-type": "text/plain; charset=utf-8", "x-a": "1", "set-cookie": ["s=1"] },
      body: Buffer.from("made"),
    });
    expect(returned({ statusCode: 200, headers: { "content-type": "application/json" }, body: "{}" }).headers).toEqual({
      "content-type": "application/json",
    });
  });

  test("a base64 body is decoded", () => {
    expect(returned({ statusCode: 200, body: "AP8=", isBase64Encoded: true }).body).toEqual(Buffer.from([0, 255]));
  });

  test("anything without a statusCode is a 200 JSON body", () => {
    expect(returned({ ok: true })).toEqual({ status: 200, headers: { "content-type": "application/json" }, body: Buffer.from('{"ok":true}') });
    expect(returned(null).body).toEqual(Buffer.from("null"));
  });

  test("an error, a timeout or a status that is none is a 500 Internal Server Error", () => {
    const internal = { status: 500, body: { message: "Internal Server Error" } };
    expect(answerOf({ kind: "error", errorType: "Error", errorMessage: "boom", durationMs: 1 })).toEqual(internal);
    expect(answerOf({ kind: "timeout", durationMs: 3000 })).toEqual(internal);
    expect(returned({ statusCode: "teapot" })).toEqual(internal);
    expect(returned({ statusCode: 99 })).toEqual(internal);
  });
});

describe("the function's resource policy", () => {
  const policy = (
    condition?: Record<string, unknown>,
    principal: unknown = { Service: "apigateway.amazonaws.com" },
    action: unknown = "lambda:InvokeFunction",
  ) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "s", Effect: "Allow", Principal: principal, Action: action, Resource: FUNCTION_ARN, ...(condition && { Condition: condition }) },
      ],
    });
  const routeArn = `${EXECUTION_ARN}/*/POST/application-hook`;

  test("the stack's permission lets that route in, on any stage, and nothing else", () => {
    const allowed = policy({ ArnLike: { "AWS:SourceArn": routeArn } });
    expect(invocationAllowed(allowed, `${EXECUTION_ARN}/$default/POST/application-hook`)).toBe(true);
    expect(invocationAllowed(allowed, `${EXECUTION_ARN}/$default/GET/application-hook`)).toBe(false);
    expect(invocationAllowed(allowed, `${EXECUTION_ARN}/$default/POST/other`)).toBe(false);
    expect(invocationAllowed(allowed, `arn:aws:execute-api:ap-northeast-1:123456789012:api2/$default/POST/application-hook`)).toBe(false);
  });

  test("no policy, another principal, another action or a Deny let nothing in; no condition lets every route in", () => {
    const source = `${EXECUTION_ARN}/$default/POST/application-hook`;
    expect(invocationAllowed(undefined, source)).toBe(false);
    expect(invocationAllowed(policy(undefined, { Service: "events.amazonaws.com" }), source)).toBe(false);
    expect(invocationAllowed(policy(undefined, undefined, "lambda:GetFunction"), source)).toBe(false);
    expect(invocationAllowed(policy(undefined).replace('"Allow"', '"Deny"'), source)).toBe(false);
    expect(invocationAllowed(policy(undefined), source)).toBe(true);
    expect(invocationAllowed(policy({ ArnEquals: { "AWS:SourceArn": source } }), source)).toBe(true);
  });

  test("ArnLike matches each ARN part on its own", () => {
    expect(arnLike("arn:aws:execute-api:*:*:api1/*", `${EXECUTION_ARN}/$default/POST/x`)).toBe(true);
    expect(arnLike("arn:aws:execute-api:us-east-1:*:api1/*", `${EXECUTION_ARN}/$default/POST/x`)).toBe(false);
    expect(arnLike(`${EXECUTION_ARN}/?default/POST/x`, `${EXECUTION_ARN}/$default/POST/x`)).toBe(true);
  });

  test("the function ARN comes out of an integration URI", () => {
    expect(functionArnOf(`arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/${FUNCTION_ARN}/invocations`)).toBe(FUNCTION_ARN);
    expect(functionArnOf(FUNCTION_ARN)).toBe(FUNCTION_ARN);
  });
});

describe("over HTTP: the gateway runs the bundled dummy application behind its route", () => {
  let gateway: LocalGateway;
  let pool: SandboxPool;
  let permission = JSON.stringify({
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "lambda:InvokeFunction",
        Condition: { ArnLike: { "AWS:SourceArn": `${EXECUTION_ARN}/*/POST/application-hook` } },
      },
    ],
  });
  const logs: string[] = [];
  const sqs = new SQSClient({ region: "ap-northeast-1", endpoint: "http://127.0.0.1:9" });

  beforeAll(async () => {
    const bundle = bundleLambda("webhook-application");
    pool = new SandboxPool(
      {
        functionName: "mz-dev-webhook-application",
        functionArn: FUNCTION_ARN,
        handler: "index.handler",
        timeoutSeconds: 3,
        memorySizeMb: 128,
        runtime: "nodejs22.x",
        environment: { POWERTOOLS_LOG_LEVEL: "DEBUG", POWERTOOLS_SERVICE_NAME: "mz-dev-webhook-application" },
        region: "ap-northeast-1",
        codeDirectory: dirname(bundle.file),
      },
      { onLog: (line) => logs.push(line) },
    );
    gateway = await startLocalGateway({
      routes: [
        {
          routeKey: "POST /application-hook",
          integrationAddress: "aws_apigatewayv2_integration.webhook_application",
          integrationType: "AWS_PROXY",
          integrationUri: `arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/${FUNCTION_ARN}/invocations`,
          payloadFormatVersion: "2.0",
          requestParameters: {},
        },
      ],
      sqs,
      apiId: "api1",
      executionArn: EXECUTION_ARN,
      lambda: { invoke: (_arn, event) => pool.invoke(event), policy: async () => permission },
    });
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await pool?.stop();
    sqs.destroy();
  });

  const post = () =>
    fetch(`${gateway.url}/application-hook?group=g1`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"id":42}' });

  test("200 with the function's own answer and headers; its log holds the request's metadata and body", async () => {
    const response = await post();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Webhook received");
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const requestId = response.headers.get("apigw-requestid");
    // The sandbox's stdout is a pipe apart from its answer: its lines may arrive just after it.
    const entriesOf = () => logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.requestId === requestId);
    for (const deadline = Date.now() + 5_000; entriesOf().length < 2 && Date.now() < deadline;) await new Promise((wake) => setTimeout(wake, 10));
    expect(entriesOf()).toEqual([
      expect.objectContaining({ message: "webhook received", routeKey: "POST /application-hook" }),
      expect.objectContaining({ message: "webhook body", query: "group=g1", body: '{"id":42}' }),
    ]);
  });

  test("several requests at once each get a sandbox: all answered 200", async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, post));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
  });

  test("without a permission for the route, API Gateway cannot invoke it: 500, and the function never runs", async () => {
    const saved = permission;
    permission = saved.replace("/POST/application-hook", "/GET/application-hook");
    try {
      const response = await post();
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: "Internal Server Error" });
      await new Promise((settled) => setTimeout(settled, 200));
      expect(logs.filter((line) => line.includes(`"${response.headers.get("apigw-requestid")}"`))).toEqual([]);
    } finally {
      permission = saved;
    }
  });

  test("a route switched off for a release answers 503 without calling the function", async () => {
    gateway.setUnavailable("POST /application-hook", true);
    try {
      const response = await post();
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ message: "Service Unavailable" });
    } finally {
      gateway.setUnavailable("POST /application-hook", false);
    }
    expect((await post()).status).toBe(200);
  });
});
