/**
 * The forwarder: SQS FIFO batch -> each message's source -> verified -> every target, in order.
 *
 * Records go one after another through Powertools' SqsFifoPartialProcessorAsync with
 * `skipGroupOnError`: once a record fails, the later records of its group are not sent
 * and are reported with it in batchItemFailures, while other groups carry on. When every
 * record fails: with retries inside the queue (RETRY_POLICY) every record is reported, each
 * with its backoff set; without, the processor throws, so the whole batch returns to the queue.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { DELIVERY_METRICS, FORWARDER_ENV, parseForwardTimeoutMs, parseRetryPolicy } from "./contract";
import { forwardRecord, RetryInQueue, sqsRecordsOf } from "./forward";
import { heldGroups } from "./held-groups";
import { deliveryMetrics } from "./metrics";
import { deadLetter, quarantine } from "./set-aside";
import { changeVisibility } from "./sqs";
import { secretValues } from "./secrets";
import { lambdaCredentials } from "./sigv4";
import { sourceTableOf } from "./sources";
import { recordTimeouts } from "./timeout";

/** Service name and level come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL. */
const logger = new Logger();
/** Namespace and service dimension from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME. */
const metrics = new Metrics({ namespace: process.env[FORWARDER_ENV.metricsNamespace] ?? DELIVERY_METRICS.namespace });

export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const recorded = deliveryMetrics(metrics);
  try {
    const sources = sourceTableOf(process.env[FORWARDER_ENV.sources]);
    const quarantineQueueUrl = process.env[FORWARDER_ENV.quarantineQueueUrl];
    const records = sqsRecordsOf(event);
    const configuredTimeout = parseForwardTimeoutMs(process.env[FORWARDER_ENV.forwardTimeoutMs]);
    const nextTimeout = recordTimeouts(configuredTimeout, context && (() => context.getRemainingTimeInMillis()), records.length);
    const retry = retryInQueue(records);
    const forward = (record: SQSRecord) =>
      forwardRecord(record, {
        sources,
        timeoutMs: nextTimeout(),
        logger,
        secrets: secretValues,
        quarantine: (quarantined, reason) => {
          if (!quarantineQueueUrl)
            throw new Error(`${FORWARDER_ENV.quarantineQueueUrl} is not set: a webhook that fails verification cannot be quarantined`);
          return quarantine(quarantined, reason, quarantineQueueUrl);
        },
        awsCredentials: () => lambdaCredentials(),
        metrics: recorded,
        ...(retry && { retry }),
      });
    const processor = new SqsFifoPartialProcessorAsync(); // holds one batch's state
    let response: SQSBatchResponse;
    try {
      // With retries inside the queue a batch that failed whole is no error of the function: each record has its backoff.
      response = await processPartialResponse({ Records: records }, forward, processor, {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: retry === undefined,
      });
    } catch (error) {
      await retry?.holdBackSkipped(records, new Set(records.map((record) => record.messageId)));
      throw error;
    }
    await retry?.holdBackSkipped(records, new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier)));
    logger.info("batch done", { records: records.length, failed: response.batchItemFailures.map((failure) => failure.itemIdentifier) });
    return response;
  } catch (error) {
    logger.error("batch not forwarded; every record returns to the queue", error as Error);
    throw error;
  } finally {
    recorded.publish();
  }
}

/**
 * Retries inside the queue, from RETRY_POLICY; undefined when unset. Dead letters go to
 * DEAD_LETTER_QUEUE_URL, holds to HELD_GROUPS_TABLE (one read of the batch's groups).
 */
function retryInQueue(records: readonly SQSRecord[]): (RetryInQueue & { holdBackSkipped: HoldBackSkipped }) | undefined {
  const policy = parseRetryPolicy(process.env[FORWARDER_ENV.retryPolicy]);
  if (!policy) return undefined;
  const queueUrl = process.env[FORWARDER_ENV.queueUrl];
  const deadLetterQueueUrl = process.env[FORWARDER_ENV.deadLetterQueueUrl];
  if (!queueUrl || !deadLetterQueueUrl) {
    throw new Error(`${FORWARDER_ENV.retryPolicy} needs ${FORWARDER_ENV.queueUrl} and ${FORWARDER_ENV.deadLetterQueueUrl}`);
  }
  const maxReceiveCount = Number(process.env[FORWARDER_ENV.maxReceiveCount]);
  const table = process.env[FORWARDER_ENV.heldGroupsTable];
  const groups = records.map((record) => record.attributes?.MessageGroupId ?? "");
  /** Per group, the backoff its failed record got; the records skipped behind it get the same. */
  const backoffs = new Map<string, { readonly messageId: string; readonly seconds: number }>();
  return {
    policy,
    ...(Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 && { maxReceiveCount }),
    retryLater: async (record, seconds) => {
      await changeVisibility(queueUrl, [{ receiptHandle: record.receiptHandle, seconds }]);
      backoffs.set(record.attributes?.MessageGroupId ?? "", { messageId: record.messageId, seconds });
    },
    deadLetter: (record, reason) => deadLetter(record, reason, deadLetterQueueUrl),
    ...(table && { holds: heldGroups(table, groups) }),
    // Records the batch processor skipped behind a failure would come back after the queue's
    // visibility timeout rather than with their group's head: they get its backoff too.
    holdBackSkipped: async (batch, failed) => {
      const skipped = batch.flatMap((record) => {
        const backoff = backoffs.get(record.attributes?.MessageGroupId ?? "");
        return backoff && failed.has(record.messageId) && backoff.messageId !== record.messageId
          ? [{ receiptHandle: record.receiptHandle, seconds: backoff.seconds }]
          : [];
      });
      try {
        await changeVisibility(queueUrl, skipped);
      } catch (error) {
        logger.warn("backoff not set on the records skipped behind a failure", { error: (error as Error).message });
      }
    },
  };
}

type HoldBackSkipped = (records: readonly SQSRecord[], failed: ReadonlySet<string>) => Promise<void>;
