/**
 * The forwarder: SQS FIFO batch -> each message's source -> verified -> every target, in order.
 *
 * Records go one after another through Powertools' SqsFifoPartialProcessorAsync with
 * `skipGroupOnError`: once a record fails, the later records of its group are not sent
 * and are reported with it in batchItemFailures, while other groups carry on. When every
 * record fails the processor throws, so the whole batch returns to the queue.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { FORWARDER_ENV, parseForwardTimeoutMs } from "./contract";
import { forwardRecord, sqsRecordsOf } from "./forward";
import { quarantine } from "./quarantine";
import { secretValues } from "./secrets";
import { lambdaCredentials } from "./sigv4";
import { sourceTableOf } from "./sources";
import { recordTimeouts } from "./timeout";

/** Service name and level come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL. */
const logger = new Logger();

export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  try {
    const sources = sourceTableOf(process.env[FORWARDER_ENV.sources]);
    const quarantineQueueUrl = process.env[FORWARDER_ENV.quarantineQueueUrl];
    const records = sqsRecordsOf(event);
    const configuredTimeout = parseForwardTimeoutMs(process.env[FORWARDER_ENV.forwardTimeoutMs]);
    const nextTimeout = recordTimeouts(configuredTimeout, context && (() => context.getRemainingTimeInMillis()), records.length);
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
      });
    const processor = new SqsFifoPartialProcessorAsync(); // holds one batch's state
    const response = await processPartialResponse({ Records: records }, forward, processor, { context, skipGroupOnError: true });
    logger.info("batch done", { records: records.length, failed: response.batchItemFailures.map((failure) => failure.itemIdentifier) });
    return response;
  } catch (error) {
    logger.error("batch not forwarded; every record returns to the queue", error as Error);
    throw error;
  }
}
