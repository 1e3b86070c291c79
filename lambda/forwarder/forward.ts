/** Forwarding one SQS record to every target of its message group. */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { classifyDelivery, postJson } from "./delivery";
import { type RoutingTable, type Target, targetsFor } from "./routes";

/** A record that must go back to the queue; the batch processor reports it in batchItemFailures. */
export class RecordNotForwardedError extends Error {
  override readonly name = "RecordNotForwardedError";
}

/** The records of an SQS event; throws for any other event (API Gateway, SNS, a console test, ...). */
export function sqsRecordsOf(event: unknown): SQSRecord[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records) || !records.every(isSqsRecord)) {
    throw new Error('the event is not an SQS event: expected "Records" whose eventSource is "aws:sqs"');
  }
  return records;
}

/** Why a record cannot be sent at all, or undefined when it can. */
export function recordProblem(record: SQSRecord, targets: readonly Target[] | undefined): string | undefined {
  if (targets === undefined) return "no route for its message group";
  if (typeof record.body !== "string" || record.body === "") return "no body";
  return undefined;
}

/**
 * Sends the record's body to all targets of its group at once and resolves only when
 * every one answered 2xx in time; otherwise throws RecordNotForwardedError.
 */
export async function forwardRecord(record: SQSRecord, routes: RoutingTable, timeoutMs: number, logger: Logger): Promise<void> {
  const messageId = record.messageId;
  const messageGroupId = record.attributes?.MessageGroupId;
  const targets = targetsFor(routes, messageGroupId);
  const problem = recordProblem(record, targets);
  if (problem !== undefined || targets === undefined) {
    logger.warn("message not forwarded", { messageId, messageGroupId, reason: problem });
    throw new RecordNotForwardedError(`message ${messageId} (group ${messageGroupId}): ${problem}`);
  }
  const attempts = await Promise.all(targets.map((target) => postJson(target.url, record.body, timeoutMs)));
  const failures: string[] = [];
  attempts.forEach((attempt, index) => {
    const outcome = classifyDelivery(attempt);
    const target = targets[index].name;
    const entry = { messageId, messageGroupId, target, status: attempt.status, latencyMs: attempt.latencyMs, outcome };
    if (outcome === "delivered") {
      logger.info("message delivered", entry);
    } else {
      logger.warn("message not delivered", { ...entry, error: attempt.errorMessage, timeoutMs });
      failures.push(`${target} ${outcome}`);
    }
  });
  if (failures.length > 0) {
    throw new RecordNotForwardedError(`message ${messageId} (group ${messageGroupId}) not delivered: ${failures.join(", ")}`);
  }
}

function isSqsRecord(record: unknown): record is SQSRecord {
  const candidate = record as Partial<SQSRecord> | null;
  return typeof candidate === "object" && candidate !== null && candidate.eventSource === "aws:sqs" && typeof candidate.messageId === "string";
}
