/**
 * The forwarder: SQS FIFO batch -> every target of each message's group, in order.
 *
 * Records go one after another through Powertools' SqsFifoPartialProcessorAsync with
 * `skipGroupOnError`: once a record fails, the later records of its group are not sent
 * and are reported with it in batchItemFailures, while other groups carry on. When every
 * record fails the processor throws, so the whole batch returns to the queue.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { forwardRecord, sqsRecordsOf } from "./forward";
import { parseRoutes } from "./routes";
import { parseForwardTimeoutMs, recordTimeouts } from "./timeout";

/** Service name and level come from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL. */
const logger = new Logger();

export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  try {
    const routes = parseRoutes(process.env.ROUTES);
    const records = sqsRecordsOf(event);
    const configuredTimeout = parseForwardTimeoutMs(process.env.FORWARD_TIMEOUT_MS);
    const nextTimeout = recordTimeouts(configuredTimeout, context && (() => context.getRemainingTimeInMillis()), records.length);
    const forward = (record: SQSRecord) => forwardRecord(record, routes, nextTimeout(), logger);
    const processor = new SqsFifoPartialProcessorAsync(); // holds one batch's state
    const response = await processPartialResponse({ Records: records }, forward, processor, { context, skipGroupOnError: true });
    logger.info("batch done", { records: records.length, failed: response.batchItemFailures.map((failure) => failure.itemIdentifier) });
    return response;
  } catch (error) {
    logger.error("batch not forwarded; every record returns to the queue", error as Error);
    throw error;
  }
}
