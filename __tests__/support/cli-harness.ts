/** Runs the real `webhook-queue` launcher as a child process, as an operator would. */
import { ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { EMULATOR_CREDENTIALS, emulatorClientEnv } from "../../src/operations/emulator/moto-server";

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

export interface SentMessage {
  readonly messageId: string;
  readonly groupId: string;
  readonly body: string;
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

/** Reads and deletes everything in a queue, in the order SQS hands it out. */
export async function drain(sqs: SQSClient, url: string): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
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
    if (Messages.length === 0) return received;
    for (const message of Messages) {
      received.push({
        messageId: message.MessageId!,
        groupId: message.Attributes?.MessageGroupId ?? "",
        body: message.Body ?? "",
        deduplicationId: message.Attributes?.MessageDeduplicationId,
        messageAttributes: message.MessageAttributes ?? {},
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
}

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
