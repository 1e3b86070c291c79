/** Quarantine: a webhook that fails verification goes to the quarantine queue, here an SQS endpoint on 127.0.0.1, with everything needed to release it. */
import type { SQSRecord } from "aws-lambda";
import { quarantine, setAsideAttributes } from "../../../lambda/forwarder/set-aside";
import { setForwarderEnv } from "../../support/bundled-lambda";
import { type LocalAws, startLocalAws } from "../../support/local-aws";
import { sqsRecord } from "../../support/sqs-events";

const BYTES = Buffer.from([0, 1, 2, 254, 255]);

/** A record whose attributes are exactly these (as Lambda passes them). */
function withAttributes(messageAttributes: SQSRecord["messageAttributes"] | undefined): SQSRecord {
  return { ...sqsRecord({ messageId: "m-1", group: "github" }), messageAttributes: messageAttributes as SQSRecord["messageAttributes"] };
}

const string = (stringValue: string) => ({ stringValue, stringListValues: [], binaryListValues: [], dataType: "String" });

describe("setAsideAttributes", () => {
  test("the record's string attributes as SendMessage takes them, and the reason", () => {
    const record = withAttributes({ "webhook-source": string("github"), "header.x-hub-signature-256": string("v=sha256=abc") });

    expect(setAsideAttributes(record, "quarantine-reason", "signature mismatch")).toEqual({
      "webhook-source": { DataType: "String", StringValue: "github" },
      "header.x-hub-signature-256": { DataType: "String", StringValue: "v=sha256=abc" },
      "quarantine-reason": { DataType: "String", StringValue: "signature mismatch" },
    });
  });

  test("a binary attribute is passed on as its bytes, and a custom data type is kept", () => {
    const record = withAttributes({
      blob: { binaryValue: BYTES.toString("base64"), stringListValues: [], binaryListValues: [], dataType: "Binary.gzip" },
      count: { stringValue: "3", stringListValues: [], binaryListValues: [], dataType: "Number" },
    });

    const attributes = setAsideAttributes(record, "quarantine-reason", "r");

    expect(attributes.blob).toEqual({ DataType: "Binary.gzip", BinaryValue: BYTES });
    expect(Buffer.isBuffer(attributes.blob.BinaryValue)).toBe(true);
    expect(attributes.count).toEqual({ DataType: "Number", StringValue: "3" });
  });

  test("an empty string value is kept; an attribute with no value at all is left out", () => {
    const record = withAttributes({
      empty: string(""),
      list: { stringListValues: ["a"], binaryListValues: [], dataType: "String" },
    });

    expect(setAsideAttributes(record, "quarantine-reason", "r")).toEqual({
      empty: { DataType: "String", StringValue: "" },
      "quarantine-reason": { DataType: "String", StringValue: "r" },
    });
  });

  test("a record without attributes gets the reason only", () => {
    expect(setAsideAttributes(withAttributes(undefined), "quarantine-reason", "no receive time")).toEqual({
      "quarantine-reason": { DataType: "String", StringValue: "no receive time" },
    });
  });

  test("a redriven record's old reason is replaced by the new one", () => {
    const record = withAttributes({ "quarantine-reason": string("old reason") });

    expect(setAsideAttributes(record, "quarantine-reason", "new reason")["quarantine-reason"]).toEqual({
      DataType: "String",
      StringValue: "new reason",
    });
  });

  test("the reason is cut at 256 characters", () => {
    const reason = "r".repeat(300);

    expect(setAsideAttributes(withAttributes({}), "quarantine-reason", reason)["quarantine-reason"].StringValue).toBe("r".repeat(256));
    expect(setAsideAttributes(withAttributes({}), "quarantine-reason", "r".repeat(256))["quarantine-reason"].StringValue).toBe("r".repeat(256));
  });
});

describe("quarantine: SendMessage to the quarantine queue", () => {
  let aws: LocalAws;
  let restoreEnv: () => void;

  beforeAll(async () => {
    aws = await startLocalAws();
    restoreEnv = setForwarderEnv(aws.env);
  });
  afterAll(async () => {
    restoreEnv();
    await aws.close();
  });
  beforeEach(() => {
    aws.sent.length = 0;
    aws.sendAnswer = "message-id";
  });

  test("sends the body, the group, its attributes and the reason, deduplicated per message; resolves with the new message's ID", async () => {
    const queue = aws.queueUrl("webhooks-quarantine.fifo");
    const record = sqsRecord({
      messageId: "m-42",
      group: "github:r1",
      source: "github",
      body: '{"action":"opened"}',
      attributes: { "webhook-id": "v=72d3162e" },
    });

    const messageId = await quarantine(record, "signature mismatch", queue);

    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(aws.sent).toEqual([
      {
        QueueUrl: queue,
        MessageBody: '{"action":"opened"}',
        MessageGroupId: "github:r1",
        MessageDeduplicationId: "quarantine-m-42",
        MessageAttributes: {
          "webhook-source": { DataType: "String", StringValue: "github" },
          "webhook-id": { DataType: "String", StringValue: "v=72d3162e" },
          "webhook-received-at": { DataType: "String", StringValue: "1699999999975" },
          "quarantine-reason": { DataType: "String", StringValue: "signature mismatch" },
        },
      },
    ]);
  });

  test("binary attributes arrive as the same bytes", async () => {
    const record = withAttributes({
      blob: { binaryValue: BYTES.toString("base64"), stringListValues: [], binaryListValues: [], dataType: "Binary" },
    });

    await quarantine(record, "r", aws.queueUrl("webhooks-quarantine.fifo"));

    expect(aws.sent[0].MessageAttributes?.blob).toEqual({ DataType: "Binary", BinaryValue: BYTES.toString("base64") });
  });

  test("several quarantines go through, each with its own deduplication ID", async () => {
    const queue = aws.queueUrl("webhooks-quarantine.fifo");

    await quarantine(sqsRecord({ messageId: "m-1", group: "g" }), "r", queue);
    await quarantine(sqsRecord({ messageId: "m-2", group: "g" }), "r", queue);

    expect(aws.sent.map((sent) => sent.MessageDeduplicationId)).toEqual(["quarantine-m-1", "quarantine-m-2"]);
  });

  test("an answer without a message ID resolves with an empty ID", async () => {
    aws.sendAnswer = "no-message-id";

    await expect(quarantine(sqsRecord({ messageId: "m-1", group: "g" }), "r", aws.queueUrl("webhooks-quarantine.fifo"))).resolves.toBe("");
  });

  test("a send SQS refuses rejects, so the record is retried rather than lost", async () => {
    aws.sendAnswer = "queue-does-not-exist";

    await expect(quarantine(sqsRecord({ messageId: "m-1", group: "g" }), "r", aws.queueUrl("gone-quarantine.fifo"))).rejects.toThrow(
      "The specified queue does not exist.",
    );
  });
});
