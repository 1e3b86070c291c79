/**
 * `webhook-queue status`, the last hour per source: the forwarder's handler delivers (and fails)
 * webhooks to a real target, its EMF lines go into moto_server's CloudWatch as CloudWatch Logs
 * would put them (src/operations/local/emf-metrics.ts), and the CLI reads them back per source.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { EMULATOR_CREDENTIALS } from "../../../src/operations/emulator/moto-server";
import { EmfMetrics } from "../../../src/operations/local/emf-metrics";
import { captureOutput, type ForwarderHandler, setForwarderEnv } from "../../support/bundled-lambda";
import { createQueuePair, jsonOf, REGION, runCli, useMotoServer } from "../../support/cli-harness";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { pollOnce } from "../../support/forwarder-loop";
import { createHeldGroupsTable, forwarderFromSource, retryingForwarderEnv } from "../../support/held-groups";
import { startTarget, type LocalTarget } from "../../support/local-targets";
import { createMappedFunction } from "../../support/moto-mappings";

const FUNCTION = "status-webhook-event-producer";

describeWithTerraform(
  "webhook-queue status: deliveries in the last hour, per source",
  () => {
    const emulator = useMotoServer();
    let target: LocalTarget;
    let restoreEnv: () => void = () => undefined;

    afterAll(async () => {
      restoreEnv();
      await target?.close();
    });

    test("delivered, failed, retried and the end-to-end p50/p99 of each source, from the forwarder's own metric lines", async () => {
      const pair = await createQueuePair(emulator.sqs, "status", { maxReceiveCount: 70, redriveAllowPolicy: true });
      await createMappedFunction({ endpoint: emulator.moto.endpoint, region: REGION }, pair.queueArn, FUNCTION);
      const dynamodb = new DynamoDBClient({ endpoint: emulator.moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
      await createHeldGroupsTable(dynamodb, "status-held-groups");
      dynamodb.destroy();
      target = await startTarget((request, response) => {
        response.writeHead(request.body.includes('"fail"') ? 503 : 200, { "content-type": "application/json" });
        response.end("{}");
      });
      restoreEnv = setForwarderEnv({
        ...retryingForwarderEnv({
          endpoint: emulator.moto.endpoint,
          region: REGION,
          targetUrl: target.url,
          queueUrl: pair.queueUrl,
          deadLetterQueueUrl: pair.dlqUrl,
          heldGroupsTable: "status-held-groups",
          policy: { maxAgeSeconds: 600, initialDelaySeconds: 60, maxDelaySeconds: 60 },
          maxReceiveCount: 70,
        }),
        POWERTOOLS_SERVICE_NAME: FUNCTION,
      });
      const handler: ForwarderHandler = forwarderFromSource();
      // Four webhooks of entity a (one failing, retried later) and two of b, received 2 s before SQS took them.
      for (const [entity, body] of [
        ["a", "{}"],
        ["a", "{}"],
        ["b", "{}"],
        ["b", '{"fail":true}'],
        ["a", "{}"],
      ]) {
        const id = `${entity}-${Math.random()}`;
        await emulator.sqs.send(
          new SendMessageCommand({
            QueueUrl: pair.queueUrl,
            MessageBody: body,
            MessageGroupId: `shop:${entity}`,
            MessageDeduplicationId: id,
            MessageAttributes: {
              "webhook-source": { DataType: "String", StringValue: "shop" },
              "webhook-id": { DataType: "String", StringValue: `v=${id}` },
              "webhook-received-at": { DataType: "Number", StringValue: String(Date.now() - 2000) },
            },
          }),
        );
      }
      const output = captureOutput();
      try {
        for (let poll = 0; poll < 3; poll++) await pollOnce(emulator.sqs, pair.queueUrl, pair.queueArn, handler);
      } finally {
        output.restore();
      }
      const cloudwatch = new CloudWatchClient({ endpoint: emulator.moto.endpoint, region: REGION, credentials: EMULATOR_CREDENTIALS });
      const metrics = new EmfMetrics(cloudwatch);
      for (const line of output.lines()) metrics.readLogLine(line);
      await metrics.flush();
      cloudwatch.destroy();
      expect(metrics.put).toBeGreaterThan(0);

      const queues = [...emulator.aws, "--queue-url", pair.queueUrl, "--dlq-url", pair.dlqUrl];
      const json = jsonOf(await runCli(["status", "--json", ...queues]));
      expect(json.deliveriesLastHour).toMatchObject({ service: FUNCTION });
      expect(json.deliveriesLastHour.sources).toEqual([
        {
          source: "shop",
          delivered: 4,
          failed: 1,
          retried: 1,
          quarantined: 0,
          deadLettered: 0,
          held: 0,
          p50Ms: expect.any(Number),
          p99Ms: expect.any(Number),
          deliveredPerFiveMinutes: expect.any(Array),
        },
      ]);
      const [shop] = json.deliveriesLastHour.sources;
      // Received 2 s before it was queued, delivered a moment later.
      expect(shop.p50Ms).toBeGreaterThanOrEqual(2000);
      expect(shop.p99Ms).toBeGreaterThanOrEqual(shop.p50Ms);
      expect(shop.deliveredPerFiveMinutes).toHaveLength(12);
      expect(shop.deliveredPerFiveMinutes.reduce((sum: number, value: number) => sum + value, 0)).toBe(4);

      const text = await runCli(["status", ...queues]);
      expect(text.stdout).toMatch(/deliveries in the last hour, per source \(CloudWatch WebhookQueue, service status-webhook-event-producer\)/);
      expect(text.stdout).toMatch(/\nSOURCE +DELIVERED +FAILED +RETRIED +QUARANTINED +DEAD-LETTERED +HELD +P50 +P99\n/);
      expect(text.stdout).toMatch(/\nshop +4 +1 +1 +0 +0 +0 +\d\.\d s +\d\.\d s\n/);
      // No terminal: no sparkline column.
      expect(text.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]/);
    }, 90_000);
  },
  ["moto_server"],
);
