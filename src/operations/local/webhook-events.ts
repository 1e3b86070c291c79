/**
 * `npm run local`'s terminal: one short line per thing that happens to a webhook, built from what
 * the parts report as fields: the gateway's requests, the local event source mapping's batches, and
 * the forwarder's structured log (its messages: lambda/forwarder/forward.ts and index.ts). The whole
 * logs go to the rehearsal's log file (./rehearsal-log.ts).
 *
 *   12:03:04 github:r4           webhook 7f3c2a…  queued (POST /webhooks/github)
 *   12:03:04 github:r4           webhook 7f3c2a…  delivered to application in 41 ms: {"action":"updated",…}
 *   12:03:05 github:r4           webhook 7f3c2a…  not delivered: application 503 server-error; retry in 1-2 s
 *
 * A failure is told once the mapping has settled its batch: only then is it known whether the
 * record stays in the queue (retried) or was dead-lettered.
 */
import type { SQSRecord } from "aws-lambda";
import { FORWARDER_ENV, isRedrivenCopy, mappedValue, MESSAGE_ATTRIBUTES, parseRetryPolicy, RetryPolicy } from "../../../lambda/forwarder/contract";
import { retryDecision } from "../../../lambda/forwarder/retry";
import { sourceOfGroup, SourceTable, sourceTableOf } from "../../../lambda/forwarder/sources";
import { webhookIdOfDeduplication } from "../../../lambda/forwarder/trust";
import { bodyPreview, terminalSafe } from "../shared/terminal-safe";
import type { SettledBatch } from "./event-source-mapping";
import type { GatewayRequest } from "./gateway/server";

/** The longest line this writes. */
export const MAX_LINE_LENGTH = 180;
/** The message group column: a source's static group, or `github:<repository ID>`. */
const GROUP_WIDTH = 18;
/** How much of a webhook ID a line shows. */
const ID_LENGTH = 6;
/** Records whose failure may still be told (a log line that comes after its batch was settled). */
const PENDING_LIMIT = 10_000;

export interface WebhookEventsOptions {
  /** The forwarder's environment: its sources (whose group is which, hence a record's webhook ID) and its retry policy. */
  readonly forwarderEnvironment: Readonly<Record<string, string>>;
  /** The queue's: a record left in the queue without a backoff comes back after it. */
  readonly visibilityTimeoutSeconds: number;
  /** The queue's redrive policy: on that receive a failure is the record's last before SQS moves it to the DLQ. */
  readonly maxReceiveCount?: number;
  /**
   * How long a delivered line waits for what the application received (applicationReceived), whose
   * log may come after the forwarder's; then it is told without. @default 1000
   */
  readonly bodyWaitMs?: number;
  readonly onLine: (line: string) => void;
  /** A moment as the terminal shows it. @default local HH:MM:SS */
  readonly clock?: (at: Date) => string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What a forwarder log line says about one record (the fields lambda/forwarder/forward.ts logs). */
interface ForwarderEntry {
  readonly message?: string;
  readonly timestamp?: string;
  readonly messageId?: string;
  readonly messageGroupId?: string;
  readonly webhookId?: string;
  readonly target?: string;
  readonly status?: number;
  readonly latencyMs?: number;
  readonly outcome?: string;
  readonly reason?: string;
  readonly error?: unknown;
}

/** A record of a batch in the function's hands, until what became of it is told. */
interface RecordInFlight {
  readonly group?: string;
  readonly webhookId?: string;
  readonly receiveCount: number;
  readonly sentAtMs: number;
  /** `<target> <outcome>` per target that did not take it. */
  readonly failures: string[];
  notForwarded?: string;
  backoffNotSet?: boolean;
  /** Settled and left in the queue while no failure was logged yet: the line comes with the late log line. */
  keptUntold?: boolean;
}

export class WebhookEvents {
  private readonly sources: SourceTable;
  private readonly policy?: RetryPolicy;
  private readonly records = new Map<string, RecordInFlight>();
  /** SQS answers a duplicate send (same deduplication ID within 5 minutes) with the first MessageId. */
  private readonly queued = new Set<string>();
  /** What the application received, by webhook ID. */
  private readonly bodies = new Map<string, string>();
  /** Delivered lines waiting for what the application received, by webhook ID. */
  private readonly waiting = new Map<string, { readonly lines: ((body: string | undefined) => void)[]; readonly timer: NodeJS.Timeout }>();

