/**
 * A local stand-in for Lambda's SQS event source mapping (moto keeps the mapping but cannot
 * run it without Docker): up to `maximum_concurrency` pollers receive batches of
 * `batch_size`, invoke the bundled forwarder in its own sandbox, and delete what the
 * answer says is done. What is not deleted becomes visible again after the queue's
 * visibility timeout, and SQS's redrive policy moves it to the DLQ after maxReceiveCount
 * receives: this code never moves a message itself. The pollers poll while moto's copy of
 * the mapping is Enabled, as Lambda's do: `webhook-queue pause` stops them, `resume` starts them.
 */
import { GetEventSourceMappingCommand, LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { setTimeout as delay } from "node:timers/promises";
import { parseRedrivePolicy, queueUrlOfArn } from "../shared/queue-pair";
import { readDeployedFunction } from "./deployed-stack";
import { FunctionConfiguration, InvocationOutcome, LambdaSandbox, LambdaSandboxOptions } from "./lambda-sandbox";

export interface MappingConfiguration {
  readonly uuid: string;
  readonly eventSourceArn: string;
  readonly queueUrl: string;
  readonly batchSize: number;
  readonly maximumConcurrency: number;
  /** `function_response_types` includes ReportBatchItemFailures. */
  readonly reportBatchItemFailures: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount?: number;
  readonly deadLetterTargetArn?: string;
  readonly function: FunctionConfiguration;
  /** Base64 SHA-256 of the deployed package, as Lambda reports it. */
  readonly codeSha256: string;
}

/** Without `scaling_config`, Lambda starts with five concurrent batches. */
const DEFAULT_CONCURRENCY = 5;
/**
 * Lambda's pollers long-poll side by side (moto_server, with this project's patches, keeps a
 * FIFO group to one receiver at a time, as SQS does). Waits are short so that a stopped
 * mapping's last poll ends within a second.
 */
const RECEIVE_WAIT_SECONDS = 1;
/** How often the one watcher of a mapping reads its state (Enabled or not) in moto. */
const STATE_CHECK_MS = 1000;

/**
 * Reads the deployed mapping of `functionName` (batch size, maximum concurrency, response
 * types), its queue (visibility timeout, redrive policy) and the function (handler,
 * timeout, environment) from the emulator.
 */
export async function readMappingConfiguration(
  clients: { readonly sqs: SQSClient; readonly lambda: LambdaClient },
  functionName: string,
  codeDirectory: string,
): Promise<MappingConfiguration> {
  const mappings = (await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName }))).EventSourceMappings ?? [];
  const sqsMappings = mappings.filter((mapping) => mapping.EventSourceArn?.startsWith("arn:aws:sqs:"));
  if (sqsMappings.length !== 1) throw new Error(`expected one SQS event source mapping for ${functionName}, found ${sqsMappings.length}`);
  const mapping = sqsMappings[0];
  const eventSourceArn = mapping.EventSourceArn!;
  const queueUrl = await queueUrlOfArn(clients.sqs, eventSourceArn);
  const attributes = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }))).Attributes ?? {};
  const redrivePolicy = parseRedrivePolicy(attributes.RedrivePolicy);
  const deployed = await readDeployedFunction(clients.lambda, functionName, codeDirectory);
  return {
    uuid: mapping.UUID!,
    eventSourceArn,
    queueUrl,
    batchSize: mapping.BatchSize ?? 10,
    maximumConcurrency: mapping.ScalingConfig?.MaximumConcurrency ?? DEFAULT_CONCURRENCY,
    reportBatchItemFailures: (mapping.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
    visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30),
    maxReceiveCount: redrivePolicy?.maxReceiveCount,
    deadLetterTargetArn: redrivePolicy?.deadLetterTargetArn,
    codeSha256: deployed.codeSha256,
    function: deployed.config,
  };
}

/** Builds the Records of an SQS event exactly as Lambda's poller does. */
export function sqsEventRecord(message: Message, eventSourceArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const systemAttributes: Record<string, string> = {};
  for (const name of [
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
  ]) {
    const value = attributes[name as keyof typeof attributes];
    if (value !== undefined) systemAttributes[name] = value;
  }
  const messageAttributes: SQSRecord["messageAttributes"] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((binary) => Buffer.from(binary).toString("base64")),
      dataType: value.DataType ?? "String",
    };
  }
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: systemAttributes as unknown as SQSRecord["attributes"],
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes !== undefined && { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: "aws:sqs",
    eventSourceARN: eventSourceArn,
    awsRegion: eventSourceArn.split(":")[3],
  };
}

export interface BatchDecision {
  /** Message IDs to delete from the queue. */
  readonly remove: readonly string[];
  /** Message IDs left in the queue: visible again after the visibility timeout. */
  readonly keep: readonly string[];
  readonly reason: string;
}

