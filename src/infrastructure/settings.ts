/**
 * One typed settings object per environment, validated before anything is
 * synthesized. Every error names the setting, its value and what is allowed.
 */
import {
  configPath,
  DEFAULT_RETRY_POLICY,
  defaultForwardTimeoutMs,
  GroupRule,
  headerAttribute,
  MESSAGE_ATTRIBUTES,
  RetryPolicy,
  retryPolicyProblems,
  SignatureConfig,
  sourceProblems,
} from "../../lambda/forwarder/contract";
import { signatureHeaders } from "../../lambda/forwarder/signatures";
import {
  AWS_PROVIDER_LINE_NAMES,
  AWS_PROVIDER_LINES,
  AwsProviderLine,
  AwsProviderLineName,
  maxMessageSizeOf,
  SQS_MESSAGE_SIZE,
} from "./provider-lines";

/** Where Terraform keeps the stack's state. */
export type BackendSettings =
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly key: string;
      readonly region: string;
      /** @default true */
      readonly encrypt?: boolean;
      /** S3-native state locking (Terraform >= 1.10). @default true */
      readonly useLockfile?: boolean;
      /** DynamoDB lock table, for teams that still lock that way. @default - none */
      readonly dynamodbTable?: string;
    }
  | {
      readonly kind: "local";
      /** State file, relative to the project root. */
      readonly path: string;
    };

/** How the Lambda functions' bundles reach Lambda. */
export type LambdaPackaging =
  /** The article's `data.archive_file`; needs the hashicorp/archive provider at plan time. */
  | "archive_file"
  /** A deterministic zip written at synth time (`filename` + `source_code_hash`); no archive provider. */
  | "zip";

/** Where a source's webhooks go: a URL (one starting with `/` is a path on the existing HTTP API), or the URL and a secret to sign with. */
export type TargetSettings = string | { readonly url: string; readonly signingSecretParameter?: string };

/**
 * One SaaS that sends webhooks: its route on the existing HTTP API, how its webhooks are grouped
 * (ordered) and deduplicated in the queue, how they are verified, and where they go.
 */
export interface SourceSettings {
  /** @default "POST /webhooks/<name>"; the default source: "POST /sqs-hook" (the article's) */
  readonly routeKey?: string;
  /**
   * The message group, which keeps webhooks in order: a static value (one lane), or a request
   * mapping, `$request.body.<JSONPath>` or `$request.header.<name>` (one lane per customer or
   * object, the lanes in parallel). A request without the key is queued in the fallback group
   * `<name>:`. Map an ID: SQS refuses a group over 128 characters (`<name>:` included) or not
   * ASCII, and the SaaS gets 400; a field or header whose name does not end in id, uuid, guid, key,
   * number, sha, hash or delivery is a warning.
   * @default "<name>"; the default source: `${prefix}-sqs-webhook` (the article's)
   */
  readonly messageGroup?: string;
  /**
   * The deduplication ID: `$context.requestId` (every delivery is queued, even with an identical
   * body) or the provider's delivery ID, e.g. `$request.header.X-GitHub-Delivery` (the provider's
   * retries of one delivery are merged). It is also the webhook ID the application receives.
   * A mapping is checked as `messageGroup`'s: SQS's limits on the deduplication ID are the same.
   * @default "$context.requestId"
   */
  readonly deduplicationId?: string;
  /** Verify each webhook's signature in the forwarder; one failing is quarantined in the DLQ. @default - not signed */
  readonly signature?: SignatureConfig;
  /** @default { application: <the application's route path> } */
  readonly targets?: Readonly<Record<string, TargetSettings>>;
}

