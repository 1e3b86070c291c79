/**
 * Forwarding one SQS record: find its source, verify its signature (quarantine it when that
 * fails), then POST it to every target of the source with the webhook's stable ID.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";
import { headerAttribute, MESSAGE_ATTRIBUTES, mappedValue } from "./contract";
import { classifyDelivery, postJson } from "./delivery";
import { signatureHeaders, signStandardWebhook, verifySignature } from "./signatures";
import { Source, sourceNameOf, SourceTable, Target } from "./sources";

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

/** What forwarding needs besides the record; the edges (SSM, the DLQ) are passed in. */
export interface ForwardContext {
  readonly sources: SourceTable;
  /** For messages without a source attribute (queued before sources existed). */
  readonly defaultSource?: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** The secrets of these SSM parameters (any readable; throws when none is). */
  readonly secrets: (parameters: readonly string[]) => Promise<string[]>;
  /** Sends the record to the DLQ with the reason; resolves with the DLQ message ID. */
  readonly quarantine: (record: SQSRecord, reason: string) => Promise<string>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The attribute's string value. */
function attribute(record: SQSRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}

/**
 * The webhook's stable ID, the same on every retry and redrive: the one the ingress wrote (the
 * provider's delivery ID, or API Gateway's request ID), else, for a message queued before the
 * ingress wrote one, a digest of its body (content-based deduplication made bodies unique then).
 */
export function webhookIdOf(record: SQSRecord): string {
  return (
    mappedValue(attribute(record, MESSAGE_ATTRIBUTES.webhookId)) ??
    `legacy_${createHash("sha256")
      .update(record.body ?? "")
      .digest("hex")
      .slice(0, 32)}`
  );
}

/** Why a record cannot be sent at all, or undefined when it can. */
export function recordProblem(record: SQSRecord, source: Source | undefined, sourceName: string | undefined): string | undefined {
  if (source === undefined)
    return sourceName === undefined ? "no source attribute and no default source" : `unknown source ${JSON.stringify(sourceName)}`;
  if (typeof record.body !== "string" || record.body === "") return "no body";
  return undefined;
}

/**
 * Checks the record's signature against its source's secrets; the reason when it fails, or
 * undefined when it holds (or the source is not signed). Secrets that cannot be read throw.
 */
export async function verificationFailure(record: SQSRecord, source: Source, context: ForwardContext): Promise<string | undefined> {
  if (!source.signature) return undefined;
  const headers = Object.fromEntries(
    signatureHeaders(source.signature).map((header) => [header, mappedValue(attribute(record, headerAttribute(header)))]),
  );
  const receivedAt = Number(attribute(record, MESSAGE_ATTRIBUTES.receivedAt));
  if (!Number.isFinite(receivedAt) || receivedAt <= 0) return "no receive time: the message did not come through the signed source's route";
  const verification = verifySignature(
    source.signature,
    { body: record.body, headers, receivedAtMs: receivedAt },
    await context.secrets(source.signature.secretParameters),
  );
  return verification.verified ? undefined : verification.reason;
}

/**
 * Forwards one record. A webhook that fails verification is quarantined (and the record counts
 * as handled); otherwise its body goes to all targets of its source at once, and this resolves
 * only when every one answered 2xx in time; any other outcome throws RecordNotForwardedError.
 */
export async function forwardRecord(record: SQSRecord, context: ForwardContext): Promise<void> {
  const { logger } = context;
  const messageId = record.messageId;
  const messageGroupId = record.attributes?.MessageGroupId;
  const sourceName = sourceNameOf(record, context.defaultSource);
  const source = sourceName === undefined ? undefined : context.sources.get(sourceName);
  const problem = recordProblem(record, source, sourceName);
  if (problem !== undefined || source === undefined) {
    logger.warn("message not forwarded", { messageId, messageGroupId, source: sourceName, reason: problem });
    throw new RecordNotForwardedError(`message ${messageId} (group ${messageGroupId}): ${problem}`);
  }
  const webhookId = webhookIdOf(record);
  const failure = await verificationFailure(record, source, context);
  if (failure !== undefined) {
    const deadLetterMessageId = await context.quarantine(record, failure);
    logger.warn("webhook quarantined: signature not verified", {
      messageId,
      messageGroupId,
      source: source.name,
      webhookId,
      reason: failure,
      deadLetterMessageId,
    });
    return;
  }
  const now = (context.now ?? Date.now)();
  const attempts = await Promise.all(
    source.targets.map(async (target) =>
      postJson(target.url, record.body, context.timeoutMs, await requestHeaders(target, source, webhookId, record.body, now, context)),
    ),
  );
  const failures: string[] = [];
  attempts.forEach((attempt, index) => {
    const outcome = classifyDelivery(attempt);
    const target = source.targets[index].name;
    const entry = {
      messageId,
      messageGroupId,
      source: source.name,
      webhookId,
      target,
      status: attempt.status,
      latencyMs: attempt.latencyMs,
      outcome,
    };
    if (outcome === "delivered") {
      logger.info("message delivered", entry);
    } else {
      logger.warn("message not delivered", { ...entry, error: attempt.errorMessage, timeoutMs: context.timeoutMs });
      failures.push(`${target} ${outcome}`);
    }
  });
  if (failures.length > 0) {
    throw new RecordNotForwardedError(`message ${messageId} (group ${messageGroupId}) not delivered: ${failures.join(", ")}`);
  }
}

/** The headers every forwarded request carries: the webhook's ID and source, and our own signature when the target has a secret. */
async function requestHeaders(
  target: Target,
  source: Source,
  webhookId: string,
  body: string,
  now: number,
  context: ForwardContext,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "webhook-id": webhookId, "x-webhook-source": source.name };
  if (!target.signingSecretParameter) return headers;
  const [secret] = await context.secrets([target.signingSecretParameter]);
  return { ...headers, ...signStandardWebhook(secret, webhookId, body, now) };
}

function isSqsRecord(record: unknown): record is SQSRecord {
  const candidate = record as Partial<SQSRecord> | null;
  return typeof candidate === "object" && candidate !== null && candidate.eventSource === "aws:sqs" && typeof candidate.messageId === "string";
}
