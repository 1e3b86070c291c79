/**
 * The AWS edge of the CLI: SDK clients built from the global options, and the queues (main
 * FIFO queue, its FIFO dead-letter queue, the FIFO quarantine queue) looked up and checked.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ListDeadLetterSourceQueuesCommand, QueueAttributeName, SQSClient } from "@aws-sdk/client-sqs";
import {
  RedriveAllowPolicy,
  allowPolicyNames,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
  queueUrlOfArn,
  regionFromQueueUrl,
} from "../shared/queue-pair";
import { EMULATOR_CREDENTIALS } from "../emulator/moto-server";
import { RehearsalEndpoints } from "../shared/running-rehearsal";
import { CliError, UsageError, isQueueDoesNotExist } from "./errors";
import { GlobalOptions } from "./options";
import { findStack, FoundStack } from "./stack-outputs";

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly dynamodb: DynamoDBClient;
  /** Where calls go, for error messages. */
  readonly where: string;
}

/**
 * Region, endpoint and credentials of the SDK clients: the flags, else the running rehearsal's
 * (its moto_server, with the emulator's credentials: real ones are never sent to it), else the
 * usual AWS sources.
 */
export function clientConfig(
  global: GlobalOptions,
  queueUrls: readonly (string | undefined)[],
  env: NodeJS.ProcessEnv = process.env,
  rehearsal?: RehearsalEndpoints,
): { region?: string; endpoint?: string; credentials?: typeof EMULATOR_CREDENTIALS } {
  const region =
    global.region ?? rehearsal?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? queueUrls.map(regionFromQueueUrl).find((r) => r !== undefined);
  const endpoint = global.endpointUrl ?? rehearsal?.moto;
  return { region, endpoint, ...(rehearsal && global.endpointUrl === undefined && { credentials: EMULATOR_CREDENTIALS }) };
}

function createClients(
  global: GlobalOptions,
  queueUrls: readonly (string | undefined)[],
  env: NodeJS.ProcessEnv = process.env,
  rehearsal?: RehearsalEndpoints,
): AwsClients {
  const { region, endpoint, credentials } = clientConfig(global, queueUrls, env, rehearsal);
  const config = { region, endpoint, credentials, maxAttempts: 3 };
  const where = [region && `region ${region}`, endpoint && `endpoint ${endpoint}`].filter(Boolean).join(", ");
  return {
    sqs: new SQSClient(config),
    lambda: new LambdaClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    where: where || "default region",
  };
}

export interface QueueState {
  readonly role: "queue" | "dlq" | "quarantine";
  readonly url: string;
  readonly arn: string;
  /** ApproximateNumberOfMessages */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  readonly inFlight: number;
  /** ApproximateNumberOfMessagesDelayed */
  readonly delayed: number;
  readonly visibilityTimeout: number;
  /** Target of the queue's RedrivePolicy, if it has one. */
  readonly deadLetterTargetArn?: string;
  readonly maxReceiveCount?: number;
  /** The queue's RedriveAllowPolicy (on a dead-letter queue: which source queues may use it), if it has one. */
  readonly redriveAllowPolicy?: RedriveAllowPolicy;
}

const ROLE_NAMES = { queue: "queue", dlq: "dead-letter queue", quarantine: "quarantine queue" } as const;

/** How messages and notes name each queue. */
export const QUEUE_LABELS = { queue: "queue", dlq: "DLQ", quarantine: "quarantine queue" } as const;

/** Reads a queue's attributes; refuses an unknown or non-FIFO queue with a message naming the URL. */
export async function describeQueue(clients: AwsClients, url: string, role: QueueState["role"]): Promise<QueueState> {
  let attributes: Partial<Record<string, string>>;
  try {
    const response = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [QueueAttributeName.All] }));
    attributes = response.Attributes ?? {};
  } catch (error) {
    if (isQueueDoesNotExist(error)) throw new CliError(`${ROLE_NAMES[role]} ${url} does not exist (${clients.where})`);
    throw error;
  }
  if (attributes.FifoQueue !== "true") {
    throw new CliError(`${ROLE_NAMES[role]} ${url} is not a FIFO queue: webhook-queue only works on FIFO queues (name ending in .fifo)`);
  }
  const redrivePolicy = parseRedrivePolicy(attributes.RedrivePolicy);
  return {
    role,
    url,
    arn: attributes.QueueArn ?? "",
    visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    visibilityTimeout: Number(attributes.VisibilityTimeout ?? 30),
    deadLetterTargetArn: redrivePolicy?.deadLetterTargetArn,
    maxReceiveCount: redrivePolicy?.maxReceiveCount,
    redriveAllowPolicy: parseRedriveAllowPolicy(attributes.RedriveAllowPolicy),
  };
}

