/**
 * What the forwarder trusts about a record, and where from: never from a value a request can shape.
 *
 * The ingress writes the message attributes as one JSON document with request values pasted in
 * (API Gateway documents no escaping), so a header can add or replace any attribute. Three facts
 * come from what only the route and SQS set instead:
 * - the source: the message group, which the route writes as its static group or as `<source>:`
 *   before a mapped value (src/infrastructure/settings.ts keeps the sources' groups apart);
 * - the webhook ID: the deduplication ID, which the route writes as API Gateway's request ID or
 *   `<source>:<delivery ID>`;
 * - the receive time: `webhook-received-at` must agree with SQS's own SentTimestamp (API Gateway
 *   sends within its 30 s integration timeout of receiving the request).
 * An attribute that contradicts them, or that the source's route does not write, quarantines the
 * record. A copy the operators' tool put back (`redrive-<message ID>`, a deduplication ID no route
 * writes) keeps the attributes that were checked when the webhook first arrived.
 */
import type { SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";
import { FORGED_REASON_PREFIX, headerAttribute, isRedrivenCopy, mappedValue, MESSAGE_ATTRIBUTES } from "./contract";
import { signatureHeaders } from "./signatures";
import { Source } from "./sources";

/** How much earlier than SQS's SentTimestamp API Gateway may have received a request: its 30 s integration timeout, and clock slack. */
export const RECEIVED_BEFORE_SENT_MAX_MS = 35_000;
/** How much later: clock slack only. */
export const RECEIVED_AFTER_SENT_MAX_MS = 5_000;

/** A record's facts, each from where it can be trusted. */
export interface TrustedFacts {
  /** The webhook's stable ID, the same on every retry and redrive. */
  readonly webhookId: string;
  /** When API Gateway received it (ms since the epoch); undefined for a message queued before the ingress wrote it. */
  readonly receivedAtMs?: number;
}

/** The facts, or why the record is forged (the reason starts with FORGED_REASON_PREFIX). */
export type Trust = { readonly trusted: TrustedFacts } | { readonly contradiction: string };

const forged = (why: string): Trust => ({ contradiction: `${FORGED_REASON_PREFIX}${why}` });

/** The attribute's string value. */
export function attribute(record: SQSRecord, name: string): string | undefined {
  return record.messageAttributes?.[name]?.stringValue;
}

/** The facts of a record of `source` (known by its group), or what contradicts them. */
export function trustRecord(record: SQSRecord, source: Source): Trust {
  const attributes = Object.keys(record.messageAttributes ?? {});
  if (attributes.length === 0) return { trusted: { webhookId: legacyWebhookId(record) } };
  const allowed = new Set([
    MESSAGE_ATTRIBUTES.source,
    MESSAGE_ATTRIBUTES.webhookId,
    MESSAGE_ATTRIBUTES.receivedAt,
    ...(source.signature ? signatureHeaders(source.signature).map(headerAttribute) : []),
  ]);
  const foreign = attributes.filter((name) => !allowed.has(name));
  if (foreign.length > 0) return forged(`attribute ${foreign.join(", ")} is not one the route of source ${source.name} writes`);
  const claimedSource = attribute(record, MESSAGE_ATTRIBUTES.source);
  if (claimedSource !== undefined && claimedSource !== source.name) {
    return forged(`attribute webhook-source ${JSON.stringify(claimedSource)} contradicts the message group of source ${source.name}`);
  }
  const claimedId = mappedValue(attribute(record, MESSAGE_ATTRIBUTES.webhookId));
  const receivedAtText = attribute(record, MESSAGE_ATTRIBUTES.receivedAt);
  const receivedAtMs = receivedAtText === undefined ? undefined : Number(receivedAtText);
  const deduplicationId = record.attributes?.MessageDeduplicationId;
  if (isRedrivenCopy(deduplicationId)) {
    return { trusted: { webhookId: claimedId ?? legacyWebhookId(record), receivedAtMs } };
  }
  if (deduplicationId === undefined) return forged("no MessageDeduplicationId: not a record of the FIFO queue");
  const webhookId = webhookIdOfDeduplication(deduplicationId, source) ?? legacyWebhookId(record);
  if ((claimedId ?? legacyWebhookId(record)) !== webhookId) {
    return forged(`attribute webhook-id ${JSON.stringify(claimedId ?? "")} contradicts the deduplication ID ${JSON.stringify(deduplicationId)}`);
  }
  if (receivedAtMs !== undefined) {
    const sentAtMs = Number(record.attributes?.SentTimestamp);
    const early = sentAtMs - (receivedAtMs as number);
    if (!Number.isFinite(receivedAtMs) || !Number.isFinite(sentAtMs) || early > RECEIVED_BEFORE_SENT_MAX_MS || -early > RECEIVED_AFTER_SENT_MAX_MS) {
      return forged(
        `attribute webhook-received-at ${JSON.stringify(receivedAtText)} contradicts SQS's SentTimestamp ${record.attributes?.SentTimestamp ?? "(none)"}`,
      );
    }
  }
  return { trusted: { webhookId, receivedAtMs } };
}

/** `<delivery ID>` of `<source>:<delivery ID>`, API Gateway's request ID as it is; undefined when the mapped value was missing. */
export function webhookIdOfDeduplication(deduplicationId: string, source: Pick<Source, "name">): string | undefined {
  const prefix = `${source.name}:`;
  if (!deduplicationId.startsWith(prefix)) return deduplicationId;
  return deduplicationId.length > prefix.length ? deduplicationId.slice(prefix.length) : undefined;
}

/**
 * The ID of a webhook whose route wrote none: queued by the article's stack, or without its
 * mapped delivery ID. A digest of the body (content-based deduplication made bodies unique then).
 */
export function legacyWebhookId(record: SQSRecord): string {
  return `legacy_${createHash("sha256")
    .update(record.body ?? "")
    .digest("hex")
    .slice(0, 32)}`;
}