  constructor(private readonly options: WebhookEventsOptions) {
    this.sources = tryOr(() => sourceTableOf(options.forwarderEnvironment[FORWARDER_ENV.sources]), new Map());
    this.policy = tryOr(() => parseRetryPolicy(options.forwarderEnvironment[FORWARDER_ENV.retryPolicy]), undefined);
  }

  /** A request to the gateway: a webhook queued, or a refusal; deliveries (2xx) and the release's 503 are the forwarder's to tell. */
  gatewayRequest(request: GatewayRequest): void {
    const queued = request.queued;
    if (queued) {
      const webhookId = this.webhookIdOf(queued.messageGroupId, queued.deduplicationId);
      if (this.queued.has(queued.messageId)) {
        this.say(undefined, queued.messageGroupId, webhookId, `a duplicate (deduplication ID seen in the last 5 minutes): not queued again`);
        return;
      }
      remember(this.queued, queued.messageId);
      this.say(undefined, queued.messageGroupId, webhookId, `queued (${request.method} ${request.path})`);
      return;
    }
    if ((request.status >= 200 && request.status < 300) || request.status === 503) return;
    const detail = request.detail ? ` (${request.detail})` : "";
    // The detail may echo what the request carried (a group ID, an Authorization header): escaped, as every line here.
    this.options.onLine(bodyPreview(`${this.time()} ${request.method} ${request.path} -> ${request.status}${detail}`, MAX_LINE_LENGTH));
  }

  /** A batch the mapping received, before the forwarder runs with it. */
  batch(records: readonly SQSRecord[]): void {
    for (const record of records) {
      const group = record.attributes?.MessageGroupId;
      this.track(record.messageId, {
        group,
        webhookId: this.webhookIdOfRecord(record),
        receiveCount: Number(record.attributes?.ApproximateReceiveCount) || 1,
        sentAtMs: Number(record.attributes?.SentTimestamp),
        failures: [],
      });
    }
  }

  /** One line the forwarder logged. */
  forwarderLog(line: string): void {
    const entry = parseEntry(line);
    if (!entry?.messageId) return;
    const record = this.records.get(entry.messageId);
    const group = entry.messageGroupId ?? record?.group;
    const webhookId = entry.webhookId ?? record?.webhookId;
    const at = entry.timestamp;
    switch (entry.message) {
      case "message delivered": {
        const tell = (body: string | undefined) =>
          this.say(
            at,
            group,
            webhookId,
            `delivered to ${text(entry.target)} in ${entry.latencyMs ?? "?"} ms${body === undefined ? "" : `: ${body}`}`,
          );
        this.withBody(webhookId, tell);
        return;
      }
      case "message not delivered":
        record?.failures.push(`${text(entry.target)} ${entry.status ?? ""} ${text(entry.outcome)}`.replace(/\s+/g, " "));
        break;
      case "message not forwarded":
        if (record) record.notForwarded = text(entry.reason);
        break;
      case "backoff not set":
        if (record) record.backoffNotSet = true;
        break;
      case "webhook quarantined":
        this.forget(entry.messageId);
        this.say(at, group, webhookId, `quarantined: ${text(entry.reason)}`);
        return;
      case "webhook dead-lettered; its group is held behind it":
        this.forget(entry.messageId);
        this.say(at, group, webhookId, `dead-lettered, group held: ${text(entry.reason)}`);
        return;
      case "webhook held behind its group's dead letter":
        this.forget(entry.messageId);
        this.say(at, group, webhookId, "held: sent to the DLQ behind its group's dead letter");
        return;
      default:
        return;
    }
    if (record?.keptUntold) this.tellKept(entry.messageId, record, undefined);
  }