/** Whether `dlq` is the dead-letter queue of `queue`, as either of the two says. */
function namesAsPair(queue: QueueState, dlq: QueueState): boolean {
  return queue.deadLetterTargetArn === dlq.arn || allowPolicyNames(dlq.redriveAllowPolicy, queue.arn);
}

/**
 * Refuses (UsageError) a queue and a DLQ that are not a pair: the queue's RedrivePolicy must
 * name the DLQ, or the DLQ's RedriveAllowPolicy (byQueue) the queue; and a queue whose
 * RedrivePolicy names another DLQ is never paired with this one. Says so when the two
 * look swapped.
 */
export function checkQueuePair(queue: QueueState, dlq: QueueState): void {
  if (namesAsPair(dlq, queue) && !namesAsPair(queue, dlq)) swapped(queue, dlq);
  if (queue.deadLetterTargetArn && queue.deadLetterTargetArn !== dlq.arn) {
    throw new UsageError(
      `${dlq.url} is not the dead-letter queue of ${queue.url}: the queue's RedrivePolicy sends its failed messages to ${queue.deadLetterTargetArn}. ` +
        "Give the matching --dlq-url, or only --queue-url (the DLQ is then read from the RedrivePolicy)",
    );
  }
  if (namesAsPair(queue, dlq)) return;
  const allow = dlq.redriveAllowPolicy;
  const allowText = !allow
    ? "it has none"
    : `${allow.redrivePermission ?? "no redrivePermission"}${allow.sourceQueueArns.length > 0 ? `: ${allow.sourceQueueArns.join(", ")}` : ""}`;
  throw new UsageError(
    `${queue.url} and ${dlq.url} are not a queue and its dead-letter queue: the queue has no RedrivePolicy naming the DLQ, ` +
      `and the DLQ's RedriveAllowPolicy does not name the queue (${allowText})`,
  );
}

function swapped(queue: QueueState, dlq: QueueState): never {
  throw new UsageError(
    `the queue URL and the DLQ URL look swapped: ${queue.url} (given as the queue) looks like the dead-letter queue of ${dlq.url} ` +
      `(given as the dead-letter queue), which looks like the main queue. Pass --queue-url ${dlq.url} --dlq-url ${queue.url}`,
  );
}

async function queueUrlFromArn(clients: AwsClients, arn: string): Promise<string> {
  try {
    return await queueUrlOfArn(clients.sqs, arn);
  } catch (error) {
    if (isQueueDoesNotExist(error)) throw new CliError(`dead-letter queue ${arn} (from the RedrivePolicy) does not exist (${clients.where})`);
    throw error;
  }
}

export type Need = "required" | "optional" | "unused";

export interface OpenQueues {
  readonly clients: AwsClients;
  readonly queue?: QueueState;
  readonly dlq?: QueueState;
  readonly quarantine?: QueueState;
  /** The held-groups table, from --held-groups-table or the stack's held_groups_table; absent when neither names one. */
  readonly heldGroupsTable?: string;
  /** Set when --stack found the running `npm run local` rehearsal's outputs (the stack had none of its own). */
  readonly rehearsal?: RehearsalEndpoints;
}

/** Refuses a "quarantine queue" that is the main queue's dead-letter queue (a DLQ URL given as --quarantine-url). */
function checkQuarantine(quarantine: QueueState, queue: QueueState | undefined): void {
  if (queue?.deadLetterTargetArn === quarantine.arn) {
    throw new UsageError(
      `${quarantine.url} is the dead-letter queue of ${queue.url} (its RedrivePolicy), not the quarantine queue: pass it as --dlq-url, and the quarantine queue as --quarantine-url`,
    );
  }
}

/**
 * Finds and checks the queues a command needs: URLs from the flags, else from the
 * stack's outputs; a missing DLQ URL comes from the queue's RedrivePolicy, a missing
 * queue URL from the DLQ's only source queue. With `pair`, both queues are read whenever
 * both are known (even one the command does not use) and must be a pair (checkQueuePair).
 * The quarantine queue is known only from --quarantine-url or the stack's quarantine_url.
 */
