/**
 * The FIFO queue's throughput mode (`queue.highThroughput`) against moto_server, with the
 * project's patches (which keep deduplication IDs per group when the scope says so): the values
 * the construct synthesizes are taken on create and in place on a queue holding a webhook, as
 * Terraform's update sets them, and deduplication then works per message group. No deploy: the
 * SQS calls the provider would make, on their own.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { Testing } from "cdktf";
import { FifoQueue } from "../../../src/infrastructure/constructs/fifo-queue";
import { EMULATOR_CREDENTIALS, MotoServer, startMotoServer } from "../../../src/operations/emulator/moto-server";

jest.setTimeout(60_000);

const REGION = "ap-northeast-1";
const MODE_ATTRIBUTES: readonly QueueAttributeName[] = ["FifoThroughputLimit", "DeduplicationScope"];
let moto: MotoServer;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await startMotoServer();
  sqs = new SQSClient({ region: REGION, endpoint: moto.endpoint, credentials: EMULATOR_CREDENTIALS });
});

afterAll(async () => {
  sqs?.destroy();
  await moto?.stop();
});

/** The queue's throughput attributes as the construct synthesizes them, under SQS's names. */
function synthesizedMode(highThroughput: boolean): Record<string, string> {
  let queueId = "";
  const json = JSON.parse(
    Testing.synthScope((scope) => {
      queueId = new FifoQueue(scope, "queues", { queueName: "mode", highThroughput }).queue.friendlyUniqueId;
    }),
  );
  const queue = json.resource.aws_sqs_queue[queueId];
  return { FifoThroughputLimit: queue.fifo_throughput_limit, DeduplicationScope: queue.deduplication_scope };
}

async function modeOf(queueUrl: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...MODE_ATTRIBUTES] }));
  return Attributes;
}

test("moto takes both modes as synthesized, on create and in place; switched on, a deduplication ID is unique per message group", async () => {
  const high = synthesizedMode(true);
  expect(high).toEqual({ FifoThroughputLimit: "perMessageGroupId", DeduplicationScope: "messageGroup" });
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: "created-high.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", ...high } }),
  );
  expect(await modeOf(created.QueueUrl!)).toEqual(high);

  // An existing queue holding a webhook, in normal mode, switched as `terraform apply` does.
  const normal = synthesizedMode(false);
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: "switched.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true", ...normal } }),
  );
  expect(await modeOf(QueueUrl!)).toEqual({ FifoThroughputLimit: "perQueue", DeduplicationScope: "queue" });
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "queued before", MessageGroupId: "github:1", MessageDeduplicationId: "d-0" }));
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: high }));
  expect(await modeOf(QueueUrl!)).toEqual(high);

  const send = (group: string, body: string) =>
    sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: "delivery-1" }));
  const first = await send("github:42", "delivery");
  const retry = await send("github:42", "the provider's retry");
  await send("stripe:42", "another group, the same ID");
  expect(retry.MessageId).toBe(first.MessageId);
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
  expect(Messages.map((message) => message.Body).sort()).toEqual(["another group, the same ID", "delivery", "queued before"]);

  // And back: both attributes return to SQS's normal values.
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: normal }));
  expect(await modeOf(QueueUrl!)).toEqual(normal);
});
