/**
 * Retries inside the queue and held groups, end to end: the forwarder's handler, FIFO queues and the
 * held-groups table in moto_server, a real HTTP target on 127.0.0.1 that fails on demand, and the
 * event source mapping played by hand, one receive at a time (__tests__/support/forwarder-loop.ts).
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { HELD_GROUP } from "../../../lambda/forwarder/contract";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { captureOutput, type ForwarderHandler, logEntries, setForwarderEnv } from "../../support/bundled-lambda";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { pollOnce } from "../../support/forwarder-loop";
import { createHeldGroupsTable, forwarderFromSource, retryingForwarderEnv } from "../../support/held-groups";
import { type LocalTarget, startTarget } from "../../support/local-targets";

const REGION = "ap-northeast-1";
const QUEUE_ARN = `arn:aws:sqs:${REGION}:123456789012:retry.fifo`;

describeWithTerraform(
  "retries inside the queue, and groups held behind their dead letters",
  () => {
    let moto: MotoServer;
    let sqs: SQSClient;
    let dynamodb: DynamoDBClient;
    let queueUrl: string;
    let dlqUrl: string;
    let target: LocalTarget;
    /** What the target answers next; each request is recorded by the target itself. */
    let status = 200;
    /** The webhooks the target answered 2xx, in order. */
    const answered: string[] = [];
    let retryAfter: string | undefined;
    let handler: ForwarderHandler;
    let restoreEnv: () => void;
    let output: ReturnType<typeof captureOutput>;

    beforeAll(async () => {
      moto = await startMotoServer();
      const client = { endpoint: moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS };
      sqs = new SQSClient(client);
      dynamodb = new DynamoDBClient(client);
      dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "retry-dlq.fifo", Attributes: { FifoQueue: "true" } }))).QueueUrl!;
      queueUrl = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: "retry.fifo",
            Attributes: { FifoQueue: "true", VisibilityTimeout: "30" },
          }),
        )
      ).QueueUrl!;
      await createHeldGroupsTable(dynamodb, "held-groups");
      target = await startTarget((request, response) => {
        if (status === 200) answered.push((JSON.parse(request.body.toString()) as { id: string }).id);
        response.writeHead(status, { "content-type": "application/json", ...(retryAfter !== undefined && { "retry-after": retryAfter }) });
        response.end("{}");
      });
      restoreEnv = setForwarderEnv(
        retryingForwarderEnv({
          endpoint: moto.endpoint,
          region: REGION,
          targetUrl: target.url,
          queueUrl,
          deadLetterQueueUrl: dlqUrl,
          heldGroupsTable: "held-groups",
          policy: { maxAgeSeconds: 600, initialDelaySeconds: 2, maxDelaySeconds: 4 },
          // The second failed receive of a webhook is its last: dead-lettered without waiting for the budget.
          maxReceiveCount: 2,
        }),
      );
      handler = forwarderFromSource();
    }, 60_000);

    beforeEach(() => {
      output = captureOutput();
      status = 200;
      retryAfter = undefined;
    });
    afterEach(() => output.restore());

    afterAll(async () => {
      restoreEnv?.();
      sqs?.destroy();
      dynamodb?.destroy();
      await target?.close();
      await moto?.stop();
    });

    let sent = 0;
    /** Queues a webhook as the route does: the group, a request ID as the deduplication ID, the attributes. */
    const send = async (entity: string, id: string) => {
      sent++;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({ entity, id }),
          MessageGroupId: `shop:${entity}`,
          MessageDeduplicationId: `req-${id}-${sent}`,
          MessageAttributes: {
            "webhook-source": { DataType: "String", StringValue: "shop" },
            "webhook-id": { DataType: "String", StringValue: `v=req-${id}-${sent}` },
            "webhook-received-at": { DataType: "Number", StringValue: String(Date.now() - 10) },
          },
        }),
      );
    };
    /** One poll of the event source mapping: receive, invoke, delete what the answer says is done. */
    const poll = async (): Promise<{ received: string[]; failed: string[] }> => {
      const { received, failed } = await pollOnce(sqs, queueUrl, QUEUE_ARN, handler);
      const idOf = (record: SQSRecord) => (JSON.parse(record.body) as { id: string }).id;
      return { received: received.map(idOf), failed: failed.map(idOf) };
    };
    const hidden = async () =>
      Number(
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }))).Attributes
          ?.ApproximateNumberOfMessagesNotVisible,
      );
    const dlq = async () => {
      const messages =
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: dlqUrl,
              MaxNumberOfMessages: 10,
              MessageAttributeNames: ["All"],
              MessageSystemAttributeNames: ["MessageGroupId"],
              VisibilityTimeout: 0,
            }),
          )
        ).Messages ?? [];
      return messages.map((message) => ({
        id: (JSON.parse(message.Body!) as { id: string }).id,
        group: message.Attributes?.MessageGroupId,
        reason: message.MessageAttributes?.["dead-letter-reason"]?.StringValue,
      }));
    };
    const hold = async (group: string) =>
      (await dynamodb.send(new GetItemCommand({ TableName: "held-groups", Key: { [HELD_GROUP.group]: { S: group } }, ConsistentRead: true }))).Item;
    const delivered = () => answered;

    test("a failed delivery is hidden for the backoff (ChangeMessageVisibility), with the records skipped behind it; the group is delivered in order once the target is back", async () => {
      await send("A", "a1");
      await send("A", "a2");
      status = 503;
      retryAfter = "3";
      const first = await poll();
      expect(first).toEqual({ received: ["a1", "a2"], failed: ["a1", "a2"] });
      // Both hidden for the target's Retry-After (3 s, within maxDelaySeconds), not the queue's 30 s visibility timeout.
      expect(await hidden()).toBe(2);
      expect((await poll()).received).toEqual([]);
      status = 200;
      retryAfter = undefined;
      const startedAt = Date.now();
      while (delivered().length < 2 && Date.now() - startedAt < 15_000) await poll();
      expect(delivered()).toEqual(["a1", "a2"]);
      // Back within the backoff (at most maxDelaySeconds, 4 s, after the last failure), long before the visibility timeout.
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect(await dlq()).toEqual([]);
      expect(await hold("shop:A")).toBeUndefined();
      expect(logEntries(output.lines()).filter((entry) => entry.message === "message not delivered")).toHaveLength(1);
      // A batch that failed whole is reported record by record, each with its backoff: no function error, no Errors alarm.
      expect(logEntries(output.lines()).filter((entry) => entry.level === "ERROR")).toEqual([]);
    }, 60_000);

    test("on its last receive a failed webhook is dead-lettered and its group held: the group's later webhooks follow it into the DLQ, other groups flow", async () => {
      status = 503;
      await send("B", "b1");
      await poll(); // receive 1: retried after the backoff
      await send("B", "b2");
      await send("C", "c1");
      const deadline = Date.now() + 20_000;
      // Receive 2 of b1 (the last: MAX_RECEIVE_COUNT 2) dead-letters it; b2 follows it, held; c1 is delivered once the target answers.
      while ((await dlq()).length < 2 && Date.now() < deadline) {
        await poll();
        status = (await hold("shop:B")) ? 200 : 503;
      }
      for (let i = 0; i < 5 && !delivered().includes("c1"); i++) await poll();
      expect(await dlq()).toEqual([
        {
          id: "b1",
          group: "shop:B",
          reason: expect.stringMatching(/^received 2 times, the queue's maxReceiveCount: .*\(application server-error\)$/),
        },
        {
          id: "b2",
          group: "shop:B",
          reason: expect.stringMatching(/^held behind webhook req-b1-\d+: an earlier webhook of its group is in the DLQ$/),
        },
      ]);
      expect(delivered()).toContain("c1");
      expect(delivered()).not.toContain("b2");
      const item = await hold("shop:B");
      expect(item?.[HELD_GROUP.state]?.S).toBe("held");
      expect(item?.[HELD_GROUP.deadLettered]?.N).toBe("2");
      expect(item?.[HELD_GROUP.headWebhookId]?.S).toMatch(/^req-b1-\d+$/);
      expect(item?.[HELD_GROUP.source]?.S).toBe("shop");
    }, 60_000);

    test("while the tool puts a held group back ('redriving'), its copies are delivered and recorded by ID, originals still go behind", async () => {
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: "held-groups",
          Key: { [HELD_GROUP.group]: { S: "shop:D" } },
          UpdateExpression: "SET #s = :r, #d = :one, #c = :copies",
          ExpressionAttributeNames: { "#s": HELD_GROUP.state, "#d": HELD_GROUP.deadLettered, "#c": HELD_GROUP.copiesSent },
          ExpressionAttributeValues: { ":r": { S: "redriving" }, ":one": { N: "1" }, ":copies": { SS: ["redrive-0000-d1"] } },
        }),
      );
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify({ entity: "D", id: "d1" }),
          MessageGroupId: "shop:D",
          MessageDeduplicationId: "redrive-0000-d1",
          MessageAttributes: {
            "webhook-source": { DataType: "String", StringValue: "shop" },
            "webhook-id": { DataType: "String", StringValue: "v=req-d1" },
            "webhook-received-at": { DataType: "Number", StringValue: String(Date.now() - 3_600_000) },
          },
        }),
      );
      await send("D", "d2");
      await poll();
      await poll();
      expect(delivered()).toContain("d1");
      expect(delivered()).not.toContain("d2");
      expect((await dlq()).filter((message) => message.id.startsWith("d")).map((message) => message.id)).toEqual(["d2"]);
      const item = await hold("shop:D");
      expect(item?.[HELD_GROUP.copiesSettled]?.SS).toEqual(["redrive-0000-d1"]);
      expect(item?.[HELD_GROUP.deadLettered]?.N).toBe("2");
      // Released by the tool: the group flows again.
      await dynamodb.send(new DeleteItemCommand({ TableName: "held-groups", Key: { [HELD_GROUP.group]: { S: "shop:D" } } }));
      await send("D", "d3");
      await poll();
      expect(delivered()).toContain("d3");
    }, 60_000);
  },
  ["moto_server"],
);