/**
 * What Lambda does with a batch after the invocation. An error or a timeout keeps every
 * message. A normal return deletes every message, unless ReportBatchItemFailures is on and
 * the answer lists failures: then those are kept and the rest deleted. A malformed answer
 * (not an object, batchItemFailures not a list, an itemIdentifier that is empty or not in
 * the batch) counts as a failure of the whole batch.
 */
export function settleBatch(messageIds: readonly string[], outcome: InvocationOutcome, reportBatchItemFailures: boolean): BatchDecision {
  const keepAll = (reason: string): BatchDecision => ({ remove: [], keep: [...messageIds], reason });
  const removeAll = (reason: string): BatchDecision => ({ remove: [...messageIds], keep: [], reason });
  if (outcome.kind === "timeout") return keepAll("function timed out");
  if (outcome.kind === "error") return keepAll(`function error ${outcome.errorType}: ${outcome.errorMessage}`);
  if (!reportBatchItemFailures) return removeAll("returned");
  const response = outcome.result;
  if (response === null || response === undefined) return removeAll("returned no response");
  if (typeof response !== "object" || Array.isArray(response)) return keepAll("invalid batch response (not an object)");
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return removeAll("returned, no batchItemFailures");
  if (!Array.isArray(failures)) return keepAll("invalid batch response (batchItemFailures is not a list)");
  if (failures.length === 0) return removeAll("returned, batchItemFailures empty");
  const failed = new Set<string>();
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof identifier !== "string" || identifier === "" || !messageIds.includes(identifier)) {
      return keepAll(`invalid batch response (itemIdentifier ${JSON.stringify(identifier)} is not a message of the batch)`);
    }
    failed.add(identifier);
  }
  return {
    remove: messageIds.filter((id) => !failed.has(id)),
    keep: messageIds.filter((id) => failed.has(id)),
    reason: `batchItemFailures ${[...failed].join(", ")}`,
  };
}

export interface LocalEventSourceMappingOptions {
  readonly sqs: SQSClient;
  /** Progress: the mapping's state, its failures, and one line per batch (unless onBatchLine takes those). */
  readonly onLine?: (line: string) => void;
  /** The line per batch, where it goes elsewhere than onLine's (the rehearsal's log file). */
  readonly onBatchLine?: (line: string) => void;
  /** The function's log lines. */
  readonly onFunctionLog?: (line: string) => void;
  /** A batch received, before the function is invoked with it. */
  readonly onBatch?: (records: readonly SQSRecord[]) => void;
  /** What became of a batch: the invocation's outcome, and what was deleted or left in the queue. */
  readonly onSettled?: (batch: SettledBatch) => void;
  /** Where the function's own AWS calls go (quarantine, secrets). */
  readonly functionAws?: LambdaSandboxOptions["aws"];
  /**
   * Where the mapping (`config.uuid`) lives: its state is read once a second, and the pollers
   * poll only while it is Enabled. Without it they always poll (a mapping that exists only here).
   */
  readonly lambda?: LambdaClient;
}

export interface SettledBatch {
  readonly records: readonly SQSRecord[];
  readonly outcome: InvocationOutcome;
  readonly decision: BatchDecision;
}

/** Counters for a summary. */
export interface MappingStatistics {
  invocations: number;
  /** The invocations' durations added up, in ms: with the function's memory, the GB-seconds Lambda bills. */
  durationMs: number;
  deleted: number;
  kept: number;
}

export class LocalEventSourceMapping {
  public readonly statistics: MappingStatistics = { invocations: 0, durationMs: 0, deleted: 0, kept: 0 };
  private readonly abort = new AbortController();
  private pollers: Promise<void>[] = [];
  private sandboxes: LambdaSandbox[] = [];
  private watcher?: Promise<void>;
  /** Moto's copy of the mapping, as last read: the pollers poll while it is Enabled. */
  private state: "unknown" | "enabled" | "disabled";
  /** Pollers waiting for the mapping to be enabled; once all wait, a line says so. */
  private parked = 0;
  private idleAnnounced = false;
  private wakeParked: (() => void)[] = [];

  constructor(
    public readonly config: MappingConfiguration,
    private readonly options: LocalEventSourceMappingOptions,
  ) {
    this.state = options.lambda === undefined ? "enabled" : "unknown";
  }

  start(): void {
    if (this.options.lambda) this.watcher = this.watchState(this.options.lambda);
    for (let poller = 1; poller <= this.config.maximumConcurrency; poller++) {
      const sandbox = new LambdaSandbox(this.config.function, { onLog: this.options.onFunctionLog, aws: this.options.functionAws });
      this.sandboxes.push(sandbox);
      this.pollers.push(this.poll(poller, sandbox));
    }
  }

