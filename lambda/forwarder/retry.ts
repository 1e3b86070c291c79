/**
 * Retries inside the queue. After a failed delivery the forwarder hides the message for a backoff
 * (ChangeMessageVisibility on its receipt handle): FIFO gives nothing more of its group meanwhile,
 * so the entity's order holds, and a release shorter than the budget needs no operator. Once the
 * webhook has been in the queue for the budget, it is dead-lettered instead (./held-groups.ts keeps
 * its group's later webhooks behind it).
 */
import type { SQSRecord } from "aws-lambda";
import { backoffSeconds, MAX_VISIBILITY_SECONDS, RetryPolicy } from "./contract";

/** What to do with a record whose delivery failed. */
export type RetryDecision = { readonly retryInSeconds: number } | { readonly deadLetter: string };

export interface FailedRecord {
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  readonly receiveCount: number;
  /** When the message entered the queue (SentTimestamp; a redriven copy's own). */
  readonly sentAtMs: number;
  /** The longest Retry-After the failing targets asked for, in seconds. */
  readonly retryAfterSeconds?: number;
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly nowMs: number;
  /** The queue's maxReceiveCount: on that receive a failure is the last the forwarder sees. */
  readonly maxReceiveCount?: number;
  /** In [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Retry later, or dead-letter now. The backoff doubles from `initialDelaySeconds` with each receive,
 * up to `maxDelaySeconds`, and is drawn between half of it and all of it (jitter, so that lanes
 * failing together do not come back together); a target's Retry-After lengthens it, never beyond
 * `maxDelaySeconds`; the last retry falls at the budget's end.
 */
export function retryDecision(record: FailedRecord, context: RetryContext): RetryDecision {
  const { policy } = context;
  const ageSeconds = Math.max(0, (context.nowMs - record.sentAtMs) / 1000);
  if (!Number.isFinite(ageSeconds)) return { deadLetter: "no SentTimestamp: its age in the queue is unknown" };
  if (ageSeconds >= policy.maxAgeSeconds) {
    return { deadLetter: `failing for ${Math.round(ageSeconds)} s, the retry budget (forwarder.retry.maxAgeSeconds) is ${policy.maxAgeSeconds} s` };
  }
  if (context.maxReceiveCount !== undefined && record.receiveCount >= context.maxReceiveCount) {
    return {
      deadLetter: `received ${record.receiveCount} times, the queue's maxReceiveCount: SQS would move it to the DLQ on the next receive, without holding its group`,
    };
  }
  const backoff = backoffSeconds(policy, record.receiveCount);
  const jittered = backoff / 2 + (context.random ?? Math.random)() * (backoff / 2);
  const asked = Math.min(record.retryAfterSeconds ?? 0, policy.maxDelaySeconds);
  const remaining = policy.maxAgeSeconds - ageSeconds;
  const seconds = Math.ceil(Math.min(Math.max(jittered, asked), remaining, MAX_VISIBILITY_SECONDS));
  return { retryInSeconds: Math.max(1, seconds) };
}

/** A Retry-After value in seconds (delta-seconds, or an HTTP date from now); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (!/[a-z]/i.test(text) || !Number.isFinite(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** The record's receive count and send time, from its system attributes. */
export function failedRecordOf(record: SQSRecord, retryAfter?: number): FailedRecord {
  return {
    receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1,
    sentAtMs: Number(record.attributes?.SentTimestamp),
    ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }),
  };
}