export interface WebhookQueueSettings {
  /** cdktf stack name: `cdktf deploy <stackName>`, `cdktf.out/stacks/<stackName>`. */
  readonly stackName: string;
  /** Prefix of every physical name (`mz-dev` -> `mz-dev-webhook-queue.fifo`). Changing it replaces resources. */
  readonly prefix: string;
  readonly region: string;
  /** Provider default tags: every resource carries them. @default {} */
  readonly defaultTags?: Readonly<Record<string, string>>;
  readonly backend: BackendSettings;
  /**
   * The hashicorp/aws versions the stack admits (src/infrastructure/provider-lines.ts): "6.x" is
   * >= 6.12.0 (what wrote the article's state) and < 7; "5.100" is the emulator's. @default "6.x"
   */
  readonly awsProvider?: AwsProviderLineName;
  /** Default of `var.apigw_name` (the existing HTTP API). @default - none: tfvars or `--var` must set it */
  readonly apigwName?: string;
  /** The webhook sources, by name (letters, digits, '_', '-'). @default { default: {} }: the article's single unsigned route */
  readonly sources?: Readonly<Record<string, SourceSettings>>;
  /**
   * The source at the article's addresses, and the one messages without a source attribute (queued
   * before sources existed) are forwarded as. @default "default"
   */
  readonly defaultSource?: string;
  /** Lambda timeout, in seconds. @default 60 (the article's processing timeout) */
  readonly functionTimeoutSeconds?: number;
  /** Queue visibility timeout; at least the function timeout. @default functionTimeoutSeconds */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * The largest message both queues take, body and attributes together (`max_message_size`): a
   * bigger webhook is refused at the route (API Gateway answers SQS's 400). @default the largest
   * the provider line accepts: 1048576 (1 MiB) on "6.x", 262144 (256 KiB) on "5.100"
   */
  readonly maxMessageSizeBytes?: number;
  /**
   * `prevent_destroy` on both queues, so that Terraform itself refuses to destroy or replace
   * one. Lift it only for a deliberate teardown (the emulator's). @default true
   */
  readonly preventQueueDestroy?: boolean;
  /** The webhook queue's throughput mode. @default { highThroughput: false } */
  readonly queue?: QueueSettings;
  /** How the forwarder's and the application's bundles reach Lambda. @default "archive_file" */
  readonly packaging?: LambdaPackaging;
  readonly forwarder?: ForwarderSettings;
  readonly quarantine?: QuarantineSettings;
  readonly application?: ApplicationSettings;
  readonly monitoring?: MonitoringSettings;
  /** Points the AWS provider at a local emulator (moto_server) instead of AWS. @default - real AWS */
  readonly emulator?: EmulatorSettings;
}

export interface ForwarderSettings {
  /** Records per invocation; FIFO allows 1..10. @default 1 (the article's) */
  readonly batchSize?: number;
  /** Per-request timeout towards a target. @default (functionTimeoutSeconds * 1000 - 5000) / batchSize */
  readonly forwardTimeoutMs?: number;
  /**
   * Paths on the existing HTTP API that something outside this stack serves (the real
   * application's own stack), so that targets may name them. @default []
   */
  readonly externallyServedPaths?: readonly string[];
  /** A customer-managed KMS key the secrets' SecureStrings are encrypted with. @default - the AWS managed key (aws/ssm) */
  readonly secretsKmsKeyArn?: string;
  /** @default 128 */
  readonly memorySizeMb?: number;
  /**
   * Concurrency reserved for the forwarder, so that no other function of the account can starve it;
   * at least `var.webhook.max_concurrency` (a plan-time precondition checks it). The account must keep
   * 100 unreserved. @default var.webhook.max_concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Retries inside the queue: a failed delivery is retried after a backoff (its group waits, in
   * order) until the webhook has been in the queue `maxAgeSeconds`; then it is dead-lettered and its
   * group's later webhooks are held behind it (a DynamoDB table of held groups). The queue's
   * maxReceiveCount becomes the larger of `var.webhook.max_receive_count` and a backstop the budget
   * needs. `false`: the article's way (a failure waits for the visibility timeout; SQS dead-letters
   * after max_receive_count receives; no holds). Fields left out take the defaults.
   * @default { maxAgeSeconds: 3600, initialDelaySeconds: 5, maxDelaySeconds: 300 }
   */
  readonly retry?: Partial<RetryPolicy> | false;
}

/** The webhook queue itself; the DLQ and the quarantine queue keep SQS's normal FIFO mode (docs/sources.md, "Room to grow"). */
export interface QueueSettings {
  /**
   * SQS's high-throughput FIFO mode (`fifo_throughput_limit = "perMessageGroupId"` and
   * `deduplication_scope = "messageGroup"`, both changed in place): up to 70,000 API calls per
   * second and action instead of 300 (us-east-1, us-west-2, eu-west-1; fewer in other Regions),
   * spread over the message groups, at no extra charge; a deduplication ID is then unique per
   * message group. `false` sets both to SQS's normal values (`perQueue`, `queue`), so that turning
   * it off is a change Terraform makes. @default false
   */
  readonly highThroughput?: boolean;
}

/** The queue of what failed verification (forged, or a wrong secret), apart from the DLQ. */
export interface QuarantineSettings {
  /** How long a quarantined webhook is kept. @default 1209600 (14 days, SQS's longest) */
  readonly retentionSeconds?: number;
}

/** The article's dummy application: a Lambda behind `POST /application-hook` that answers 200. */
export interface ApplicationSettings {
  /** Deploy it (the article's repository does). @default true */
  readonly enabled?: boolean;
  /** @default "POST /application-hook" */
  readonly routeKey?: string;
  /** @default 3 (the repository's) */
  readonly timeoutSeconds?: number;
  /** Its POWERTOOLS_LOG_LEVEL; DEBUG also logs every body. @default "INFO" */
  readonly logLevel?: LogLevel;
}

export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface MonitoringSettings {
  /** Alarms + SNS topic. @default true */
  readonly enabled?: boolean;
  /** Alarm when the main queue's oldest message is older than this. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /**
   * Alarm when the DLQ's oldest webhook has this little left before the DLQ's retention
   * (`var.webhook.dlq_retention_second`) deletes it; half the retention when that is shorter
   * than twice this. @default 86400 (a day before it would expire)
   */
  readonly deadLetterExpiryWarningSeconds?: number;
  /** E-mail addresses subscribed to the alarm topic. @default [] */
  readonly alarmEmails?: readonly string[];
  /** More alarm and OK actions: ARNs (an on-call tool's SNS topic, ...). @default [] */
  readonly extraAlarmActions?: readonly string[];
  /** A CloudWatch dashboard of the queues, the forwarder and the deliveries per source. @default true */
  readonly dashboard?: boolean;
  /**
   * An alarm per source when `percent` (1..100) or more of its webhooks failed delivery in every
   * 5-minute period for `minutes` (a multiple of 5, 5..1440); `false`: none. Longer than a release:
   * retries inside the queue ride those out. @default { percent: 50, minutes: 15 }
   */
  readonly deliveryFailureRate?: { readonly percent?: number; readonly minutes?: number } | false;
}

export interface EmulatorSettings {
  /** e.g. http://127.0.0.1:5000 */
  readonly endpoint: string;
}

/** Settings with every default applied; what the constructs receive. */
export interface ResolvedSettings {
  readonly stackName: string;
  readonly prefix: string;
  readonly region: string;
  readonly defaultTags: Readonly<Record<string, string>>;
  readonly backend: BackendSettings;
  readonly awsProvider: ResolvedAwsProvider;
  readonly apigwName?: string;
  readonly sources: Readonly<Record<string, ResolvedSource>>;
  readonly defaultSource: string;
  readonly functionTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxMessageSizeBytes: number;
  readonly preventQueueDestroy: boolean;
  readonly queue: Required<QueueSettings>;
  readonly packaging: LambdaPackaging;
  readonly forwarder: Required<Omit<ForwarderSettings, "externallyServedPaths" | "secretsKmsKeyArn" | "reservedConcurrency" | "retry">> & {
    readonly externallyServedPaths: readonly string[];
    readonly secretsKmsKeyArn?: string;
    /** Unset: the mapping's maximum concurrency, `var.webhook.max_concurrency`. */
    readonly reservedConcurrency?: number;
    /** Undefined: no retries inside the queue (`retry: false`). */
    readonly retry?: RetryPolicy;
  };
  readonly quarantine: Required<QuarantineSettings>;
  readonly application: Required<ApplicationSettings>;
  readonly monitoring: Required<Omit<MonitoringSettings, "deliveryFailureRate">> & {
    readonly deliveryFailureRate: { readonly percent: number; readonly minutes: number } | false;
  };
  readonly emulator?: EmulatorSettings;
  /** Non-fatal advice, shown as cdktf warnings. */
  readonly warnings: readonly string[];
}

/** A provider line, by name. */
export type ResolvedAwsProvider = AwsProviderLine & { readonly name: AwsProviderLineName };

/** A source with its defaults applied. */
export interface ResolvedSource {
  readonly name: string;
  readonly routeKey: string;
  /** A static group, or a request mapping (`$request...`). */
  readonly messageGroup: string;
  readonly deduplicationId: string;
  readonly signature?: SignatureConfig;
  readonly targets: Readonly<Record<string, { readonly url: string; readonly signingSecretParameter?: string }>>;
}

export class SettingsError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid settings for stack "${stackName}":\n  - ${problems.join("\n  - ")}`);
    this.name = "SettingsError";
  }
}

/** SQS queue names: 1..80 of [A-Za-z0-9_-], FIFO names end in `.fifo` (counted). */
const SQS_NAME_CHARS = /^[A-Za-z0-9_-]+$/;
const SQS_NAME_MAX = 80;
const LONGEST_QUEUE_SUFFIX = "-webhook-queue-dlq.fifo";
/** IAM role names are at most 64 characters. */
const LONGEST_ROLE_SUFFIX = "-webhook-event-producer-execution-role";
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/[A-Za-z0-9._~\-{}+/]*)$/;
const MESSAGE_GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export const DEFAULT_ROUTE_KEY = "POST /sqs-hook";
export const DEFAULT_SOURCE = "default";
export const REQUEST_ID = "$context.requestId";
/** A request mapping a group or deduplication ID may use: a JSONPath into the body, or a header. */
const REQUEST_MAPPING = /^\$request\.(body(\.[A-Za-z0-9_-]+|\[\d+\]|\['[^'\]]+'\])+|header\.[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
/** SQS keeps at most 10 attributes per message. */
const MAX_MESSAGE_ATTRIBUTES = 10;
export const DEFAULT_APPLICATION_ROUTE_KEY = "POST /application-hook";
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 60;
export const DEFAULT_AWS_PROVIDER_LINE: AwsProviderLineName = "6.x";
/** SQS's smallest `max_message_size`. */
const MIN_MESSAGE_SIZE = 1024;

/** What the section validators report into: each problem names the setting, its value and what is allowed. */
interface Findings {
  readonly problem: (name: string, value: unknown, allowed: string) => void;
  readonly warn: (warning: string) => void;
}

/** Applies defaults and checks every setting, section by section; throws one SettingsError listing all problems. */
export function resolveSettings(settings: WebhookQueueSettings): ResolvedSettings {
  const problems: string[] = [];
  const warnings: string[] = [];
  const findings: Findings = {
    problem: (name, value, allowed) => problems.push(`${name} = ${JSON.stringify(value)}: ${allowed}`),
    warn: (warning) => warnings.push(warning),
  };
  checkNames(settings, findings);
  checkBackend(settings.backend, findings);
  if (settings.apigwName !== undefined && !/^.{1,128}$/.test(settings.apigwName))
    findings.problem("apigwName", settings.apigwName, "1..128 characters");
  const awsProvider = resolveAwsProvider(settings, findings);
  const timeouts = resolveTimeouts(settings, findings);
  const queues = resolveQueues(settings, awsProvider, findings);
  const queue = resolveQueue(settings.queue ?? {}, findings);
  const forwarder = resolveForwarder(settings.forwarder ?? {}, timeouts.functionTimeoutSeconds, findings);
  const packaging = settings.packaging ?? "archive_file";
  if (packaging !== "archive_file" && packaging !== "zip") findings.problem("packaging", packaging, "'archive_file' or 'zip'");
  const quarantine = resolveQuarantine(settings.quarantine ?? {}, findings);
  const application = resolveApplication(settings.application ?? {}, findings);
  const defaultSource = settings.defaultSource ?? DEFAULT_SOURCE;
  const sources = resolveSources(settings.sources ?? { [defaultSource]: {} }, {
    prefix: settings.prefix,
    defaultSource,
    allowHttp: settings.emulator !== undefined,
    applicationRouteKey: application.enabled ? application.routeKey : undefined,
    externallyServedPaths: forwarder.externallyServedPaths,
    ...findings,
  });
  const monitoring = resolveMonitoring(settings.monitoring ?? {}, findings);
  checkEmulator(settings.emulator, findings);

  if (problems.length > 0) throw new SettingsError(String(settings.stackName), problems);
  return {
    stackName: settings.stackName,
    prefix: settings.prefix,
    region: settings.region,
    defaultTags: settings.defaultTags ?? {},
    backend: settings.backend,
    awsProvider,
    apigwName: settings.apigwName,
    sources,
    defaultSource,
    ...timeouts,
    ...queues,
    queue,
    packaging,
    forwarder,
    quarantine,
    application,
    monitoring,
    emulator: settings.emulator,
    warnings,
  };
}

/** The stack's name, the prefix of every physical name, the region and the default tags. */
function checkNames(settings: WebhookQueueSettings, { problem }: Findings): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(settings.stackName ?? "")) {
    problem("stackName", settings.stackName, "letters, digits, '_' and '-', starting with a letter");
  }
  const prefix = settings.prefix;
  if (!SQS_NAME_CHARS.test(prefix ?? "")) {
    problem("prefix", prefix, "only letters, digits, '-' and '_' (SQS queue and IAM role names)");
  } else {
    const longestQueue = `${prefix}${LONGEST_QUEUE_SUFFIX}`;
    if (longestQueue.length > SQS_NAME_MAX) {
      problem(
        "prefix",
        prefix,
        `at most ${SQS_NAME_MAX - LONGEST_QUEUE_SUFFIX.length} characters: the DLQ name "${longestQueue}" would be ${longestQueue.length} > ${SQS_NAME_MAX}`,
      );
    }
    const longestRole = `${prefix}${LONGEST_ROLE_SUFFIX}`;
    if (longestRole.length > 64) {
      problem(
        "prefix",
        prefix,
        `at most ${64 - LONGEST_ROLE_SUFFIX.length} characters: the role name "${longestRole}" would be ${longestRole.length} > 64`,
      );
    }
  }
  if (!AWS_REGION.test(settings.region ?? "")) problem("region", settings.region, "an AWS region such as ap-northeast-1");
  for (const [key, value] of Object.entries(settings.defaultTags ?? {})) {
    if (key.length < 1 || key.length > 128 || key.startsWith("aws:")) problem(`defaultTags key`, key, "1..128 characters, not starting with 'aws:'");
    if (typeof value !== "string" || value.length > 256) problem(`defaultTags.${key}`, value, "a string of at most 256 characters");
  }
}

function checkBackend(backend: BackendSettings | undefined, { problem }: Findings): void {
  if (!backend) {
    problem("backend", backend, "an S3 backend { kind: 's3', bucket, key, region } or { kind: 'local', path }");
  } else if (backend.kind === "s3") {
    if (!S3_BUCKET.test(backend.bucket ?? "")) problem("backend.bucket", backend.bucket, "an S3 bucket name (3..63 of a-z, 0-9, '.', '-')");
    if (!backend.key || backend.key.startsWith("/")) problem("backend.key", backend.key, "a non-empty object key not starting with '/'");
    if (!AWS_REGION.test(backend.region ?? "")) problem("backend.region", backend.region, "an AWS region such as ap-northeast-1");
  } else if (backend.kind === "local") {
    if (!backend.path) problem("backend.path", backend.path, "a state file path");
  } else {
    problem("backend.kind", (backend as { kind: unknown }).kind, "'s3' or 'local'");
  }
}

/** The hashicorp/aws line the stack is planned on (./provider-lines.ts). */
function resolveAwsProvider(settings: WebhookQueueSettings, { problem }: Findings): ResolvedAwsProvider {
  const name = settings.awsProvider ?? DEFAULT_AWS_PROVIDER_LINE;
  if (Object.hasOwn(AWS_PROVIDER_LINES, name)) return { name, ...AWS_PROVIDER_LINES[name] };
  problem(
    "awsProvider",
    name,
    `one of ${AWS_PROVIDER_LINE_NAMES.map((line) => JSON.stringify(line)).join(", ")} (src/infrastructure/provider-lines.ts)`,
  );
  return { name: DEFAULT_AWS_PROVIDER_LINE, ...AWS_PROVIDER_LINES[DEFAULT_AWS_PROVIDER_LINE] };
}

/** The function timeout, and the visibility timeout that must cover it. */
function resolveTimeouts(settings: WebhookQueueSettings, { problem, warn }: Findings) {
  const functionTimeoutSeconds = settings.functionTimeoutSeconds ?? DEFAULT_FUNCTION_TIMEOUT_SECONDS;
  if (!isInteger(functionTimeoutSeconds, 1, 900)) problem("functionTimeoutSeconds", functionTimeoutSeconds, "a whole number of seconds, 1..900");
  const visibilityTimeoutSeconds = settings.visibilityTimeoutSeconds ?? functionTimeoutSeconds;
  if (!isInteger(visibilityTimeoutSeconds, 0, 43200)) {
    problem("visibilityTimeoutSeconds", visibilityTimeoutSeconds, "a whole number of seconds, 0..43200");
  } else if (visibilityTimeoutSeconds < functionTimeoutSeconds) {
    problem(
      "visibilityTimeoutSeconds",
      visibilityTimeoutSeconds,
      `at least functionTimeoutSeconds (${functionTimeoutSeconds}), or a message is redelivered while it is still being forwarded`,
    );
  } else if (visibilityTimeoutSeconds < 6 * functionTimeoutSeconds) {
    warn(
      `visibilityTimeoutSeconds = ${visibilityTimeoutSeconds} is below six times the function timeout (${6 * functionTimeoutSeconds}), as AWS advises for SQS event sources; throttled retries may count as receives`,
    );
  }
  return { functionTimeoutSeconds, visibilityTimeoutSeconds };
}

/** What both queues take: the largest message, and whether Terraform may destroy them. */
function resolveQueues(settings: WebhookQueueSettings, awsProvider: ResolvedAwsProvider, { problem }: Findings) {
  const largest = maxMessageSizeOf(awsProvider);
  const maxMessageSizeBytes = settings.maxMessageSizeBytes ?? largest;
  if (!isInteger(maxMessageSizeBytes, MIN_MESSAGE_SIZE, SQS_MESSAGE_SIZE.large)) {
    problem("maxMessageSizeBytes", maxMessageSizeBytes, `a whole number of bytes, ${MIN_MESSAGE_SIZE}..${largest}`);
  } else if (maxMessageSizeBytes > largest) {
    problem(
      "maxMessageSizeBytes",
      maxMessageSizeBytes,
      `at most ${largest} on the aws provider line "${awsProvider.name}" (${awsProvider.constraint}): hashicorp/aws accepts up to ${SQS_MESSAGE_SIZE.large} from 6.8.0 (awsProvider "6.x")`,
    );
  }
  if (settings.preventQueueDestroy !== undefined && typeof settings.preventQueueDestroy !== "boolean") {
    problem("preventQueueDestroy", settings.preventQueueDestroy, "true or false");
  }
  return { maxMessageSizeBytes, preventQueueDestroy: settings.preventQueueDestroy ?? true };
}

/** The webhook queue's own section. */
function resolveQueue(settings: QueueSettings, { problem }: Findings): Required<QueueSettings> {
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    problem("queue", settings, "{ highThroughput?: true or false }");
    return { highThroughput: false };
  }
  const highThroughput = settings.highThroughput ?? false;
  if (typeof highThroughput !== "boolean") problem("queue.highThroughput", highThroughput, "true or false");
  return { highThroughput: highThroughput === true };
}

function resolveForwarder(forwarder: ForwarderSettings, functionTimeoutSeconds: number, { problem, warn }: Findings): ResolvedSettings["forwarder"] {
  const batchSize = forwarder.batchSize ?? 1;
  if (!isInteger(batchSize, 1, 10)) problem("forwarder.batchSize", batchSize, "1..10 (the FIFO limit)");
  const forwardTimeoutMs = forwarder.forwardTimeoutMs ?? defaultForwardTimeoutMs(functionTimeoutSeconds, batchSize);
  if (!isInteger(forwardTimeoutMs, 100, functionTimeoutSeconds * 1000)) {
    problem(
      "forwarder.forwardTimeoutMs",
      forwardTimeoutMs,
      `a whole number of milliseconds, 100..${functionTimeoutSeconds * 1000} (the function timeout)`,
    );
  } else if (forwardTimeoutMs * batchSize > functionTimeoutSeconds * 1000) {
    warn(
      `forwarder.forwardTimeoutMs = ${forwardTimeoutMs} times batchSize ${batchSize} exceeds the function timeout; a batch of hanging targets ends in a Lambda timeout`,
    );
  }
  const memorySizeMb = forwarder.memorySizeMb ?? 128;
  if (!isInteger(memorySizeMb, 128, 10240)) problem("forwarder.memorySizeMb", memorySizeMb, "128..10240");
  const externallyServedPaths = forwarder.externallyServedPaths ?? [];
  for (const path of externallyServedPaths) {
    if (typeof path !== "string" || !/^\/[A-Za-z0-9._~\-{}+/]*$/.test(path))
      problem("forwarder.externallyServedPaths", path, "a path on the existing HTTP API, e.g. '/application-hook'");
  }
  if (forwarder.secretsKmsKeyArn !== undefined && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(forwarder.secretsKmsKeyArn)) {
    problem("forwarder.secretsKmsKeyArn", forwarder.secretsKmsKeyArn, "a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>");
  }
  if (forwarder.reservedConcurrency !== undefined && !isInteger(forwarder.reservedConcurrency, 2, 10_000)) {
    problem(
      "forwarder.reservedConcurrency",
      forwarder.reservedConcurrency,
      "a whole number from 2 (the event source mapping's least maximum concurrency) to 10000; at least var.webhook.max_concurrency",
    );
  }
  return {
    batchSize,
    forwardTimeoutMs,
    externallyServedPaths,
    memorySizeMb,
    ...(forwarder.secretsKmsKeyArn && { secretsKmsKeyArn: forwarder.secretsKmsKeyArn }),
    ...(forwarder.reservedConcurrency !== undefined && { reservedConcurrency: forwarder.reservedConcurrency }),
    ...resolveRetry(forwarder.retry, problem),
  };
}

/** The retry policy: the defaults, each field overridable; `false` turns retries inside the queue off. */
function resolveRetry(retry: ForwarderSettings["retry"], problem: Findings["problem"]): { retry?: RetryPolicy } {
  if (retry === false) return {};
  if (retry !== undefined && (typeof retry !== "object" || retry === null || Array.isArray(retry))) {
    problem("forwarder.retry", retry, "false, or { maxAgeSeconds, initialDelaySeconds, maxDelaySeconds } (each optional)");
    return {};
  }
  const policy = { ...DEFAULT_RETRY_POLICY, ...retry };
  const problems = retryPolicyProblems(policy, []);
  for (const found of problems) problem(`forwarder.retry.${found.path.join(".")}`, found.value, found.allowed);
  return problems.length > 0 ? {} : { retry: policy };
}

function resolveQuarantine(settings: QuarantineSettings, { problem }: Findings): Required<QuarantineSettings> {
  const retentionSeconds = settings.retentionSeconds ?? 1_209_600;
  if (!isInteger(retentionSeconds, 60, 1_209_600)) {
    problem("quarantine.retentionSeconds", retentionSeconds, "a whole number of seconds from 60 (1 minute) to 1209600 (14 days)");
  }
  return { retentionSeconds };
}

function resolveApplication(settings: ApplicationSettings, { problem }: Findings): Required<ApplicationSettings> {
  const application = {
    enabled: settings.enabled ?? true,
    routeKey: settings.routeKey ?? DEFAULT_APPLICATION_ROUTE_KEY,
    timeoutSeconds: settings.timeoutSeconds ?? 3,
    logLevel: settings.logLevel ?? "INFO",
  };
  if (!ROUTE_KEY.test(application.routeKey)) problem("application.routeKey", application.routeKey, "'METHOD /path', e.g. 'POST /application-hook'");
  if (!isInteger(application.timeoutSeconds, 1, 900))
    problem("application.timeoutSeconds", application.timeoutSeconds, "a whole number of seconds, 1..900");
  if (!(LOG_LEVELS as readonly string[]).includes(application.logLevel)) problem("application.logLevel", application.logLevel, LOG_LEVELS.join(", "));
  return application;
}

function resolveMonitoring(settings: MonitoringSettings, { problem }: Findings): ResolvedSettings["monitoring"] {
  const rate = settings.deliveryFailureRate;
  const monitoring = {
    enabled: settings.enabled ?? true,
    oldestMessageAgeSeconds: settings.oldestMessageAgeSeconds ?? 900,
    deadLetterExpiryWarningSeconds: settings.deadLetterExpiryWarningSeconds ?? 86_400,
    alarmEmails: settings.alarmEmails ?? [],
    extraAlarmActions: settings.extraAlarmActions ?? [],
    dashboard: settings.dashboard ?? true,
    deliveryFailureRate: rate === false ? (false as const) : { percent: rate?.percent ?? 50, minutes: rate?.minutes ?? 15 },
  };
  if (typeof monitoring.dashboard !== "boolean") problem("monitoring.dashboard", monitoring.dashboard, "true or false");
  if (rate !== undefined && rate !== false && (typeof rate !== "object" || rate === null || Array.isArray(rate))) {
    problem("monitoring.deliveryFailureRate", rate, "false, or { percent, minutes } (each optional)");
  } else if (monitoring.deliveryFailureRate) {
    const { percent, minutes } = monitoring.deliveryFailureRate;
    if (!isInteger(percent, 1, 100)) problem("monitoring.deliveryFailureRate.percent", percent, "1..100 (% of a source's webhooks)");
    if (!isInteger(minutes, 5, 1440) || minutes % 5 !== 0) {
      problem("monitoring.deliveryFailureRate.minutes", minutes, "5..1440, a multiple of 5 (the alarm's periods are 5 minutes)");
    }
  }
  if (!isInteger(monitoring.oldestMessageAgeSeconds, 60, 1209600)) {
    problem("monitoring.oldestMessageAgeSeconds", monitoring.oldestMessageAgeSeconds, "60..1209600 seconds");
  }
  if (!isInteger(monitoring.deadLetterExpiryWarningSeconds, 60, 1209600)) {
    problem("monitoring.deadLetterExpiryWarningSeconds", monitoring.deadLetterExpiryWarningSeconds, "60..1209600 seconds");
  }
  for (const email of monitoring.alarmEmails) {
    if (!EMAIL.test(email)) problem("monitoring.alarmEmails", email, "an e-mail address");
  }
  for (const action of monitoring.extraAlarmActions) {
    if (!/^arn:aws[a-z-]*:[a-z0-9-]+:/.test(action)) problem("monitoring.extraAlarmActions", action, "an ARN (arn:aws:sns:...)");
  }
  return monitoring;
}

function checkEmulator(emulator: EmulatorSettings | undefined, { problem }: Findings): void {
  if (!emulator) return;
  const url = parseUrl(emulator.endpoint);
  if (!url || !["http:", "https:"].includes(url.protocol)) {
    problem("emulator.endpoint", emulator.endpoint, "an http(s) URL such as http://127.0.0.1:5000");
  }
}

interface SourceRules extends Findings {
  readonly prefix: string;
  readonly defaultSource: string;
  readonly allowHttp: boolean;
  /** The dummy application's route, when the stack has it. */
  readonly applicationRouteKey?: string;
  readonly externallyServedPaths: readonly string[];
}

/** The sources with their defaults, every one checked: routes, group and deduplication mappings, signature, targets. */
function resolveSources(sources: Readonly<Record<string, SourceSettings>>, rules: SourceRules): Record<string, ResolvedSource> {
  const { problem, warn } = rules;
  if (typeof sources !== "object" || sources === null || Object.keys(sources).length === 0) {
    problem("sources", sources, "at least one source { <name>: { routeKey?, messageGroup?, deduplicationId?, signature?, targets? } }");
    return {};
  }
  if (!Object.hasOwn(sources, rules.defaultSource)) {
    problem("defaultSource", rules.defaultSource, `one of the sources (${Object.keys(sources).join(", ")}): it keeps the article's addresses`);
  }
  const resolved: Record<string, ResolvedSource> = {};
  const invalid: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(sources)) {
    if (typeof source !== "object" || source === null || Array.isArray(source)) {
      invalid[name] = source;
      continue;
    }
    const setting = `sources${configPath([name])}`;
    const isDefault = name === rules.defaultSource;
    const routeKey = source.routeKey ?? (isDefault ? DEFAULT_ROUTE_KEY : `POST /webhooks/${name}`);
    if (!ROUTE_KEY.test(routeKey)) problem(`${setting}.routeKey`, routeKey, "'METHOD /path', e.g. 'POST /webhooks/github'");
    const messageGroup = source.messageGroup ?? (isDefault ? `${rules.prefix}-sqs-webhook` : name);
    if (messageGroup.startsWith("$")) {
      if (!REQUEST_MAPPING.test(messageGroup))
        problem(`${setting}.messageGroup`, messageGroup, "a static group ID, $request.body.<JSONPath> or $request.header.<name>");
    } else if (!MESSAGE_GROUP_ID.test(messageGroup)) {
      // A derived group ID is only as wrong as the prefix or the name, which are reported already.
      if (source.messageGroup !== undefined) problem(`${setting}.messageGroup`, messageGroup, "1..128 printable ASCII characters without spaces");
    }
    const deduplicationId = source.deduplicationId ?? REQUEST_ID;
    if (deduplicationId !== REQUEST_ID && !REQUEST_MAPPING.test(deduplicationId)) {
      problem(
        `${setting}.deduplicationId`,
        deduplicationId,
        `${REQUEST_ID}, or the provider's delivery ID: $request.header.<name> or $request.body.<JSONPath>`,
      );
    } else if (deduplicationId !== REQUEST_ID && !source.signature) {
      // A signed source's provider always sends its delivery ID: only requests it did not send lack one.
      warn(
        `${setting}.deduplicationId = ${deduplicationId} on an unsigned source: requests without it all get the deduplication ID "${name}:", and SQS keeps only the first of them in any 5 minutes; map a value every delivery carries, or keep ${REQUEST_ID}`,
      );
    }
    checkMappedIds(name, setting, { messageGroup, deduplicationId }, warn);
    const targets = Object.fromEntries(
      Object.entries(source.targets ?? { application: routeKeyPath(rules.applicationRouteKey ?? DEFAULT_APPLICATION_ROUTE_KEY) }).map(
        ([target, value]) => [target, typeof value === "string" ? { url: value } : value],
      ),
    );
    const entry: ResolvedSource = {
      name,
      routeKey,
      messageGroup,
      deduplicationId,
      ...(source.signature && { signature: source.signature }),
      targets,
    };
    resolved[name] = entry;
  }
  const shape = sourceProblems(
    {
      ...Object.fromEntries(
        Object.values(resolved).map((source) => [
          source.name,
          { group: groupRuleOf(source), targets: source.targets, ...(source.signature && { signature: source.signature }) },
        ]),
      ),
      ...invalid,
    },
    { schemes: rules.allowHttp ? ["https:", "http:"] : ["https:"], allowApiPaths: true },
  );
  for (const found of shape)
    problem(
      `sources${configPath(found.path)}`,
      found.value,
      `${found.allowed}${rules.allowHttp && found.path.at(-1) === "url" ? " (http: in the emulator)" : ""}`,
    );
  // Attribute counting needs a scheme it knows: a broken signature is reported above already.
  const badSignatures = new Set(shape.filter((found) => found.path[1] === "signature").map((found) => found.path[0]));
  checkRoutesAndPaths(Object.values(resolved), rules, badSignatures);
  checkGroupsApart(Object.values(resolved), rules);
  checkAbsoluteTargets(Object.values(resolved), rules);
  return resolved;
}