  /**
   * Stops receiving: each poller finishes its poll (at most RECEIVE_WAIT_SECONDS) and the batch
   * it holds, so that nothing received stays hidden for the visibility timeout.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake();
    await Promise.all([...this.pollers, this.watcher]);
    await Promise.all(this.sandboxes.map((sandbox) => sandbox.stop()));
  }

  /** One reader of the mapping's state for all pollers (not one per poll per poller). */
  private async watchState(lambda: LambdaClient): Promise<void> {
    const signal = this.abort.signal;
    let failing = false;
    while (!signal.aborted) {
      try {
        const { State } = await lambda.send(new GetEventSourceMappingCommand({ UUID: this.config.uuid }));
        failing = false;
        this.switchTo(State === "Enabled" ? "enabled" : "disabled");
      } catch (error) {
        // The state last read holds until the mapping can be read again.
        if (!failing) this.options.onLine?.(`reading the mapping's state failed (${(error as Error).message}); retrying every second`);
        failing = true;
      }
      await delay(STATE_CHECK_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  private switchTo(state: "enabled" | "disabled"): void {
    if (state === this.state) return;
    const was = this.state;
    this.state = state;
    if (state === "enabled") {
      this.idleAnnounced = false;
      if (was === "disabled") this.options.onLine?.(`mapping enabled: polling (${this.config.maximumConcurrency} pollers)`);
      this.wake();
    } else this.announceIfIdle();
  }

  /** Said once every poller has finished the batch in hand and waits. */
  private announceIfIdle(): void {
    if (this.state !== "disabled" || this.parked < this.config.maximumConcurrency || this.idleAnnounced) return;
    this.idleAnnounced = true;
    this.options.onLine?.("mapping disabled (paused): not polling");
  }

  /** Waits until the mapping is enabled, or stopped. */
  private async park(): Promise<void> {
    this.parked++;
    this.announceIfIdle();
    try {
      while (this.state !== "enabled" && !this.abort.signal.aborted) await new Promise<void>((wake) => this.wakeParked.push(wake));
    } finally {
      this.parked--;
    }
  }

  private wake(): void {
    for (const wake of this.wakeParked.splice(0)) wake();
  }

  private async poll(poller: number, sandbox: LambdaSandbox): Promise<void> {
    const { sqs } = this.options;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.state !== "enabled") {
        await this.park();
        continue;
      }
      let messages: Message[];
      try {
        // Not aborted on stop: moto would finish the poll anyway and hide what it took.
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.config.queueUrl,
            MaxNumberOfMessages: this.config.batchSize,
            WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (signal.aborted) return;
        this.options.onLine?.(`poller ${poller}: ReceiveMessage failed (${(error as Error).message}); retrying in 1 s`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      const event: SQSEvent = { Records: messages.map((message) => sqsEventRecord(message, this.config.eventSourceArn)) };
      this.statistics.invocations++;
      this.options.onBatch?.(event.Records);
      const outcome = await sandbox.invoke(event);
      this.statistics.durationMs += outcome.durationMs;
      const decision = settleBatch(
        event.Records.map((record) => record.messageId),
        outcome,
        this.config.reportBatchItemFailures,
      );
      await this.remove(event.Records.filter((record) => decision.remove.includes(record.messageId)));
      this.statistics.deleted += decision.remove.length;
      this.statistics.kept += decision.keep.length;
      this.options.onSettled?.({ records: event.Records, outcome, decision });
      (this.options.onBatchLine ?? this.options.onLine)?.(
        `poller ${poller}: ${describeBatch(event.Records)} -> ${decision.reason}; ${this.describeDecision(decision, event.Records)}`,
      );
    }
  }

  /** A message that cannot be deleted comes back after the visibility timeout: delivered twice, as with Lambda. */
  private async remove(records: readonly SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      const result = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        this.options.onLine?.(`DeleteMessage failed for ${records[Number(failure.Id)]?.messageId}: ${failure.Message ?? failure.Code}`);
      }
    } catch (error) {
      this.options.onLine?.(`DeleteMessageBatch failed (${(error as Error).message})`);
    }
  }

  private describeDecision(decision: BatchDecision, records: readonly SQSRecord[]): string {
    const parts: string[] = [];
    if (decision.remove.length > 0) parts.push(`deleted ${decision.remove.length}`);
    if (decision.keep.length > 0) {
      const kept = records.filter((record) => decision.keep.includes(record.messageId));
      const exhausted = kept.filter(
        (record) => this.config.maxReceiveCount !== undefined && Number(record.attributes.ApproximateReceiveCount) >= this.config.maxReceiveCount,
      );
      parts.push(`kept ${decision.keep.length}, visible again in ${this.config.visibilityTimeoutSeconds} s`);
      if (exhausted.length > 0) {
        const them = exhausted.length === 1 ? "it" : "them";
        parts.push(`${exhausted.length} at maxReceiveCount ${this.config.maxReceiveCount}: SQS moves ${them} to the DLQ on the next receive`);
      }
    }
    return parts.join("; ");
  }
}

function describeBatch(records: readonly SQSRecord[]): string {
  const groups = [...new Set(records.map((record) => record.attributes.MessageGroupId ?? "-"))];
  const receives = records.map((record) => record.attributes.ApproximateReceiveCount).join(",");
  return `${records.length} message(s) of group ${groups.join(", ")} (receive #${receives})`;
}
