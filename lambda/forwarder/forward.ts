/**
 * Forwarding one SQS record: find its source by its message group, check its attributes against
 * what SQS says (./trust.ts), verify its signature (quarantine it when either fails), send it to the
 * DLQ behind its group's dead letter when the group is held (./held-groups.ts), then POST it to
 * every target of the source with the webhook's stable ID. A failed delivery is retried inside the
 * queue after a backoff (./retry.ts), or dead-lettered once its retry budget is spent.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { headerAttribute, isRedrivenCopy, mappedValue, RetryPolicy } from "./contract";
import { classifyDelivery, DeliveryAttempt, postJson } from "./delivery";
import { Hold, Holds } from "./held-groups";
import { DeliveryMetrics } from "./metrics";
import { failedRecordOf, retryAfterSeconds, retryDecision } from "./retry";
import { AwsCredentials, signRequest } from "./sigv4";
import { signatureHeaders, signStandardWebhook, verifySignature } from "./signatures";
import { Source, sourceOfGroup, SourceTable, Target } from "./sources";
import { attribute, TrustedFacts, trustRecord } from "./trust";

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

/** What forwarding needs besides the record; the edges (SSM, the quarantine queue, the role's credentials) are passed in. */
export interface ForwardContext {
  readonly sources: SourceTable;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** The secrets of these SSM parameters (any readable; throws when none is). */
  readonly secrets: (parameters: readonly string[]) => Promise<string[]>;
  /** Sends the record to the quarantine queue with the reason; resolves with the quarantined message's ID. */
  readonly quarantine: (record: SQSRecord, reason: string) => Promise<string>;
  /** The function's role credentials and region, for targets with IAM authorization; undefined when Lambda gave none. */
  readonly awsCredentials?: () => (AwsCredentials & { readonly region: string }) | undefined;
  /** @default Date.now */
  readonly now?: () => number;
  /** Retries inside the queue; without them a failed record waits for the visibility timeout (the article's way). */
  readonly retry?: RetryInQueue;
  /** Where each outcome is counted (EMF lines at the invocation's end). @default - not counted */
  readonly metrics?: DeliveryMetrics;
}

/** What retrying inside the queue needs. */
export interface RetryInQueue {
  readonly policy: RetryPolicy;
  /** The queue's maxReceiveCount (redrive policy). */
  readonly maxReceiveCount?: number;
  /** Hides the record for `seconds` (ChangeMessageVisibility on its receipt handle). */
  readonly retryLater: (record: SQSRecord, seconds: number) => Promise<void>;
  /** Sends the record to the DLQ with the reason; resolves with the dead letter's message ID. */
  readonly deadLetter: (record: SQSRecord, reason: string) => Promise<string>;
  /** The held groups; without them a dead letter holds nothing back. */
  readonly holds?: Holds;
  /** In [0, 1), for the jitter. @default Math.random */
  readonly random?: () => number;
}

/** Why a record cannot be sent at all, or undefined when it can. */
export function recordProblem(record: SQSRecord, source: Source | undefined): string | undefined {
  if (source === undefined) return `no source writes message group ${JSON.stringify(record.attributes?.MessageGroupId ?? "")}`;
  if (typeof record.body !== "string" || record.body === "") return "no body";
  return undefined;
}

/**
 * Checks the record's signature against its source's secrets, at the trusted receive time; the
 * reason when it fails, or undefined when it holds (or the source is not signed). Secrets that
 * cannot be read throw.
 */
export async function verificationFailure(
  record: SQSRecord,
  source: Source,
  facts: TrustedFacts,
  context: ForwardContext,
): Promise<string | undefined> {
  if (!source.signature) return undefined;
  const headers = Object.fromEntries(
    signatureHeaders(source.signature).map((header) => [header, mappedValue(attribute(record, headerAttribute(header)))]),
  );
  const receivedAt = facts.receivedAtMs;
  if (receivedAt === undefined || !Number.isFinite(receivedAt) || receivedAt <= 0) {
    return "no receive time: the message did not come through the signed source's route";
  }
  const verification = verifySignature(
    source.signature,
    { body: record.body, headers, receivedAtMs: receivedAt },
    await context.secrets(source.signature.secretParameters),
  );
  return verification.verified ? undefined : verification.reason;
}

