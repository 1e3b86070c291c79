/** Runs the real `webhook-queue` launcher as a child process, as an operator would. */
import { ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { EMULATOR_CREDENTIALS, MotoServer, emulatorClientEnv, startMotoServer } from "../../src/operations/emulator/moto-server";

export const BIN = resolve(__dirname, "..", "..", "bin", "webhook-queue.js");
export const REGION = "us-east-1";

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of an operator with emulator credentials and nothing else from AWS. */
export const cliEnv = emulatorClientEnv;

export function spawnCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? cliEnv(), stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(options.input ?? "");
  return child;
}

export function finished(child: ChildProcess): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveRun) => child.once("close", (code, signal) => resolveRun({ code, signal, stdout, stderr })));
}

export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<CliRun> {
  return finished(spawnCli(args, options));
}

/** Parses the single JSON document a `--json` run prints. */
export function jsonOf(run: CliRun): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ region: REGION, endpoint, credentials: EMULATOR_CREDENTIALS });
}

export interface CliEmulator {
  readonly moto: MotoServer;
  readonly sqs: SQSClient;
  /** Global options pointing the CLI at the emulator. */
  readonly aws: readonly string[];
}

/** One moto_server for a test file: started before its tests, stopped after them; read the fields inside a test. */
export function useMotoServer(): CliEmulator {
  const emulator = {} as { moto: MotoServer; sqs: SQSClient; aws: string[] };
  beforeAll(async () => {
    emulator.moto = await startMotoServer();
    emulator.sqs = sqsClient(emulator.moto.endpoint);
    emulator.aws = ["--endpoint-url", emulator.moto.endpoint, "--region", REGION];
  });
  afterAll(async () => {
    emulator.sqs?.destroy();
    await emulator.moto?.stop();
  });
  return emulator;
}

export interface QueuePair {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return Attributes?.QueueArn ?? "";
}

export interface QueuePairOptions {
  /** The queue's RedrivePolicy maxReceiveCount (default 3); `null`: the queue has no RedrivePolicy. */
  readonly maxReceiveCount?: number | null;
  /** Give the DLQ a RedriveAllowPolicy naming the queue (byQueue), as the stack does (default false). */
  readonly redriveAllowPolicy?: boolean;
}

/** A main FIFO queue and its FIFO DLQ, named like the stack's (`<name>.fifo`, `<name>-dlq.fifo`). */
export async function createQueuePair(sqs: SQSClient, name: string, options: QueuePairOptions = {}): Promise<QueuePair> {
  const fifo = { FifoQueue: "true", ContentBasedDeduplication: "true" };
  const maxReceiveCount = options.maxReceiveCount === undefined ? 3 : options.maxReceiveCount;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: fifo }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl!);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: maxReceiveCount === null ? fifo : { ...fifo, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
    }),
  );
  const pair = { queueUrl: queue.QueueUrl!, queueArn: await queueArn(sqs, queue.QueueUrl!), dlqUrl: dlq.QueueUrl!, dlqArn };
  if (options.redriveAllowPolicy) {
    const policy = JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [pair.queueArn] });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: pair.dlqUrl, Attributes: { RedriveAllowPolicy: policy } }));
  }
  return pair;
}

