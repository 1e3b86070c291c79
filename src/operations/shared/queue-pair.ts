/**
 * The webhook queue and its dead-letter queue as SQS describes them: how a queue's URL, ARN
 * and redrive policy relate. Every tool that reads the pair (the CLI, the local event source
 * mapping) reads it here.
 */
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";

/** A queue's RedrivePolicy attribute: where its failed messages go, and after how many receives. */
export interface RedrivePolicy {
  readonly deadLetterTargetArn?: string;
  readonly maxReceiveCount?: number;
}

/** Parses the RedrivePolicy attribute (a JSON string; SQS has returned the count as a string or a number). */
export function parseRedrivePolicy(attribute: string | undefined): RedrivePolicy | undefined {
  if (!attribute) return undefined;
  const policy = JSON.parse(attribute) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  const count = policy.maxReceiveCount === undefined ? undefined : Number(policy.maxReceiveCount);
  return {
    ...(typeof policy.deadLetterTargetArn === "string" && { deadLetterTargetArn: policy.deadLetterTargetArn }),
    ...(count !== undefined && Number.isFinite(count) && { maxReceiveCount: count }),
  };
}

/** A queue's RedriveAllowPolicy attribute: which source queues may use it as their dead-letter queue. */
export interface RedriveAllowPolicy {
  /** "allowAll", "denyAll" or "byQueue" */
  readonly redrivePermission?: string;
  /** With "byQueue": the source queues allowed (at most 10). */
  readonly sourceQueueArns: readonly string[];
}

/** Parses the RedriveAllowPolicy attribute (a JSON string); undefined when the queue has none. */
export function parseRedriveAllowPolicy(attribute: string | undefined): RedriveAllowPolicy | undefined {
  if (!attribute) return undefined;
  const policy = JSON.parse(attribute) as { redrivePermission?: unknown; sourceQueueArns?: unknown };
  const sources = Array.isArray(policy.sourceQueueArns) ? policy.sourceQueueArns : [];
  return {
    ...(typeof policy.redrivePermission === "string" && { redrivePermission: policy.redrivePermission }),
    sourceQueueArns: sources.filter((arn): arn is string => typeof arn === "string"),
  };
}

/** Whether a dead-letter queue's RedriveAllowPolicy names `sourceQueueArn` (byQueue). */
export function allowPolicyNames(policy: RedriveAllowPolicy | undefined, sourceQueueArn: string): boolean {
  return policy?.redrivePermission === "byQueue" && policy.sourceQueueArns.includes(sourceQueueArn);
}

/** The parts of an SQS queue ARN: `arn:aws:sqs:<region>:<account>:<name>`. */
export function parseQueueArn(arn: string): { readonly region: string; readonly account: string; readonly name: string } {
  const [prefix, , service, region, account, name] = arn.split(":");
  if (prefix !== "arn" || service !== "sqs" || !region || !account || !name) throw new Error(`${JSON.stringify(arn)} is not an SQS queue ARN`);
  return { region, account, name };
}

/** The URL of the queue an ARN names (GetQueueUrl with the owner's account). */
export async function queueUrlOfArn(sqs: SQSClient, arn: string): Promise<string> {
  const { account, name } = parseQueueArn(arn);
  const response = await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  if (!response.QueueUrl) throw new Error(`GetQueueUrl for ${arn} returned no URL`);
  return response.QueueUrl;
}

/** "us-east-1" from https://sqs.us-east-1.amazonaws.com/... or https://us-east-1.queue.amazonaws.com/... */
export function regionFromQueueUrl(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const host = new URL(url).hostname;
  return /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com/.exec(host)?.[1];
}

/** A queue's name, the last segment of its URL: `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
export function queueNameOfUrl(url: string): string {
  return url.replace(/\/+$/, "").split("/").pop() ?? url;
}
