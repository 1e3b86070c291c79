/**
 * One typed settings object per environment, validated before anything is
 * synthesized. Every error names the setting, its value and what is allowed.
 */

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

/** How the forwarder's bundle reaches Lambda. */
export type ForwarderPackaging =
  /** The article's `data.archive_file`; needs the hashicorp/archive provider at plan time. */
  | "archive_file"
  /** A deterministic zip written at synth time (`filename` + `source_code_hash`); no archive provider. */
  | "zip";

/** message group ID -> { target name -> URL }. A URL that starts with `/` is a path on the existing HTTP API. */
export type ForwarderRoutes = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface WebhookQueueSettings {
  /** cdktf stack name: `cdktf deploy <stackName>`, `cdktf.out/stacks/<stackName>`. */
  readonly stackName: string;
  /** Prefix of every physical name (`mz-dev` -> `mz-dev-webhook-queue.fifo`). Changing it replaces resources. */
  readonly prefix: string;
  readonly region: string;
  /** Provider default tags. @default {} */
  readonly defaultTags?: Readonly<Record<string, string>>;
  readonly backend: BackendSettings;
  /** Default of `var.apigw_name` (the existing HTTP API). @default - none: tfvars or `--var` must set it */
  readonly apigwName?: string;
  /** Route on the existing HTTP API that writes into the queue. @default "POST /sqs-hook" */
  readonly routeKey?: string;
  /** Message group ID the route's integration sets. @default `${prefix}-sqs-webhook` */
  readonly messageGroupId?: string;
  /** Lambda timeout, in seconds. @default 60 (the article's processing timeout) */
  readonly functionTimeoutSeconds?: number;
  /** Queue visibility timeout; at least the function timeout. @default functionTimeoutSeconds */
  readonly visibilityTimeoutSeconds?: number;
  readonly forwarder?: ForwarderSettings;
  readonly monitoring?: MonitoringSettings;
  /** Points the AWS provider at a local emulator (moto_server) instead of AWS. @default - real AWS */
  readonly emulator?: EmulatorSettings;
}

export interface ForwarderSettings {
  /** Records per invocation; FIFO allows 1..10. @default 1 (the article's) */
  readonly batchSize?: number;
  /** Per-request timeout towards a target. @default (functionTimeoutSeconds * 1000 - 5000) / batchSize */
  readonly forwardTimeoutMs?: number;
  /** @default { [messageGroupId]: { application: "/application-hook" } } */
  readonly routes?: ForwarderRoutes;
  /** @default "archive_file" */
  readonly packaging?: ForwarderPackaging;
  /** @default 128 */
  readonly memorySizeMb?: number;
}

export interface MonitoringSettings {
  /** Alarms + SNS topic. @default true */
  readonly enabled?: boolean;
  /** Alarm when the main queue's oldest message is older than this. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
  /** E-mail addresses subscribed to the alarm topic. @default [] */
  readonly alarmEmails?: readonly string[];
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
  readonly apigwName?: string;
  readonly routeKey: string;
  readonly messageGroupId: string;
  readonly functionTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly forwarder: Required<Omit<ForwarderSettings, "routes">> & { readonly routes: ForwarderRoutes };
  readonly monitoring: Required<MonitoringSettings>;
  readonly emulator?: EmulatorSettings;
  /** Non-fatal advice, shown as cdktf warnings. */
  readonly warnings: readonly string[];
}

export class SettingsError extends Error {
  constructor(readonly stackName: string, readonly problems: readonly string[]) {
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
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 60;
/** Time the forwarder keeps for itself after the last request may have timed out. */
export const FORWARD_TIMEOUT_MARGIN_MS = 5000;

/** Applies defaults and checks every setting; throws one SettingsError listing all problems. */
export function resolveSettings(settings: WebhookQueueSettings): ResolvedSettings {
  const problems: string[] = [];
  const warnings: string[] = [];
  const problem = (name: string, value: unknown, allowed: string) =>
    problems.push(`${name} = ${JSON.stringify(value)}: ${allowed}`);

  const stackName = settings.stackName;
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(stackName ?? "")) {
    problem("stackName", stackName, "letters, digits, '_' and '-', starting with a letter");
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
      problem("prefix", prefix, `at most ${64 - LONGEST_ROLE_SUFFIX.length} characters: the role name "${longestRole}" would be ${longestRole.length} > 64`);
    }
  }

  if (!AWS_REGION.test(settings.region ?? "")) problem("region", settings.region, "an AWS region such as ap-northeast-1");

  const defaultTags = settings.defaultTags ?? {};
  for (const [key, value] of Object.entries(defaultTags)) {
    if (key.length < 1 || key.length > 128 || key.startsWith("aws:")) problem(`defaultTags key`, key, "1..128 characters, not starting with 'aws:'");
    if (typeof value !== "string" || value.length > 256) problem(`defaultTags.${key}`, value, "a string of at most 256 characters");
  }

  const backend = settings.backend;
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

  if (settings.apigwName !== undefined && !/^.{1,128}$/.test(settings.apigwName)) {
    problem("apigwName", settings.apigwName, "1..128 characters");
  }