/**
 * The forwarder knows a record's source by its message group (lambda/forwarder/trust.ts): a static
 * group, or `<source>:` before a mapped value. No two sources may write the same group, or a
 * request on one route could be taken for the other's.
 */
function checkGroupsApart(sources: readonly ResolvedSource[], { problem }: SourceRules): void {
  const prefixes = sources.filter((source) => source.messageGroup.startsWith("$")).map((source) => `${source.name}:`);
  const staticGroups = new Map<string, string>();
  for (const source of sources) {
    if (source.messageGroup.startsWith("$")) continue;
    const setting = `sources${configPath([source.name])}.messageGroup`;
    const other = staticGroups.get(source.messageGroup);
    if (other !== undefined)
      problem(
        setting,
        source.messageGroup,
        `a group of its own (source ${other} writes it too): the forwarder knows a webhook's source by its group`,
      );
    const clash = prefixes.find((prefix) => source.messageGroup.startsWith(prefix));
    if (clash !== undefined) {
      problem(
        setting,
        source.messageGroup,
        `a group not starting with "${clash}", which source ${clash.slice(0, -1)} writes before its mapped values`,
      );
    }
    staticGroups.set(source.messageGroup, source.name);
  }
}

/** How the name of a field or header holding an ID ends: `id`, `repository_id`, `customerId`, `X-GitHub-Delivery`, `Idempotency-Key`. */
const ID_WORDS = ["id", "uuid", "guid", "key", "number", "sha", "hash", "delivery"];