/** A FIFO quarantine queue named like the stack's (`<name>-quarantine.fifo`): no redrive policy, nobody's DLQ. */
export async function createQuarantineQueue(sqs: SQSClient, name: string): Promise<{ readonly url: string; readonly arn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-quarantine.fifo`, Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }),
  );
  return { url: QueueUrl!, arn: await queueArn(sqs, QueueUrl!) };
}

export interface SentMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly body: string;
}

export interface Quarantined {
  readonly source: string;
  readonly groupId: string;
  readonly webhookId: string;
  /** @default "signature mismatch" */
  readonly reason?: string;
  /** @default {"source","webhookId"} as JSON */
  readonly body?: string;
}

/**
 * A webhook the forwarder quarantined, as it sends one (to the quarantine queue, or, an older
 * forwarder, to the DLQ): its source, webhook ID and signature header kept, with the reason.
 */
export async function putQuarantined(sqs: SQSClient, url: string, webhook: Quarantined): Promise<SentMessage> {
  const body = webhook.body ?? JSON.stringify({ source: webhook.source, webhookId: webhook.webhookId });
  const { MessageId } = await sqs.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      MessageGroupId: webhook.groupId,
      MessageDeduplicationId: `quarantine-${webhook.webhookId}`,
      MessageAttributes: {
        "webhook-source": { DataType: "String", StringValue: webhook.source },
        "webhook-id": { DataType: "String", StringValue: `v=${webhook.webhookId}` },
        "header.x-hub-signature-256": { DataType: "String", StringValue: "v=sha256=00" },
        "quarantine-reason": { DataType: "String", StringValue: webhook.reason ?? "signature mismatch" },
      },
    }),
  );
  return { messageId: MessageId!, groupId: webhook.groupId, body };
}

/** Puts messages into `queueUrl`, groups interleaved (a1 b1 c1 a2 ...); returns them in send order. */
export async function putMessages(sqs: SQSClient, queueUrl: string, counts: Record<string, number>, tag = "webhook"): Promise<SentMessage[]> {
  const sent: SentMessage[] = [];
  const most = Math.max(...Object.values(counts));
  for (let seq = 1; seq <= most; seq++) {
    for (const [groupId, count] of Object.entries(counts)) {
      if (seq > count) continue;
      const body = JSON.stringify({ tag, groupId, seq });
      const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: groupId }));
      sent.push({ messageId: MessageId!, groupId, body });
    }
  }
  return sent;
}

/** Bodies per group, in order. */
export function bodiesByGroup(messages: readonly { groupId: string; body: string }[]): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const { groupId, body } of messages) (groups[groupId] ??= []).push(body);
  return groups;
}

export async function queueCounts(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly body: string;
  readonly deduplicationId?: string;
  readonly messageAttributes: Record<string, unknown>;
}

/** Receives until the queue gives nothing more (hiding each message 60 s), handing each message to `handle` in the order SQS gives them. */
async function receiveUntilEmpty(sqs: SQSClient, url: string, handle: (message: Message) => Promise<unknown> | void): Promise<void> {
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) return;
    for (const message of Messages) await handle(message);
  }
}

/** Reads and deletes everything in a queue, in the order SQS hands it out. */
export async function drain(sqs: SQSClient, url: string): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  await receiveUntilEmpty(sqs, url, (message) => {
    received.push({
      messageId: message.MessageId!,
      groupId: message.Attributes?.MessageGroupId ?? "",
      body: message.Body ?? "",
      deduplicationId: message.Attributes?.MessageDeduplicationId,
      messageAttributes: message.MessageAttributes ?? {},
    });
    return sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
  });
  return received;
}

/**
 * Receives every message of a queue once (at most 10 per group) and returns each body's
 * receive count: 1 everywhere means nothing had received them before. Leaves them held.
 */
export async function receiveCounts(sqs: SQSClient, url: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await receiveUntilEmpty(sqs, url, (message) => {
    counts[message.Body!] = Number(message.Attributes?.ApproximateReceiveCount);
  });
  return counts;
}

/** Each body received once, as receiveCounts reports a queue nothing had received from. */
export const receivedOnce = (bodies: readonly { body: string }[]): Record<string, number> => Object.fromEntries(bodies.map(({ body }) => [body, 1]));

/** Resolves with the child's stderr so far once it contains `pattern`. */
export function stderrMatching(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  let stderr = "";
  return new Promise((resolveMatch, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (pattern.test(stderr)) {
        clearTimeout(timer);
        resolveMatch(stderr);
      }
    });
  });
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` at its prompt. */
export function runInTerminal(args: readonly string[], answer: string): Promise<CliRun> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { env: cliEnv(), stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(`${answer}\n`);
  return finished(child);
}
