/**
 * Order through the DLQ: `redrive`, `discard` and `status` on held groups, with the forwarder's
 * handler polling the main queue in this process (the event source mapping played by hand) and a
 * real HTTP target on 127.0.0.1, queues and the held-groups table in moto_server.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { HELD_GROUP } from "../../../lambda/forwarder/contract";
import { EMULATOR_CREDENTIALS } from "../../../src/operations/emulator/moto-server";
import { type ForwarderHandler, setForwarderEnv } from "../../support/bundled-lambda";
import { createQueuePair, drain, jsonOf, QueuePair, REGION, runCli, useMotoServer } from "../../support/cli-harness";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { startForwarderLoop } from "../../support/forwarder-loop";
import { createHeldGroupsTable, forwarderFromSource, retryingForwarderEnv } from "../../support/held-groups";
import { type LocalTarget, startTarget } from "../../support/local-targets";

const TABLE = "holds-held-groups";

describeWithTerraform(
  "webhook-queue and held groups",
  () => {
    const emulator = useMotoServer();
    let dynamodb: DynamoDBClient;
    let target: LocalTarget;
    let status = 200;
    const answered: string[] = [];
    let pair: QueuePair;
    let handler: ForwarderHandler;
    let restoreEnv: () => void = () => undefined;
    let sent = 0;

    beforeAll(async () => {
      dynamodb = new DynamoDBClient({ endpoint: emulator.moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
      await createHeldGroupsTable(dynamodb, TABLE);
      pair = await createQueuePair(emulator.sqs, "holds", { maxReceiveCount: 70, redriveAllowPolicy: true });
      target = await startTarget((request, response) => {
        if (status === 200) answered.push((JSON.parse(request.body.toString()) as { id: string }).id);
        response.writeHead(status, { "content-type": "application/json" });
        response.end("{}");
      });
      restoreEnv = setForwarderEnv(
        retryingForwarderEnv({
          endpoint: emulator.moto.endpoint,
          region: REGION,
          targetUrl: target.url,
          queueUrl: pair.queueUrl,
          deadLetterQueueUrl: pair.dlqUrl,
          heldGroupsTable: TABLE,
          policy: { maxAgeSeconds: 600, initialDelaySeconds: 1, maxDelaySeconds: 2 },
          maxReceiveCount: 70,
          logLevel: "SILENT",
        }),
      );
      handler = forwarderFromSource();
    }, 60_000);

    afterAll(async () => {
      restoreEnv();
      dynamodb?.destroy();
      await target?.close();
    });

    beforeEach(async () => {
      status = 200;
      answered.length = 0;
      await drain(emulator.sqs, pair.dlqUrl);
    });

    const attributes = (id: string, extra: Record<string, string> = {}) => ({
      "webhook-source": { DataType: "String", StringValue: "shop" },
      "webhook-id": { DataType: "String", StringValue: `v=${id}` },
      "webhook-received-at": { DataType: "Number", StringValue: String(Date.now() - 10) },
      ...Object.fromEntries(Object.entries(extra).map(([name, value]) => [name, { DataType: "String", StringValue: value }])),
    });
    /** A webhook as the route queues it. */
    const arrive = (entity: string, id: string) =>
      emulator.sqs.send(
        new SendMessageCommand({
          QueueUrl: pair.queueUrl,
          MessageBody: JSON.stringify({ entity, id }),
          MessageGroupId: `shop:${entity}`,
          MessageDeduplicationId: `${id}-${++sent}`,
          MessageAttributes: attributes(`${id}-${sent}`),
        }),
      );
    /** A dead letter as the forwarder sends it; returns its DLQ message ID. */
    const deadLetter = async (entity: string, id: string, reason: string) =>
      (
        await emulator.sqs.send(
          new SendMessageCommand({
            QueueUrl: pair.dlqUrl,
            MessageBody: JSON.stringify({ entity, id }),
            MessageGroupId: `shop:${entity}`,
            MessageDeduplicationId: `dead-${id}-${++sent}`,
            MessageAttributes: attributes(`${id}-${sent}`, { "dead-letter-reason": reason }),
          }),
        )
      ).MessageId!;
    const holdGroup = (entity: string, deadLettered: number) =>
      dynamodb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            [HELD_GROUP.group]: { S: `shop:${entity}` },
            [HELD_GROUP.state]: { S: "held" },
            [HELD_GROUP.heldAt]: { N: String(Date.now() - 5 * 60_000) },
            [HELD_GROUP.source]: { S: "shop" },
            [HELD_GROUP.headWebhookId]: { S: `${entity.toLowerCase()}1` },
            [HELD_GROUP.reason]: { S: "failing for 3600 s (application server-error)" },
            [HELD_GROUP.deadLettered]: { N: String(deadLettered) },
          },
        }),
      );
    const hold = async (entity: string) =>
      (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { [HELD_GROUP.group]: { S: `shop:${entity}` } }, ConsistentRead: true })))
        .Item;
    const queues = () => [...emulator.aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl, "--held-groups-table", TABLE];
    const until = async (done: () => boolean, ms: number) => {
      for (const end = Date.now() + ms; !done() && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 100));
    };

    test("status lists the held groups with their first webhook and why; redrive puts one back in order, new arrivals included, and releases it", async () => {
      await deadLetter("A", "a1", "failing for 3600 s");
      await deadLetter("A", "a2", "held behind webhook a1");
      await deadLetter("A", "a3", "held behind webhook a1");
      await holdGroup("A", 3);

      const shown = await runCli(["status", ...queues()]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/held groups: 1 \(their webhooks wait in the DLQ, in order/);
      expect(shown.stdout).toMatch(/\nshop:A +held +5m 0\ds +3 +a1 +failing for 3600 s \(application server-error\)/);
      expect(jsonOf(await runCli(["status", "--json", ...queues()])).heldGroups).toEqual([
        expect.objectContaining({ group: "shop:A", state: "held", deadLettered: 3, headWebhookId: "a1", source: "shop" }),
      ]);

      // A webhook of the entity arrives meanwhile: it follows the group into the DLQ, and the redrive puts it back last.
      await arrive("A", "a4");
      const forwarder = startForwarderLoop(emulator.sqs, pair.queueUrl, pair.queueArn, handler);
      try {
        const run = await runCli(["redrive", "--group", "shop:A", "--yes", ...queues()]);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^group shop:A: released$/m);
        await until(() => answered.length >= 4, 10_000);
      } finally {
        await forwarder.stop();
      }
      expect(answered).toEqual(["a1", "a2", "a3", "a4"]);
      expect(await hold("A")).toBeUndefined();
      expect(await drain(emulator.sqs, pair.dlqUrl)).toEqual([]);
      expect((await runCli(["status", ...queues()])).stdout).toMatch(/held groups: none \(every group flows\)/);
    }, 90_000);

    test("a run killed between recording a copy and sending it leaves nothing stuck: the next run sends that copy and releases the group", async () => {
      const dead = await deadLetter("E", "e1", "failing for 3600 s");
      await holdGroup("E", 1);
      // What the killed run left: the copy recorded on the hold (by its deduplication ID), the dead letter still in the DLQ.
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { [HELD_GROUP.group]: { S: "shop:E" } },
          UpdateExpression: "SET #s = :redriving ADD #c :copy",
          ExpressionAttributeNames: { "#s": HELD_GROUP.state, "#c": HELD_GROUP.copiesSent },
          ExpressionAttributeValues: { ":redriving": { S: "redriving" }, ":copy": { SS: [`redrive-${dead}`] } },
        }),
      );
      const forwarder = startForwarderLoop(emulator.sqs, pair.queueUrl, pair.queueArn, handler);
      try {
        const run = await runCli(["redrive", "--group", "shop:E", "--yes", ...queues()]);
        expect(run.stdout).toMatch(/^group shop:E: released$/m);
      } finally {
        await forwarder.stop();
      }
      expect(answered).toEqual(["e1"]);
      expect(await hold("E")).toBeUndefined();
    }, 60_000);

    test("a filter never moves a later message of a group before an earlier one", async () => {
      const first = await deadLetter("B", "b1", "failing for 3600 s");
      const second = await deadLetter("B", "b2", "held behind webhook b1");
      const run = await runCli(["redrive", "--message-id", second, "--yes", ...queues()]);
      expect(run.stdout).toContain(`skipped: message ${second} (group shop:B): held behind message ${first} of its group, which stays`);
      expect(run.stdout).toMatch(/moved 0, skipped 2, failed 0/);
      expect((await drain(emulator.sqs, pair.dlqUrl)).map((m) => JSON.parse(m.body).id)).toEqual(["b1", "b2"]);
    }, 60_000);

    test("copies the application does not take in time: the group stays held ('redriving'), and says so", async () => {
      await deadLetter("C", "c1", "failing for 3600 s");
      await holdGroup("C", 1);
      status = 503;
      const forwarder = startForwarderLoop(emulator.sqs, pair.queueUrl, pair.queueArn, handler);
      try {
        const run = await runCli(["redrive", "--group", "shop:C", "--yes", "--wait-delivered", "2", ...queues()]);
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(
          /^group shop:C: still held: 1 of 1 copies not delivered yet \(the forwarder keeps retrying them\); run "webhook-queue redrive --group shop:C" again/m,
        );
        expect((await hold("C"))?.[HELD_GROUP.state]?.S).toBe("redriving");
        // The application is back: the copy is delivered, and the next run releases the group.
        status = 200;
        await until(() => answered.includes("c1"), 10_000);
        const again = await runCli(["redrive", "--group", "shop:C", "--yes", ...queues()]);
        expect(again.stdout).toMatch(/^group shop:C: released$/m);
      } finally {
        await forwarder.stop();
      }
      expect(await hold("C")).toBeUndefined();
    }, 90_000);

    test("discard: the poison webhook alone keeps the group held behind the rest; discarding them all releases it", async () => {
      const poison = await deadLetter("D", "d1", "failing for 3600 s");
      await deadLetter("D", "d2", "held behind webhook d1");
      await holdGroup("D", 2);
      const one = await runCli(["discard", "--message-id", poison, "--yes", ...queues()]);
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/^group shop:D: still held: 1 of its messages stay in the DLQ/m);
      expect(one.stdout).toMatch(/discarded 1, skipped 1, failed 0/);
      const all = await runCli(["discard", "--group", "shop:D", "--yes", ...queues()]);
      expect(all.stdout).toMatch(/^group shop:D: released$/m);
      expect(await hold("D")).toBeUndefined();
      expect(await drain(emulator.sqs, pair.dlqUrl)).toEqual([]);
      expect((await runCli(["discard", ...queues()])).code).toBe(2);
    }, 60_000);
  },
  ["moto_server"],
);