/**
 * SQS refuses a MessageGroupId or MessageDeduplicationId over 128 characters or with other than
 * ASCII letters, digits and punctuation, and the SaaS gets 400: the webhook is lost (docs/sources.md,
 * "What SQS refuses at the door"). A mapping is taken to give an ID when the name of its last step
 * (the header, or the body's field) ends in one of ID_WORDS; any other (a name, a title, an array
 * element) may hold free text or too many characters: a warning.
 */
function checkMappedIds(
  source: string,
  setting: string,
  mappings: Pick<ResolvedSource, "messageGroup" | "deduplicationId">,
  warn: Findings["warn"],
): void {
  const advice = {
    messageGroup: ["MessageGroupId", "Group by a field that holds an ID (e.g. repository.id, not repository.full_name)"],
    deduplicationId: ["MessageDeduplicationId", `Map the provider's delivery ID (e.g. $request.header.X-GitHub-Delivery), or keep ${REQUEST_ID}`],
  } as const;
  for (const field of ["messageGroup", "deduplicationId"] as const) {
    const mapping = mappings[field];
    if (!REQUEST_MAPPING.test(mapping)) continue;
    const step = lastStep(mapping);
    const words = step
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .toLowerCase()
      .split(/[^a-z0-9]+/);
    if (ID_WORDS.includes(words.at(-1) ?? "")) continue;
    const [parameter, instead] = advice[field];
    warn(
      `${setting}.${field} = ${mapping}: its last step, "${step}", does not name an ID (${ID_WORDS.join(", ")}), so it may hold free text (spaces, non-ASCII) or more than the ${128 - `${source}:`.length} characters left after "${source}:"; SQS refuses such a ${parameter} and the SaaS gets 400: the webhook is lost. ${instead}`,
    );
  }
}

