/**
 * Forwarding one SQS record: find its source by its message group, check its attributes against
 * what SQS says (./trust.ts), verify its signature (quarantine it when either fails), then POST it
 * to every target of the source with the webhook's stable ID.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSRecord } from "aws-lambda";
import { headerAttribute, mappedValue } from "./contract";
import { classifyDelivery, postJson } from "./delivery";
import { AwsCredentials, signRequest } from "./sigv4";
import { signatureHeaders, signStandardWebhook, verifySignature } from "./signatures";
import { Source, sourceOfGroup, SourceTable, Target } from "./sources";
import { TrustedFacts, trustRecord } from "./trust";

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
}

/** The attribute's string value. */
function attribute(record: SQSRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
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
    logger.warn("webhook quarantined", { messageId, messageGroupId, source: source.name, webhookId, reason, quarantineMessageId });
  };
  const trust = trustRecord(record, source);
  if ("contradiction" in trust) return quarantined(trust.contradiction);
  const { webhookId } = trust.trusted;
  const failure = await verificationFailure(record, source, trust.trusted, context);
  if (failure !== undefined) return quarantined(failure, webhookId);
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
