/** The local gateway over real HTTP: SQS-SendMessage against real moto. */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../../src/operations/emulator/moto-server";
import { LocalGateway, startLocalGateway } from "../../../../src/operations/local/gateway/server";

const REGION = "ap-northeast-1";

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
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageSystemAttributeNames: ["MessageGroupId"], WaitTimeSeconds: 1 }),
    );
    expect(received.Messages?.[0]).toMatchObject({ Body: '{"event":"approval"}', Attributes: { MessageGroupId: "g1" } });
  });

  test("an unmatched route answers 404 Not Found", async () => {
    const response = await post("/other", "{}");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: "Not Found" });
    expect((await fetch(`${gateway.url}/sqs-hook`)).status).toBe(404);
  });

  test("a parameter the request cannot give fails the integration (500, as API Gateway); an empty body is SQS's MissingParameter", async () => {
    const noGroup = await post("/sqs-hook", "{}", {});
    expect(noGroup.status).toBe(500);
    expect(await noGroup.json()).toEqual({ message: "Internal Server Error" });
    const empty = await post("/sqs-hook", "");
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ Error: { Code: "MissingParameter", Type: "Sender" } });
  });

  test("a group or deduplication ID SQS refuses (over 128 characters, not ASCII) answers the SaaS 400 with SQS's error; the webhook is not queued", async () => {
    // As the stack maps a source's group and delivery ID: `<source>:${...}` (docs/sources.md).
    const { QueueUrl: githubQueue } = await sqs.send(new CreateQueueCommand({ QueueName: "gateway-github.fifo", Attributes: { FifoQueue: "true" } }));
    const local = await startLocalGateway({
      routes: [
        {
          routeKey: "POST /webhooks/github",
          integrationAddress: "aws_apigatewayv2_integration.webhook_source_github_integration",
          integrationType: "AWS_PROXY",
          integrationSubtype: "SQS-SendMessage",
          requestParameters: {
            QueueUrl: githubQueue!,
            MessageBody: "$request.body",
            MessageGroupId: "github:${request.body.repository.full_name}",
            MessageDeduplicationId: "github:${request.header.X-GitHub-Delivery}",
          },
        },
      ],
      sqs,
      apiId: "abc123",
    });
    const deliver = async (fullName: string, delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") => {
      const response = await fetch(`${local.url}/webhooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-delivery": delivery },
        body: JSON.stringify({ repository: { full_name: fullName } }),
      });
      return { status: response.status, body: await response.json() };
    };
    const refused = (parameter: string, value: string) => ({
      status: 400,
      body: {
        Error: {
          Code: "InvalidParameterValue",
          Message: `Value ${value} for parameter ${parameter} is invalid. Reason: ${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
          Type: "Sender",
        },
        RequestId: expect.any(String),
      },
    });
    try {
      const room = 128 - "github:".length;
      const longest = `acme/${"r".repeat(room - "acme/".length)}`;
      expect(await deliver(`${longest}s`)).toEqual(refused("MessageGroupId", `github:${longest}s`));
      expect(await deliver("acme/café")).toEqual(refused("MessageGroupId", "github:acme/café"));
      const longDelivery = "d".repeat(room + 1);
      expect(await deliver("acme/widgets", longDelivery)).toEqual(refused("MessageDeduplicationId", `github:${longDelivery}`));
      expect(await deliver(longest)).toMatchObject({ status: 200 });
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: githubQueue,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ["MessageGroupId"],
          WaitTimeSeconds: 1,
        }),
      );
      expect(received.Messages?.map((message) => message.Attributes?.MessageGroupId)).toEqual([`github:${longest}`]);
    } finally {
      await local.stop();
    }
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