  const routeKey = settings.routeKey ?? DEFAULT_ROUTE_KEY;
  if (!ROUTE_KEY.test(routeKey)) problem("routeKey", routeKey, "'METHOD /path', e.g. 'POST /sqs-hook'");

  const messageGroupId = settings.messageGroupId ?? `${prefix}-sqs-webhook`;
  // A derived group ID is only as wrong as the prefix, which is reported already.
  if (settings.messageGroupId !== undefined && !MESSAGE_GROUP_ID.test(messageGroupId)) problem("messageGroupId", messageGroupId, "1..128 printable ASCII characters without spaces");

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
    warnings.push(
      `visibilityTimeoutSeconds = ${visibilityTimeoutSeconds} is below six times the function timeout (${6 * functionTimeoutSeconds}), as AWS advises for SQS event sources; throttled retries may count as receives`,
    );
  }

  const forwarder = settings.forwarder ?? {};
  const batchSize = forwarder.batchSize ?? 1;
  if (!isInteger(batchSize, 1, 10)) problem("forwarder.batchSize", batchSize, "1..10 (the FIFO limit)");
  const forwardTimeoutMs =
    forwarder.forwardTimeoutMs ?? Math.max(1000, Math.floor((functionTimeoutSeconds * 1000 - FORWARD_TIMEOUT_MARGIN_MS) / Math.max(1, batchSize)));
  if (!isInteger(forwardTimeoutMs, 100, functionTimeoutSeconds * 1000)) {
    problem("forwarder.forwardTimeoutMs", forwardTimeoutMs, `a whole number of milliseconds, 100..${functionTimeoutSeconds * 1000} (the function timeout)`);
  } else if (forwardTimeoutMs * batchSize > functionTimeoutSeconds * 1000) {
    warnings.push(
      `forwarder.forwardTimeoutMs = ${forwardTimeoutMs} times batchSize ${batchSize} exceeds the function timeout; a batch of hanging targets ends in a Lambda timeout`,
    );
  }
  const packaging = forwarder.packaging ?? "archive_file";
  if (packaging !== "archive_file" && packaging !== "zip") problem("forwarder.packaging", packaging, "'archive_file' or 'zip'");
  const memorySizeMb = forwarder.memorySizeMb ?? 128;
  if (!isInteger(memorySizeMb, 128, 10240)) problem("forwarder.memorySizeMb", memorySizeMb, "128..10240");

  const routes = forwarder.routes ?? { [messageGroupId]: { application: "/application-hook" } };
  if (forwarder.routes !== undefined) checkRoutes(routes, settings.emulator !== undefined, problem);

  const monitoring = {
    enabled: settings.monitoring?.enabled ?? true,
    oldestMessageAgeSeconds: settings.monitoring?.oldestMessageAgeSeconds ?? 900,
    alarmEmails: settings.monitoring?.alarmEmails ?? [],
  };
  if (!isInteger(monitoring.oldestMessageAgeSeconds, 60, 1209600)) {
    problem("monitoring.oldestMessageAgeSeconds", monitoring.oldestMessageAgeSeconds, "60..1209600 seconds");
  }
  for (const email of monitoring.alarmEmails) {
    if (!EMAIL.test(email)) problem("monitoring.alarmEmails", email, "an e-mail address");
  }

  if (settings.emulator) {
    const url = parseUrl(settings.emulator.endpoint);
    if (!url || !["http:", "https:"].includes(url.protocol)) {
      problem("emulator.endpoint", settings.emulator.endpoint, "an http(s) URL such as http://127.0.0.1:5000");
    }
  }

  if (problems.length > 0) throw new SettingsError(String(stackName), problems);
  return {
    stackName,
    prefix,
    region: settings.region,
    defaultTags,
    backend,
    apigwName: settings.apigwName,
    routeKey,
    messageGroupId,
    functionTimeoutSeconds,
    visibilityTimeoutSeconds,
    forwarder: { batchSize, forwardTimeoutMs, routes, packaging, memorySizeMb },
    monitoring,
    emulator: settings.emulator,
    warnings,
  };
}

function checkRoutes(routes: ForwarderRoutes, allowHttp: boolean, problem: (name: string, value: unknown, allowed: string) => void): void {
  const groups = Object.entries(routes ?? {});
  if (groups.length === 0) problem("forwarder.routes", routes, "at least one message group with at least one target");
  for (const [group, targets] of groups) {
    if (!MESSAGE_GROUP_ID.test(group)) problem("forwarder.routes key", group, "a message group ID: 1..128 printable ASCII characters");
    const entries = Object.entries(targets ?? {});
    if (entries.length === 0) problem(`forwarder.routes["${group}"]`, targets, "at least one target { name: url }");
    for (const [name, target] of entries) {
      const setting = `forwarder.routes["${group}"]["${name}"]`;
      if (typeof target !== "string") {
        problem(setting, target, "a URL string");
        continue;
      }
      if (target.startsWith("/")) continue; // a path on the existing HTTP API (always https)
      const url = parseUrl(target);
      const schemes = allowHttp ? "https:// or http:// (emulator)" : "https://";
      if (!url || !(url.protocol === "https:" || (allowHttp && url.protocol === "http:"))) {
        problem(setting, target, `an absolute ${schemes} URL, or a path starting with '/' on the existing HTTP API`);
      }
    }
  }
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