/** `$request.header.X-GitHub-Delivery` -> `X-GitHub-Delivery`, `$request.body.a['b c']` -> `b c`, `$request.body.items[0]` -> `[0]`. */
function lastStep(mapping: string): string {
  if (mapping.startsWith("$request.header.")) return mapping.slice("$request.header.".length);
  const step = /(?:\.([A-Za-z0-9_-]+)|\['([^'\]]+)'\]|(\[\d+\]))$/.exec(mapping);
  return step?.[1] ?? step?.[2] ?? step?.[3] ?? mapping;
}

/** Query parameters whose names say they carry a credential. */
const CREDENTIAL_PARAMETER = /token|secret|key|passw|pwd|auth|sig|credential|session|code/i;
/** An API Gateway endpoint: `<api id>.execute-api.<region>.amazonaws.com`. */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * Absolute target URLs: no credentials in them (they would sit in the Lambda environment and the
 * Terraform state, readable by anyone who reads either), and none pointing back at an ingress
 * route of an API Gateway endpoint (a loop). A signed source whose target gets neither the
 * stack's own signature nor IAM authorization is a warning: anyone who finds that URL can post there.
 */
/**
 * Whether a target is the dummy application's route on the stack's own API (a path, query and
 * fragment aside), which requires IAM: the forwarder signs its requests to it (SigV4).
 */