  /** What the application received: the body its delivered line shows. */
  applicationReceived(webhookId: string | undefined, received: string): void {
    if (webhookId === undefined) return;
    // No line shows more of it (a body may be 1 MiB, and thousands are kept).
    const body = received.slice(0, MAX_LINE_LENGTH);
    this.bodies.set(webhookId, body);
    if (this.bodies.size > PENDING_LIMIT) this.bodies.delete(this.bodies.keys().next().value as string);
    const waiting = this.waiting.get(webhookId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting.delete(webhookId);
    for (const tell of waiting.lines) tell(body);
  }

  /** Tells the delivered lines still waiting for a body, without it (the rehearsal stops). */
  close(): void {
    for (const [webhookId, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      this.waiting.delete(webhookId);
      for (const tell of waiting.lines) tell(undefined);
    }
  }

  /** Tells a line with the body the application received with this webhook, once known (or after bodyWaitMs without). */
  private withBody(webhookId: string | undefined, tell: (body: string | undefined) => void): void {
    const body = webhookId === undefined ? undefined : this.bodies.get(webhookId);
    if (webhookId === undefined || body !== undefined) return tell(body);
    const waiting = this.waiting.get(webhookId);
    if (waiting) return void waiting.lines.push(tell);
    const timer = setTimeout(() => {
      const late = this.waiting.get(webhookId);
      this.waiting.delete(webhookId);
      for (const line of late?.lines ?? []) line(undefined);
    }, this.options.bodyWaitMs ?? 1000);
    timer.unref();
    this.waiting.set(webhookId, { lines: [tell], timer });
  }

  /** What the mapping did with a batch: the records it left in the queue come back, retried. */
  settled({ records, outcome, decision }: SettledBatch): void {
    const failedGroups = new Map<string, RecordInFlight>();
    for (const sqsRecord of records) {
      const id = sqsRecord.messageId;
      const record = this.records.get(id);
      if (!record) continue;
      if (!decision.keep.includes(id)) {
        this.forget(id);
        continue;
      }
      if (record.failures.length > 0 || record.notForwarded !== undefined) {
        this.tellKept(id, record, undefined);
        if (record.group !== undefined) failedGroups.set(record.group, record);
      } else if (outcome.kind === "timeout") {
        this.tell(id, record, `not forwarded: the function timed out; ${this.comesBack(record, true)}`);
      } else if (outcome.kind === "error" || !decision.reason.startsWith("batchItemFailures")) {
        this.tell(id, record, `not forwarded: ${decision.reason}; ${this.comesBack(record, true)}`);
      } else {
        const head = record.group === undefined ? undefined : failedGroups.get(record.group);
        if (head) this.tellKept(id, record, head);
        else record.keptUntold = true;
      }
    }
  }

  /** A record left in the queue after its failure (or behind `head`, its group's failed record in the batch). */
  private tellKept(id: string, record: RecordInFlight, head: RecordInFlight | undefined): void {
    if (head) {
      this.tell(id, record, `skipped behind webhook ${shortId(head.webhookId)} of its group; ${this.comesBack(head, head.backoffNotSet === true)}`);
    } else if (record.notForwarded !== undefined) {
      this.tell(id, record, `not forwarded: ${record.notForwarded}; ${this.comesBack(record, true)}`);
    } else {
      this.tell(id, record, `not delivered: ${record.failures.join(", ")}; ${this.comesBack(record, record.backoffNotSet === true)}`);
    }
  }

  /** When a record left in the queue is received again: after its backoff, after the visibility timeout, or in the DLQ. */
  private comesBack(record: RecordInFlight, noBackoff: boolean): string {
    const { maxReceiveCount, visibilityTimeoutSeconds } = this.options;
    if (maxReceiveCount !== undefined && record.receiveCount >= maxReceiveCount) {
      return `received ${record.receiveCount} times (maxReceiveCount): SQS moves it to the DLQ on its next receive`;
    }
    if (this.policy && !noBackoff) {
      const [shortest, longest] = backoffRange(this.policy, record.receiveCount, (this.now() - record.sentAtMs) / 1000);
      return `retry in ${shortest === longest ? shortest : `${shortest}-${longest}`} s`;
    }
    return `back after the ${visibilityTimeoutSeconds} s visibility timeout`;
  }

  private tell(id: string, record: RecordInFlight, what: string): void {
    this.forget(id);
    this.say(undefined, record.group, record.webhookId, what);
  }

  private say(at: string | undefined, group: string | undefined, webhookId: string | undefined, what: string): void {
    const moment = at !== undefined && Number.isFinite(Date.parse(at)) ? new Date(at) : new Date(this.now());
    this.options.onLine(eventLine((this.options.clock ?? localTime)(moment), group, webhookId, what));
  }

  private track(id: string, record: RecordInFlight): void {
    this.records.delete(id);
    this.records.set(id, record);
    // Records whose failure line never came (a crash mid-log): the oldest go first.
    if (this.records.size > PENDING_LIMIT) this.records.delete(this.records.keys().next().value as string);
  }

  private forget(id: string): void {
    this.records.delete(id);
  }

  private time(): string {
    return (this.options.clock ?? localTime)(new Date(this.now()));
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The webhook ID the forwarder will read: the deduplication ID without its source's prefix. */
  private webhookIdOf(group: string | undefined, deduplicationId: string | undefined): string | undefined {
    if (deduplicationId === undefined) return undefined;
    const source = sourceOfGroup(group, this.sources);
    return source ? (webhookIdOfDeduplication(deduplicationId, source) ?? deduplicationId) : deduplicationId;
  }

  /** A record's webhook ID: a redriven copy keeps the one it arrived with (its attribute). */
  private webhookIdOfRecord(record: SQSRecord): string | undefined {
    const deduplicationId = record.attributes?.MessageDeduplicationId;
    const claimed = mappedValue(record.messageAttributes?.[MESSAGE_ATTRIBUTES.webhookId]?.stringValue);
    if (deduplicationId === undefined || isRedrivenCopy(deduplicationId)) return claimed;
    return this.webhookIdOf(record.attributes?.MessageGroupId, deduplicationId);
  }
}

/**
 * The backoff the forwarder draws for a failure on this receive (../../../lambda/forwarder/retry.ts):
 * between half and all of the policy's, within what is left of the budget; a target's Retry-After
 * may lengthen it.
 */
export function backoffRange(policy: RetryPolicy, receiveCount: number, ageSeconds: number): [number, number] {
  const nowMs = (Number.isFinite(ageSeconds) ? ageSeconds : 0) * 1000;
  // The forwarder's own rule at both ends of its jitter; past the budget, it would dead-letter.
  const drawn = (random: number) => {
    const decision = retryDecision({ receiveCount, sentAtMs: 0 }, { policy, nowMs, random: () => random });
    return "retryInSeconds" in decision ? decision.retryInSeconds : 1;
  };
  return [drawn(0), drawn(1)];
}

/** `12:03:04 github:r4           webhook 7f3c2a…  delivered to application in 41 ms`, at most MAX_LINE_LENGTH long. */
export function eventLine(time: string, group: string | undefined, webhookId: string | undefined, what: string): string {
  const lane = bodyPreview(group ?? "-", GROUP_WIDTH).padEnd(GROUP_WIDTH);
  return bodyPreview(`${time} ${lane} webhook ${shortId(webhookId).padEnd(ID_LENGTH + 1)}  ${what}`, MAX_LINE_LENGTH);
}

/** The first characters of a webhook ID, enough to tell the lines of one webhook apart at a glance. */
export function shortId(webhookId: string | undefined): string {
  if (webhookId === undefined) return "?";
  const safe = terminalSafe(webhookId);
  return safe.length > ID_LENGTH ? `${safe.slice(0, ID_LENGTH)}…` : safe;
}

function localTime(at: Date): string {
  return at.toTimeString().slice(0, 8);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === undefined ? "?" : JSON.stringify(value);
}

function parseEntry(line: string): ForwarderEntry | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const entry = JSON.parse(line) as unknown;
    return typeof entry === "object" && entry !== null && !Array.isArray(entry) ? (entry as ForwarderEntry) : undefined;
  } catch {
    return undefined;
  }
}

function remember(seen: Set<string>, id: string): void {
  seen.add(id);
  if (seen.size > PENDING_LIMIT) seen.delete(seen.values().next().value as string);
}

function tryOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
