/** SQS FIFO events and a Lambda context shaped like the ones Lambda passes to the forwarder. */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";

export interface RecordSpec {
  readonly messageId: string;
  /** The MessageGroupId: the source's static group, or `<source>:<value>`. */
  readonly group: string;
  /** Omit for the default JSON; `null` for a record without a body. */
  readonly body?: string | null;
  /**
   * The source whose route wrote it (the `webhook-source` attribute); `null` for a message queued by
   * the article's stack, which wrote no attribute at all. @default the group's, up to a `:`
   */
  readonly source?: string | null;
  /** @default `req-<messageId>`, as API Gateway's request ID; with `source: null`, the body's SHA-256 (content-based) */
  readonly deduplicationId?: string;
  /** SQS's SentTimestamp, ms. @default 1700000000000 */
  readonly sentAt?: number;
  /** More message attributes (string values), e.g. signature headers; they replace the route's own of the same name. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A record as the ingress writes it: attributes that agree with its group, deduplication ID and SentTimestamp. */
export function sqsRecord({ messageId, group, body, source, deduplicationId, sentAt, attributes }: RecordSpec): SQSRecord {
  const text = body === undefined ? JSON.stringify({ event: "order.created", id: messageId }) : (body as string);
  const sourceName = source === undefined ? group.split(":")[0] : source;
  const deduplication =
    deduplicationId ??
    (sourceName === null
      ? createHash("sha256")
          .update(text ?? "")
          .digest("hex")
      : `req-${messageId}`);
  const sent = sentAt ?? 1_700_000_000_000;
  const routeWritten =
    sourceName === null
      ? {}
      : {
          "webhook-source": sourceName,
          "webhook-id": `v=${deduplication.startsWith(`${sourceName}:`) ? deduplication.slice(sourceName.length + 1) : deduplication}`,
          // API Gateway received it a moment before SQS took it.
          "webhook-received-at": String(sent - 25),
        };
  const strings = { ...routeWritten, ...attributes };
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(sent),
      SenderId: "AROAEXAMPLE",
      ApproximateFirstReceiveTimestamp: String(sent + 1),
      SequenceNumber: "18849496460467696128",
      MessageGroupId: group,
      MessageDeduplicationId: deduplication,
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
