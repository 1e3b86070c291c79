/**
 * The counting proxy in front of a real moto_server, with the SDK clients the pipeline uses:
 * queue URLs name the proxy (so a client that takes its endpoint from the queue URL, as the
 * forwarder's does, stays behind it), and every call is counted once, by service and action.
 */
import { BatchGetItemCommand, CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { RequestCounter, startRequestCounter } from "../../../src/operations/emulator/request-counter";

jest.setTimeout(60_000);

const REGION = "ap-northeast-1";
let moto: MotoServer;
let counter: RequestCounter;

beforeAll(async () => {
  moto = await startMotoServer();
  counter = await startRequestCounter({ upstream: moto.endpoint });
});

afterAll(async () => {
  await counter?.stop();
  await moto?.stop();
});

test("counts the SQS and DynamoDB calls of real clients against moto, each once, and queue URLs name the proxy", async () => {
  const sqs = new SQSClient({ region: REGION, endpoint: counter.endpoint, credentials: EMULATOR_CREDENTIALS });
  const dynamodb = new DynamoDBClient({ region: REGION, endpoint: counter.endpoint, credentials: EMULATOR_CREDENTIALS });
  // The forwarder's kind: no endpoint of its own, the queue URL's host is where it sends (the SDK warns that it does).
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: console.error };
  const byQueueUrl = new SQSClient({ region: REGION, credentials: EMULATOR_CREDENTIALS, logger: quiet });
  try {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: "counted.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }),
    );
    expect(new URL(QueueUrl!).origin).toBe(counter.endpoint);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: "counted",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "group", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "group", KeyType: "HASH" }],
      }),
    );
    counter.reset();

    for (const body of ["a", "b"]) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: "g" }));
    const { Messages = [] } = await byQueueUrl.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages.map((message) => message.Body)).toEqual(["a", "b"]);
    await byQueueUrl.send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: "0", ReceiptHandle: Messages[1].ReceiptHandle, VisibilityTimeout: 0 }] }),
    );
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
    await dynamodb.send(new BatchGetItemCommand({ RequestItems: { counted: { Keys: [{ group: { S: "g" } }], ConsistentRead: true } } }));

    const counts = counter.counts();
    const requests = Object.fromEntries(
      Object.entries(counts).map(([service, actions]) => [
        service,
        Object.fromEntries(Object.entries(actions).map(([action, tally]) => [action, tally.requests])),
      ]),
    );
    expect(requests).toEqual({
      sqs: { SendMessage: 2, ReceiveMessage: 1, ChangeMessageVisibilityBatch: 1, DeleteMessageBatch: 1 },
      dynamodb: { BatchGetItem: 1 },
    });
    expect(counts.sqs.ReceiveMessage.responseBytes).toBeGreaterThan(0);
  } finally {
    sqs.destroy();
    dynamodb.destroy();
    byQueueUrl.destroy();
  }
});