export function isApplicationRouteTarget(targetUrl: string, applicationRouteKey: string | undefined): boolean {
  return targetUrl.startsWith("/") && applicationRouteKey !== undefined && targetUrl.split(/[?#]/)[0] === routeKeyPath(applicationRouteKey);
}

function checkAbsoluteTargets(sources: readonly ResolvedSource[], { problem, warn, applicationRouteKey }: SourceRules): void {
  const ingressPaths = new Map(sources.map((source) => [routeKeyPath(source.routeKey), source.name]));
  for (const source of sources) {
    for (const [name, target] of Object.entries(source.targets)) {
      if (typeof target.url !== "string") continue;
      const setting = `sources${configPath([source.name])}.targets${configPath([name])}`;
      const onOwnApi = target.url.startsWith("/");
      if (!onOwnApi && URL.canParse(target.url)) {
        const url = new URL(target.url);
        const credential = [...url.searchParams.keys()].find((key) => CREDENTIAL_PARAMETER.test(key));
        if (url.username !== "" || url.password !== "" || credential !== undefined) {
          problem(
            `${setting}.url`,
            target.url.replace(/\/\/[^@/]*@/, "//<credentials>@"),
            `a URL without credentials (${url.username !== "" || url.password !== "" ? "user:password@" : `?${credential}=`}): they would sit in the Lambda environment and the Terraform state. ` +
              "Sign the requests instead (signingSecretParameter: a secret in SSM) or let the target authenticate the forwarder another way",
          );
        }
        if (EXECUTE_API_HOST.test(url.hostname) && ingressPaths.has(url.pathname)) {
          problem(
            `${setting}.url`,
            target.url,
            `not an API Gateway URL of an ingress route (${url.pathname} is source ${ingressPaths.get(url.pathname)}'s): on the existing API every webhook would be queued again, forever; name the stack's own routes by their path`,
          );
        }
      }
      const protectedRoute = isApplicationRouteTarget(target.url, applicationRouteKey);
      if (source.signature && !target.signingSecretParameter && !protectedRoute) {
        warn(
          `${setting} receives source ${source.name}'s verified webhooks with neither the stack's signature (signingSecretParameter) nor IAM authorization: anyone who finds ${target.url} can post forged ones to it directly`,
        );
      }
    }
  }
}

/** Routes must not collide, attributes must fit in a message, and every target path on the API must be served by something else than an ingress. */
function checkRoutesAndPaths(sources: readonly ResolvedSource[], rules: SourceRules, badSignatures: ReadonlySet<string>): void {
  const { problem } = rules;
  const ingressPaths = new Map(sources.map((source) => [routeKeyPath(source.routeKey), source.name]));
  const seen = new Map<string, string>();
  for (const source of sources) {
    const setting = `sources${configPath([source.name])}`;
    const other = seen.get(source.routeKey);
    if (other !== undefined) problem(`${setting}.routeKey`, source.routeKey, `a route of its own (source ${other} has it)`);
    seen.set(source.routeKey, source.name);
    if (rules.applicationRouteKey === source.routeKey)
      problem(`${setting}.routeKey`, source.routeKey, `a route other than the application's (${rules.applicationRouteKey})`);
    if (source.signature && !badSignatures.has(source.name)) {
      // One attribute stays free for the reason the forwarder adds (quarantine-reason or dead-letter-reason, never both).
      const count = ingressAttributeNames(source).length + 1;
      if (count > MAX_MESSAGE_ATTRIBUTES)
        problem(
          `${setting}.signature`,
          source.signature.scheme,
          `a scheme whose headers fit in SQS's ${MAX_MESSAGE_ATTRIBUTES} message attributes (needs ${count})`,
        );
    }
    for (const [name, target] of Object.entries(source.targets)) {
      if (typeof target.url !== "string" || !target.url.startsWith("/")) continue;
      const targetSetting = `${setting}.targets${configPath([name])}`;
      const path = target.url.split(/[?#]/)[0];
      const served = new Map([
        ...(rules.applicationRouteKey
          ? [[routeKeyPath(rules.applicationRouteKey), `application.routeKey (${rules.applicationRouteKey})`] as const]
          : []),
        ...rules.externallyServedPaths.map((external) => [external, "forwarder.externallyServedPaths"] as const),
      ]);
      if (ingressPaths.has(path)) {
        problem(
          targetSetting,
          target.url,
          `not a webhook route (source ${ingressPaths.get(path)} writes it into the queue): every webhook would be queued again, forever`,
        );
      } else if (!served.has(path)) {
        const list = [...served].map(([servedPath, by]) => `${servedPath} (${by})`).join(", ") || "none";
        const why = rules.applicationRouteKey ? "" : "; application.enabled is false";
        problem(
          targetSetting,
          target.url,
          `a path this stack's routes serve, or one listed in forwarder.externallyServedPaths (served now: ${list}${why}); nothing answers it, so every webhook would be dead-lettered`,
        );
      }
    }
  }
}

/** The message attributes a source's ingress writes: who, which webhook, when, and the headers its signature needs. */
export function ingressAttributeNames(source: Pick<ResolvedSource, "signature">): string[] {
  return [
    MESSAGE_ATTRIBUTES.source,
    MESSAGE_ATTRIBUTES.webhookId,
    MESSAGE_ATTRIBUTES.receivedAt,
    ...(source.signature ? signatureHeaders(source.signature).map(headerAttribute) : []),
  ];
}

/** The message groups a source's route writes (lambda/forwarder/contract.ts): its static group, or `<name>:` before mapped values. */
export function groupRuleOf(source: Pick<ResolvedSource, "name" | "messageGroup">): GroupRule {
  return source.messageGroup.startsWith("$") ? { prefix: `${source.name}:` } : { static: source.messageGroup };
}

/** "/application-hook" from "POST /application-hook". */
export function routeKeyPath(routeKey: string): string {
  return routeKey.split(" ")[1] ?? routeKey;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

function parseUrl(value: string | undefined): URL | undefined {
  try {
    return value ? new URL(value) : undefined;
  } catch {
    return undefined;
  }
}