/**
 * Forwards one record. A webhook whose attributes contradict SQS, or that fails verification, is
 * quarantined (and the record counts as handled); otherwise its body goes to all targets of its
 * source at once, and this resolves only when every one answered 2xx in time; any other outcome
 * throws RecordNotForwardedError.
 */
export async function forwardRecord(record: SQSRecord, context: ForwardContext): Promise<void> {
  const { logger } = context;
  const messageId = record.messageId;
  const messageGroupId = record.attributes?.MessageGroupId;
  const source = sourceOfGroup(messageGroupId, context.sources);
  const problem = recordProblem(record, source);
  if (problem !== undefined || source === undefined) {
    logger.warn("message not forwarded", { messageId, messageGroupId, reason: problem });
    throw new RecordNotForwardedError(`message ${messageId} (group ${messageGroupId}): ${problem}`);
  }
  const quarantined = async (reason: string, webhookId?: string) => {
    const quarantineMessageId = await context.quarantine(record, reason);
    context.metrics?.count(source.name, "quarantined");
    logger.warn("webhook quarantined", { messageId, messageGroupId, source: source.name, webhookId, reason, quarantineMessageId });
  };
  const trust = trustRecord(record, source);
  if ("contradiction" in trust) return quarantined(trust.contradiction);
  const { webhookId } = trust.trusted;
  const failure = await verificationFailure(record, source, trust.trusted, context);
  if (failure !== undefined) return quarantined(failure, webhookId);

  const group = messageGroupId ?? "";
  const deduplicationId = record.attributes?.MessageDeduplicationId;
  /** The tool's copy's deduplication ID, for a copy of the tool's. */
  const copy = isRedrivenCopy(deduplicationId) ? deduplicationId : undefined;
  const { retry } = context;
  const hold = await retry?.holds?.of(group);
  // Held: everything goes behind the dead letter, except the tool's copies while it puts the group back.
  if (retry && hold && (hold.state === "held" || copy === undefined)) {
    if (await heldBehind(record, hold, copy, retry, context)) return context.metrics?.count(source.name, "held");
  }

  const now = (context.now ?? Date.now)();
  const attempts = await Promise.all(
    source.targets.map(async (target) =>
      postJson(target.url, record.body, context.timeoutMs, await requestHeaders(target, source, webhookId, record.body, now, context)),
    ),
  );
  const failures = logAttempts(attempts, source, { messageId, messageGroupId, source: source.name, webhookId }, context);
  if (failures.length === 0) {
    if (hold && copy) await retry?.holds?.settleCopy(group, copy);
    const receivedAt = trust.trusted.receivedAtMs;
    context.metrics?.count(source.name, "delivered", receivedAt === undefined ? undefined : (context.now ?? Date.now)() - receivedAt);
    return;
  }
  context.metrics?.count(source.name, "failed");
  const notDelivered = `message ${messageId} (group ${messageGroupId}) not delivered: ${failures.join(", ")}`;
  if (!retry) throw new RecordNotForwardedError(notDelivered);

  const failedAt = (context.now ?? Date.now)();
  const asked = Math.max(0, ...attempts.map((attempt) => retryAfterSeconds(attempt.retryAfter, failedAt) ?? 0));
  const decision = retryDecision(failedRecordOf(record, asked || undefined), {
    policy: retry.policy,
    nowMs: failedAt,
    maxReceiveCount: retry.maxReceiveCount,
    random: retry.random,
  });
  if ("retryInSeconds" in decision) {
    try {
      await retry.retryLater(record, decision.retryInSeconds);
    } catch (error) {
      // The record still comes back, after the visibility timeout instead.
      logger.warn("backoff not set", { messageId, messageGroupId, error: (error as Error).message });
    }
    context.metrics?.count(source.name, "retried");
    throw new RecordNotForwardedError(`${notDelivered}; retried in ${decision.retryInSeconds} s`);
  }
  const reason = `${decision.deadLetter} (${failures.join(", ")})`;
  await retry.holds?.deadLetter(group, { source: source.name, webhookId, reason, copy });
  const deadLetterMessageId = await retry.deadLetter(record, reason);
  context.metrics?.count(source.name, "deadLettered");
  logger.error("webhook dead-lettered; its group is held behind it", {
    messageId,
    messageGroupId,
    source: source.name,
    webhookId,
    reason,
    deadLetterMessageId,
  });
}

