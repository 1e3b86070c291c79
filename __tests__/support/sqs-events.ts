/** SQS FIFO events and a Lambda context shaped like the ones Lambda passes to the forwarder. */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";

export interface RecordSpec {
  readonly messageId: string;
  readonly group: string;
  /** Omit for the default JSON; `null` for a record without a body. */
  readonly body?: string | null;
  /** The source attribute; `null` for a message queued before sources existed. @default the group */
  readonly source?: string | null;
  /** More message attributes (string values), e.g. signature headers. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export function sqsRecord({ messageId, group, body, source, attributes }: RecordSpec): SQSRecord {
  const strings = { ...(source !== null && { "webhook-source": source ?? group }), ...attributes };
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: body === undefined ? JSON.stringify({ event: "order.created", id: messageId }) : (body as string),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1700000000000",
      SenderId: "AROAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1700000000001",
      SequenceNumber: "18849496460467696128",
      MessageGroupId: group,
      MessageDeduplicationId: `dedup-${messageId}`,
    },
    messageAttributes: Object.fromEntries(
      Object.entries(strings).map(([name, value]) => [name, { stringValue: value, stringListValues: [], binaryListValues: [], dataType: "String" }]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:ap-northeast-1:123456789012:webhook.fifo",
    awsRegion: "ap-northeast-1",
  };
}

export function sqsEvent(...records: RecordSpec[]): SQSEvent {
  return { Records: records.map(sqsRecord) };
}

/** A context whose remaining time runs down with the wall clock. */
export function lambdaContext(remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "webhook-forwarder",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:ap-northeast-1:123456789012:function:webhook-forwarder",
    memoryLimitInMB: "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/webhook-forwarder",
    logStreamName: "2024/01/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
