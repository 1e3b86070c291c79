/**
 * Quarantine into a real FIFO queue (moto, with the project's correction that counts attributes
 * against the maximum size, as SQS does): a webhook that filled the queue's size has no room for
 * its attributes and the reason, and is quarantined with the reason alone, never left to be retried
 * into the dead-letter queue.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { quarantine } from "../../../lambda/forwarder/set-aside";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";
import { setForwarderEnv } from "../../support/bundled-lambda";
import { describeWithTerraform } from "../../support/describe-with-terraform";
import { sqsRecord } from "../../support/sqs-events";

describeWithTerraform(
  "quarantine into a FIFO queue at its maximum size",
  () => {
    let moto: MotoServer;
    let sqs: SQSClient;
    let queueUrl: string;
    let restoreEnv: () => void;

    beforeAll(async () => {
      moto = await startMotoServer();
      restoreEnv = setForwarderEnv({
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_REGION: "ap-northeast-1",
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      });
      sqs = new SQSClient({ endpoint: moto.endpoint, region: "ap-northeast-1", credentials: EMULATOR_CREDENTIALS });
      queueUrl = (
        await sqs.send(new CreateQueueCommand({ QueueName: "quarantine.fifo", Attributes: { FifoQueue: "true", MaximumMessageSize: "2048" } }))
      ).QueueUrl!;
    }, 30_000);
    afterAll(async () => {
      restoreEnv?.();
      sqs?.destroy();
      await moto?.stop();
    });

    const received = async () =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 })))
        .Messages ?? [];

    test("a webhook with room: its attributes and the reason", async () => {
      await quarantine(sqsRecord({ messageId: "m-1", group: "github:1", body: "{}" }), "signature mismatch", queueUrl);
      const [message] = await received();
      expect(Object.keys(message.MessageAttributes ?? {}).sort()).toEqual([
        "quarantine-reason",
        "webhook-id",
        "webhook-received-at",
        "webhook-source",
      ]);
    });

    test("a webhook at the limit: the body and the reason alone, said so", async () => {
      // 1,900 bytes of body and ~190 of forged signature header: over 2,048 with the reason, under it without.
      const record = sqsRecord({
        messageId: "m-2",
        group: "github:2",
        body: JSON.stringify({ pad: "x".repeat(1890) }),
        attributes: { "header.x-hub-signature-256": `v=${"f".repeat(120)}` },
      });
      await expect(quarantine(record, "signature mismatch", queueUrl)).resolves.toMatch(/^[0-9a-f-]{36}$/);
      const [message] = await received();
      expect(message.Body).toBe(record.body);
      expect(message.MessageAttributes).toEqual({
        "quarantine-reason": { DataType: "String", StringValue: "signature mismatch (attributes dropped: no room)" },
      });
    });
  },
  ["moto_server"],
);