/**
 * Sends the record to the DLQ behind its group's dead letter. False when the hold was released
 * in the meantime (the record is then delivered as usual).
 */
async function heldBehind(record: SQSRecord, hold: Hold, copy: string | undefined, retry: RetryInQueue, context: ForwardContext): Promise<boolean> {
  if (!(await retry.holds!.appendBehind(hold.group, copy))) return false;
  const reason = `held behind webhook ${hold.headWebhookId ?? "(unknown)"}: an earlier webhook of its group is in the DLQ`;
  const deadLetterMessageId = await retry.deadLetter(record, reason);
  context.logger.warn("webhook held behind its group's dead letter", {
    messageId: record.messageId,
    messageGroupId: hold.group,
    reason,
    deadLetterMessageId,
  });
  return true;
}

/** Logs each target's outcome; the failures as `<target> <outcome>`. */
function logAttempts(attempts: readonly DeliveryAttempt[], source: Source, record: Record<string, unknown>, context: ForwardContext): string[] {
  const failures: string[] = [];
  attempts.forEach((attempt, index) => {
    const outcome = classifyDelivery(attempt);
    const target = source.targets[index].name;
    const entry = { ...record, target, status: attempt.status, latencyMs: attempt.latencyMs, outcome };
    context.metrics?.attempt(source.name, target, attempt.latencyMs, outcome === "delivered");
    if (outcome === "delivered") {
      context.logger.info("message delivered", entry);
    } else {
      context.logger.warn("message not delivered", { ...entry, error: attempt.errorMessage, timeoutMs: context.timeoutMs });
      failures.push(`${target} ${outcome}`);
    }
  });
  return failures;
}

/**
 * The headers every forwarded request carries: the webhook's ID and source; our own signature when
 * the target has a secret; the role's SigV4 signature when the target requires IAM authorization.
 */
async function requestHeaders(
  target: Target,
  source: Source,
  webhookId: string,
  body: string,
  now: number,
  context: ForwardContext,
): Promise<Record<string, string>> {
  let headers: Record<string, string> = { "webhook-id": webhookId, "x-webhook-source": source.name };
  if (target.signingSecretParameter) {
    const [secret] = await context.secrets([target.signingSecretParameter]);
    headers = { ...headers, ...signStandardWebhook(secret, webhookId, body, now) };
  }
  if (!target.awsIam) return headers;
  const credentials = context.awsCredentials?.();
  if (!credentials) {
    throw new RecordNotForwardedError(`target ${target.name} requires IAM authorization, and the function has no AWS credentials to sign with`);
  }
  // Signed as postJson sends it: the content type is one of the signed headers.
  const sent = { ...headers, "content-type": "application/json" };
  const scope = { region: credentials.region, service: "execute-api" };
  return { ...sent, ...signRequest({ method: "POST", url: target.url, headers: sent, body }, credentials, scope, new Date(now)) };
}

function isSqsRecord(record: unknown): record is SQSRecord {
  const candidate = record as Partial<SQSRecord> | null;
  return typeof candidate === "object" && candidate !== null && candidate.eventSource === "aws:sqs" && typeof candidate.messageId === "string";
}