export async function openQueues(
  global: GlobalOptions,
  need: { queue: Need; dlq: Need; quarantine?: Need; pair?: boolean; heldGroups?: boolean },
): Promise<OpenQueues> {
  const needQuarantine = need.quarantine ?? "unused";
  const flagsMissing =
    !global.queueUrl ||
    !global.dlqUrl ||
    (needQuarantine !== "unused" && !global.quarantineUrl) ||
    (need.heldGroups === true && !global.heldGroupsTable);
  const found: FoundStack | undefined =
    global.stack && flagsMissing ? await findStack(global.stack, global.stacksDir, global.endpointUrl) : undefined;
  const outputs = found?.outputs ?? {};
  const queueUrl = global.queueUrl ?? outputs.queue_url;
  let dlqUrl = global.dlqUrl ?? outputs.dlq_url;
  const quarantineUrl = needQuarantine === "unused" ? undefined : (global.quarantineUrl ?? outputs.quarantine_url);
  if (!queueUrl && !dlqUrl && !quarantineUrl) {
    throw new UsageError(
      needQuarantine === "unused"
        ? "no queue given: pass --queue-url and/or --dlq-url, or --stack NAME"
        : "no queue given: pass --queue-url, --dlq-url and/or --quarantine-url, or --stack NAME",
    );
  }
  if (queueUrl && dlqUrl && queueUrl === dlqUrl) {
    throw new UsageError(`--queue-url and --dlq-url are the same queue (${queueUrl})`);
  }
  if (quarantineUrl && (quarantineUrl === queueUrl || quarantineUrl === dlqUrl)) {
    throw new UsageError(`--quarantine-url is the same queue as --${quarantineUrl === queueUrl ? "queue" : "dlq"}-url (${quarantineUrl})`);
  }
  if (needQuarantine === "required" && !quarantineUrl) {
    throw new UsageError(
      global.stack
        ? `stack ${global.stack} has no quarantine_url output (deployed before the quarantine queue existed: its quarantined webhooks are in the DLQ, see --from dlq); or pass --quarantine-url`
        : "no quarantine queue given: pass --quarantine-url or --stack NAME",
    );
  }
  const clients = createClients(global, [queueUrl, dlqUrl, quarantineUrl], process.env, found?.rehearsal);

  // A queue the command does not use is still read when it is the way to find the DLQ, or to check the pair.
  const checkPair = need.pair === true && queueUrl !== undefined && dlqUrl !== undefined;
  const readQueue = queueUrl && (need.queue !== "unused" || checkPair || (need.dlq !== "unused" && !dlqUrl));
  let queue = readQueue ? await describeQueue(clients, queueUrl, "queue") : undefined;
  if (!dlqUrl && need.dlq !== "unused" && queue?.deadLetterTargetArn) {
    dlqUrl = await queueUrlFromArn(clients, queue.deadLetterTargetArn);
  }
  const dlq = dlqUrl && (need.dlq !== "unused" || checkPair) ? await describeQueue(clients, dlqUrl, "dlq") : undefined;
  if (!queue && dlq && need.queue !== "unused") {
    const sources = await clients.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }));
    const urls = sources.queueUrls ?? [];
    if (urls.length === 1) queue = await describeQueue(clients, urls[0], "queue");
    else if (need.queue === "required") {
      throw new UsageError(
        urls.length === 0
          ? `no main queue given and ${dlq.url} is no queue's dead-letter queue: pass --queue-url`
          : `${dlq.url} is the dead-letter queue of ${urls.length} queues: pass --queue-url to pick one`,
      );
    }
  }
  if (need.queue === "required" && !queue) throw new UsageError("no main queue given: pass --queue-url or --stack NAME");
  if (need.dlq === "required" && !dlq) {
    throw new UsageError(
      queue
        ? `no dead-letter queue given and ${queue.url} has no RedrivePolicy: pass --dlq-url`
        : "no dead-letter queue given: pass --dlq-url or --stack NAME",
    );
  }
  if (need.pair && queue && dlq) checkQueuePair(queue, dlq);
  const quarantine = quarantineUrl ? await describeQueue(clients, quarantineUrl, "quarantine") : undefined;
  if (quarantine) checkQuarantine(quarantine, queue);
  return {
    clients,
    queue: need.queue === "unused" ? undefined : queue,
    dlq: need.dlq === "unused" ? undefined : dlq,
    quarantine,
    heldGroupsTable: global.heldGroupsTable ?? outputs.held_groups_table,
    rehearsal: found?.rehearsal,
  };
}
