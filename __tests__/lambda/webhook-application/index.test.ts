/** The dummy application, as bundled for Lambda: it answers 200 and logs metadata at INFO, the body only at DEBUG. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { captureOutput, loadBundledHandler, logEntries } from "../../support/bundled-lambda";
import { lambdaContext } from "../../support/sqs-events";

type Handler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The file Lambda gets, and the module itself (what the mutation tests see), each loaded afresh: the logger reads its level at load time. */
const LOADERS: [string, () => Handler][] = [
  ["bundled", () => loadBundledHandler<Handler>("webhook-application")],
  [
    "from its source",
    () => {
      let handler: Handler | undefined;
      jest.isolateModules(() => {
        handler = (require("../../../lambda/webhook-application/index") as { handler: Handler }).handler;
      });
      return handler!;
    },
  ],
];

const BODY = JSON.stringify({ event: "approval.updated", email: "someone@example.com" });

function event(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "POST /application-hook",
    rawPath: "/application-hook",
    rawQueryString: "group=g1",
    headers: { "content-type": "application/json", "user-agent": "forwarder", "webhook-id": "msg_1", authorization: "Bearer secret" },
    requestContext: { requestId: "Kq0ZXj2xNjMEJdw=" } as APIGatewayProxyEventV2["requestContext"],
    body: BODY,
    isBase64Encoded: false,
    ...overrides,
  };
}

describe.each(LOADERS)("the application, %s", (_name, load) => {
  async function invoke(logLevel: string, input: APIGatewayProxyEventV2, context?: Context) {
    process.env.POWERTOOLS_LOG_LEVEL = logLevel;
    process.env.POWERTOOLS_SERVICE_NAME = "mz-dev-webhook-application";
    const handler = load();
    const output = captureOutput();
    try {
      const answer = await handler(input, context);
      return { answer, entries: logEntries(output.lines()) };
    } finally {
      output.restore();
      delete process.env.POWERTOOLS_LOG_LEVEL;
    }
  }

  test("answers 200 with a short text and CORS headers", async () => {
    const { answer } = await invoke("INFO", event());
    expect(answer).toEqual({
      statusCode: 200,
      body: "Webhook received",
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type",
      },
    });
  });

  test("at INFO: one line of metadata (request ID, route, size, chosen headers), never the body, the query string or credentials", async () => {
    const { entries } = await invoke("INFO", event({ rawQueryString: "token=s3cr3t-in-query" }));
    expect(entries).toEqual([
      expect.objectContaining({
        level: "INFO",
        message: "webhook received",
        service: "mz-dev-webhook-application",
        requestId: "Kq0ZXj2xNjMEJdw=",
        routeKey: "POST /application-hook",
        path: "/application-hook",
        bodyBytes: Buffer.byteLength(BODY),
        headers: { "content-type": "application/json", "user-agent": "forwarder", "webhook-id": "msg_1" },
        signed: false,
      }),
    ]);
    expect(JSON.stringify(entries)).not.toContain("someone@example.com");
    expect(JSON.stringify(entries)).not.toContain("secret");
    expect(JSON.stringify(entries)).not.toContain("s3cr3t");
  });

  test("the IAM principal API Gateway let in, on the INFO line", async () => {
    const caller = "arn:aws:sts::123456789012:assumed-role/mz-dev-webhook-event-producer-execution-role/mz-dev-webhook-event-producer";
    const requestContext = { requestId: "r", authorizer: { iam: { userArn: caller } } } as unknown as APIGatewayProxyEventV2["requestContext"];
    const { entries } = await invoke("INFO", event({ requestContext }));
    expect(entries[0]).toMatchObject({ caller });
  });

  test("at DEBUG: the body too, decoded when API Gateway base64-encoded it", async () => {
    const { entries } = await invoke("DEBUG", event({ body: Buffer.from(BODY).toString("base64"), isBase64Encoded: true }));
    expect(entries.map((entry) => entry.message)).toEqual(["webhook received", "webhook body"]);
    expect(entries[0].bodyBytes).toBe(Buffer.byteLength(BODY));
    expect(entries[1]).toMatchObject({ level: "DEBUG", requestId: "Kq0ZXj2xNjMEJdw=", query: "group=g1", body: BODY });
  });

  test("a request without body or query still answers 200", async () => {
    const { answer, entries } = await invoke("INFO", event({ body: undefined, rawQueryString: "" }));
    expect(answer.statusCode).toBe(200);
    expect(entries[0]).toMatchObject({ bodyBytes: 0 });
  });

  test("a signed request from the forwarder: every logged header, and that it was signed, never the signature", async () => {
    const headers = {
      "content-type": "application/json",
      "user-agent": "forwarder",
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": "v1,c2lnbmF0dXJl",
      "x-webhook-source": "github",
      "x-other": "not logged",
    };
    const { entries } = await invoke("INFO", event({ headers }));
    expect(entries[0]).toMatchObject({
      headers: {
        "content-type": "application/json",
        "user-agent": "forwarder",
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "x-webhook-source": "github",
      },
      signed: true,
    });
    expect(Object.keys(entries[0].headers as object)).toHaveLength(5);
    expect(JSON.stringify(entries)).not.toContain("c2lnbmF0dXJl");
  });

  test("with a Lambda context its request ID is on the line", async () => {
    const { entries } = await invoke("INFO", event(), lambdaContext());
    expect(entries[0]).toMatchObject({ message: "webhook received", function_request_id: "c6af9ac6-7b61-11e6-9a41-93e812345678" });
  });

  test("without a Lambda context (a local run) there is none", async () => {
    const { entries } = await invoke("INFO", event());
    expect(entries[0]).not.toHaveProperty("function_request_id");
  });

  test("at DEBUG a plain body is logged as it came, the bytes counted as UTF-8", async () => {
    const body = '{"name":"山田"}';
    const { entries } = await invoke("DEBUG", event({ body }));
    expect(entries[0].bodyBytes).toBe(Buffer.byteLength(body));
    expect(entries[1]).toMatchObject({ message: "webhook body", body });
  });

  test("a request with neither headers, body nor request context still answers 200 and logs what there is", async () => {
    const { answer, entries } = await invoke(
      "DEBUG",
      event({ headers: undefined as never, body: undefined, isBase64Encoded: true, requestContext: undefined as never }),
    );
    expect(answer.statusCode).toBe(200);
    expect(entries[0]).toMatchObject({ message: "webhook received", bodyBytes: 0, headers: {}, signed: false });
    expect(entries[0].requestId).toBeUndefined();
    // The logger leaves an empty string out.
    expect(entries[1]).toMatchObject({ message: "webhook body" });
    expect(entries[1]).not.toHaveProperty("body");
  });
});
