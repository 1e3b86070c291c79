/**
 * What the stack and the forwarder agree on: the environment variables the stack sets and the
 * handler reads, the message attributes the ingress writes, the shape of the sources table
 * and its rules, and the per-request timeout rule. src/infrastructure (settings, constructs)
 * and this folder (handler) both import it, so neither side can drift from the other.
 */
import type { SignatureScheme } from "./signatures";

/** The forwarder's environment variables. */
export const FORWARDER_ENV = {
  /** The webhook queue's URL (the article's variable). */
  queueUrl: "QUEUE_URL",
  /** Where a webhook that fails verification, or whose attributes contradict SQS, is quarantined (sent with a reason). */
  quarantineQueueUrl: "QUARANTINE_QUEUE_URL",
  /** JSON: source name -> its message groups, targets and signature scheme (ForwarderSources). */
  sources: "SOURCES",
  /** Per-request timeout towards a target, in milliseconds. */
  forwardTimeoutMs: "FORWARD_TIMEOUT_MS",
  /** Where the forwarder dead-letters a webhook whose retry budget is spent, and the webhooks held behind it. */
  deadLetterQueueUrl: "DEAD_LETTER_QUEUE_URL",
  /** The DynamoDB table of held message groups (HELD_GROUP); unset: no holds (and no retries in the queue). */
  heldGroupsTable: "HELD_GROUPS_TABLE",
  /** JSON RetryPolicy: retries inside the queue; unset: none (a failure waits for the visibility timeout). */
  retryPolicy: "RETRY_POLICY",
  /** The queue's redrive policy maxReceiveCount: on that receive SQS would move the message next, so the forwarder dead-letters it itself. */
  maxReceiveCount: "MAX_RECEIVE_COUNT",
  logLevel: "POWERTOOLS_LOG_LEVEL",
  serviceName: "POWERTOOLS_SERVICE_NAME",
  /** The CloudWatch namespace of the delivery metrics (DELIVERY_METRICS). */
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
} as const;

/**
 * The delivery metrics the forwarder writes as CloudWatch embedded metric format (EMF) log lines:
 * no API call on the delivery path; CloudWatch Logs turns them into metrics. Dimensions: `service`
 * (the function's name, Powertools' default dimension) and `source`; the per-target ones add
 * `target`. The stack's dashboard, its failure-rate alarms and `webhook-queue status` read them.
 */
export const DELIVERY_METRICS = {
  namespace: "WebhookQueue",
  /** Count, per source: webhooks delivered to every target. */
  delivered: "WebhooksDelivered",
  /** Count, per source: webhooks whose delivery failed (one or more targets), retried or dead-lettered. */
  failed: "WebhooksFailed",
  /** Count, per source: failed webhooks hidden for a backoff, to be retried inside the queue. */
  retried: "WebhooksRetried",
  /** Count, per source: webhooks quarantined (forged, or failing verification). */
  quarantined: "WebhooksQuarantined",
  /** Count, per source: webhooks dead-lettered once their retry budget was spent. */
  deadLettered: "WebhooksDeadLettered",
  /** Count, per source: webhooks sent to the DLQ behind their group's dead letter. */
  held: "WebhooksHeld",
  /** Milliseconds, per source and target: one POST, from the request to the whole answer. */
  deliveryLatency: "DeliveryLatency",
  /** Count, per source and target: POSTs that did not deliver (status, timeout, connection). */
  targetFailures: "TargetFailures",
  /** Milliseconds, per source: from API Gateway's receipt of the request to the delivery to every target. */
  endToEndAge: "EndToEndAge",
} as const;

/** The per-source counts among DELIVERY_METRICS, by the outcome each counts. */
export const DELIVERY_COUNTS = {
  delivered: DELIVERY_METRICS.delivered,
  failed: DELIVERY_METRICS.failed,
  retried: DELIVERY_METRICS.retried,
  quarantined: DELIVERY_METRICS.quarantined,
  deadLettered: DELIVERY_METRICS.deadLettered,
  held: DELIVERY_METRICS.held,
} as const;

/** The dimensions of the delivery metrics besides `service`. */
export const METRIC_DIMENSIONS = { source: "source", target: "target" } as const;

/**
 * The SQS message attributes the ingress writes (API Gateway's SQS-SendMessage integration)
 * and the forwarder reads; SQS allows 10 per message.
 */
export const MESSAGE_ATTRIBUTES = {
  /** The source's name. */
  source: "webhook-source",
  /** The webhook's stable ID: the provider's delivery ID when mapped, else API Gateway's request ID. */
  webhookId: "webhook-id",
  /** When API Gateway received the request, in ms since the epoch (`$context.requestTimeEpoch`). */
  receivedAt: "webhook-received-at",
  /** Set by the forwarder on a webhook it quarantined (in the quarantine queue; in the DLQ before it had one). */
  quarantineReason: "quarantine-reason",
  /** Set by the forwarder on a webhook it dead-lettered: its retry budget spent, or held behind an earlier dead letter of its group. */
  deadLetterReason: "dead-letter-reason",
} as const;

/**
 * The deduplication ID of a copy the operators' tool puts back in the queue (redrive, quarantine
 * release): `redrive-<message ID it was copied from>`. No route writes one.
 */
export const REDRIVEN_DEDUPLICATION_PREFIX = "redrive-";
const REDRIVEN_COPY = new RegExp(`^${REDRIVEN_DEDUPLICATION_PREFIX}[^:]+$`);
export function isRedrivenCopy(deduplicationId: string | undefined): boolean {
  return deduplicationId !== undefined && REDRIVEN_COPY.test(deduplicationId);
}

/**
 * Retries inside the queue: after a failed delivery the forwarder hides the message for a backoff
 * (ChangeMessageVisibility), so its group waits, in order; the webhook is dead-lettered once it has
 * been in the queue `maxAgeSeconds`.
 */
export interface RetryPolicy {
  /** The retry budget: how long a webhook may stay in the queue, failing, before it is dead-lettered. */
  readonly maxAgeSeconds: number;
  /** The first backoff; each failure doubles it, up to `maxDelaySeconds`, with jitter. */
  readonly initialDelaySeconds: number;
  /** The longest backoff, and the most a target's Retry-After is honoured. */
  readonly maxDelaySeconds: number;
}

/** An hour rides out a release; a webhook that fails for longer holds its entity's later webhooks that long. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAgeSeconds: 3_600, initialDelaySeconds: 5, maxDelaySeconds: 300 };
/** SQS keeps a message 4 days (the queue's default retention); a budget of 2 days leaves 2 to redrive it. */
export const MAX_RETRY_AGE_SECONDS = 172_800;
/** ChangeMessageVisibility's limit. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** What is wrong with a retry policy, each problem with its field. */
export function retryPolicyProblems(policy: unknown, path: readonly string[]): ConfigProblem[] {
  if (!isPlainObject(policy)) return [{ path, value: policy, allowed: "{ maxAgeSeconds, initialDelaySeconds, maxDelaySeconds }" }];
  const problems: ConfigProblem[] = [];
  const whole = (name: keyof RetryPolicy, min: number, max: number, what: string) => {
    const value = policy[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      problems.push({ path: [...path, name], value, allowed: `${min}..${max} seconds (${what})` });
  };
  whole("maxAgeSeconds", 60, MAX_RETRY_AGE_SECONDS, "the queue keeps a message 4 days: leave time to redrive it");
  whole("initialDelaySeconds", 1, MAX_VISIBILITY_SECONDS, "the first backoff");
  whole("maxDelaySeconds", 1, MAX_VISIBILITY_SECONDS, "ChangeMessageVisibility takes up to 12 hours");
  const { maxAgeSeconds, initialDelaySeconds, maxDelaySeconds } = policy as unknown as RetryPolicy;
  if (problems.length === 0 && initialDelaySeconds > maxDelaySeconds)
    problems.push({ path: [...path, "initialDelaySeconds"], value: initialDelaySeconds, allowed: `at most maxDelaySeconds (${maxDelaySeconds})` });
  if (problems.length === 0 && maxDelaySeconds > maxAgeSeconds)
    problems.push({ path: [...path, "maxDelaySeconds"], value: maxDelaySeconds, allowed: `at most maxAgeSeconds (${maxAgeSeconds})` });
  for (const name of Object.keys(policy)) {
    if (!["maxAgeSeconds", "initialDelaySeconds", "maxDelaySeconds"].includes(name))
      problems.push({
        path: [...path, name],
        value: policy[name],
        allowed: "nothing: not a retry setting (maxAgeSeconds, initialDelaySeconds, maxDelaySeconds)",
      });
  }
  return problems;
}

/** The retry policy in RETRY_POLICY; undefined when unset (no retries in the queue). Throws on a bad value. */
export function parseRetryPolicy(raw: string | undefined): RetryPolicy | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  let policy: unknown;
  try {
    policy = JSON.parse(raw);
  } catch {
    throw new Error(`${FORWARDER_ENV.retryPolicy} is not JSON: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  const problems = retryPolicyProblems(policy, []);
  if (problems.length > 0) {
    throw new Error(
      `${FORWARDER_ENV.retryPolicy} is invalid: ${problems.map((problem) => `${problem.path.join(".") || "(value)"} ${JSON.stringify(problem.value)}: allowed ${problem.allowed}`).join("; ")}`,
    );
  }
  return policy as RetryPolicy;
}

/** The backoff before retry number `receiveCount` (1 = after the first failure), without jitter. */
export function backoffSeconds(policy: RetryPolicy, receiveCount: number): number {
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * 2 ** exponent);
}

/**
 * The receives a webhook may take within its budget when every backoff is the shortest jitter
 * allows (half the backoff), plus the first.
 */
export function receivesWithinBudget(policy: RetryPolicy): number {
  let elapsed = 0;
  let receives = 1;
  while (elapsed < policy.maxAgeSeconds) {
    elapsed += Math.max(1, backoffSeconds(policy, receives) / 2);
    receives++;
  }
  return receives;
}

/**
 * The redrive policy's maxReceiveCount with retries in the queue: a backstop for what the
 * forwarder never gets to dead-letter (it crashed or was throttled on every receive), twice the
 * receives the budget takes plus 10, capped at SQS's 1000. The stack uses the larger of it and
 * `var.webhook.max_receive_count`.
 */
export function backstopReceiveCount(policy: RetryPolicy): number {
  return Math.min(1000, 2 * receivesWithinBudget(policy) + 10);
}

/**
 * The held-groups table: one item per message group whose webhooks wait in the DLQ, so that no
 * later webhook of the group passes them. The forwarder writes it (conditional writes), the
 * operators' tool releases it (webhook-queue redrive / discard).
 * - state "held": every record of the group goes to the DLQ, behind the dead letter;
 * - state "redriving" (set by the tool while it puts the group's dead letters back): the copies
 *   (`redrive-` deduplication IDs) are delivered, other records still go to the DLQ;
 * the tool deletes the item once the DLQ holds none of the group, every copy it sent has been
 * settled (copiesSent within copiesSettled, by deduplication ID) and nothing was dead-lettered
 * since it looked.
 */
export const HELD_GROUP = {
  /** The partition key (S): the message group ID. */
  group: "group",
  /** S: HoldState. */
  state: "state",
  /** N: when the group was first held, ms since the epoch. */
  heldAt: "heldAt",
  /** S: the source of the group. */
  source: "source",
  /** S: the webhook ID of the dead letter that started the hold. */
  headWebhookId: "headWebhookId",
  /** S: why it was dead-lettered. */
  reason: "reason",
  /** N: how many records of the group the forwarder has sent to the DLQ while held (the head included). */
  deadLettered: "deadLettered",
  /** SS: the deduplication IDs of the copies the tool has sent back to the queue (a set: a re-run adds nothing twice). */
  copiesSent: "copiesSent",
  /** SS: the deduplication IDs of the copies the forwarder has settled (delivered, or sent to the DLQ again). */
  copiesSettled: "copiesSettled",
} as const;

export type HoldState = "held" | "redriving";

/**
 * How a quarantine reason starts when the record's attributes contradicted what SQS says (a request
 * header rewrote them): such a webhook is forged, and `webhook-queue quarantine release` never
 * puts it back (a release would make its forged attributes trusted).
 */
export const FORGED_REASON_PREFIX = "forged: ";

/** The attribute carrying a request header the source's signature scheme needs. */
export function headerAttribute(header: string): string {
  return `header.${header.toLowerCase()}`;
}

/**
 * Values the ingress maps from the request carry this prefix: a header the request lacks
 * then becomes "v=" rather than an empty string, which SQS would refuse (and the SaaS would
 * get an error instead of the webhook being queued and quarantined).
 */
export const MAPPED_VALUE_PREFIX = "v=";

/** A mapped attribute's value without its prefix; undefined when the request had none. */
export function mappedValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const stripped = value.startsWith(MAPPED_VALUE_PREFIX) ? value.slice(MAPPED_VALUE_PREFIX.length) : value;
  return stripped === "" ? undefined : stripped;
}

/** One target of a source: where to POST, and how the request proves it comes from the forwarder. */
export interface TargetConfig {
  readonly url: string;
  /** SecureString parameter name holding a Standard Webhooks secret (`whsec_...`). */
  readonly signingSecretParameter?: string;
  /** Sign the request with the function's role (SigV4, `execute-api`): the target is a route with IAM authorization. */
  readonly awsIam?: boolean;
}

/**
 * The message groups a source's route writes, which no request value can reach: the static group,
 * or the `<source>:` before a mapped value. The forwarder knows a record's source by its group.
 */
export type GroupRule = { readonly static: string } | { readonly prefix: string };

/** Whether a record's MessageGroupId is one of the source's. */
export function groupMatches(rule: GroupRule, groupId: string): boolean {
  return "static" in rule ? groupId === rule.static : groupId.startsWith(rule.prefix);
}

/** How a source's webhooks are verified: a scheme and the SSM parameters of its secrets (several while rotating). */
export type SignatureConfig = SignatureScheme & { readonly secretParameters: readonly string[] };

export interface SourceConfig {
  readonly group: GroupRule;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly signature?: SignatureConfig;
}

/** source name -> its targets and verification. */
export type ForwarderSources = Readonly<Record<string, SourceConfig>>;

export const SOURCES_SHAPE =
  '{"<source>": {"group": {"static": "<id>"} | {"prefix": "<source>:"}, "targets": {"<name>": {"url": "<absolute URL>"}}, "signature"?: {...}}}';

/** What makes a target acceptable where the sources are checked. */
export interface TargetRules {
  /** URL schemes a target may use. */
  readonly schemes: readonly ("https:" | "http:")[];
  /** A target may also be a path on the existing HTTP API (`/...`), which the stack resolves. */
  readonly allowApiPaths: boolean;
}

/** One thing wrong: where (`["github", "targets", "app"]`), the value, what is allowed. */
export interface ConfigProblem {
  readonly path: readonly string[];
  readonly value: unknown;
  readonly allowed: string;
}

/** `["github"]["targets"]["app"]` */
export function configPath(path: readonly string[]): string {
  return path.map((key) => `[${JSON.stringify(key)}]`).join("");
}

/** A source name: it becomes a message attribute value, part of group IDs and of Terraform names. */
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
/** An SSM parameter name (a path like /webhooks/github/secret, or a plain name). */
export const PARAMETER_NAME = /^\/?[A-Za-z0-9_.\-/]{1,1011}$/;

/** Every problem of a sources table; none means every source has reachable targets and a usable signature config. */
export function sourceProblems(sources: unknown, rules: TargetRules): ConfigProblem[] {
  if (!isPlainObject(sources) || Object.keys(sources).length === 0) {
    return [{ path: [], value: sources, allowed: `at least one source, ${SOURCES_SHAPE}` }];
  }
  const problems: ConfigProblem[] = [];
  for (const [name, source] of Object.entries(sources)) {
    if (!SOURCE_NAME.test(name)) problems.push({ path: [name], value: name, allowed: "a source name: 1..48 letters, digits, '_' and '-'" });
    if (!isPlainObject(source)) {
      problems.push({ path: [name], value: source, allowed: "{ group, targets, signature? }" });
      continue;
    }
    const group = source.group;
    const groupOk =
      isPlainObject(group) &&
      Object.keys(group).length === 1 &&
      ((typeof group.static === "string" && group.static !== "") || (typeof group.prefix === "string" && group.prefix === `${name}:`));
    if (!groupOk) problems.push({ path: [name, "group"], value: group, allowed: `{ static: "<group ID>" } or { prefix: "${name}:" }` });
    const targets = source.targets;
    if (!isPlainObject(targets) || Object.keys(targets).length === 0) {
      problems.push({ path: [name, "targets"], value: targets, allowed: 'at least one target {"<name>": {"url": "<URL>"}}' });
    } else {
      for (const [target, config] of Object.entries(targets)) problems.push(...targetProblems([name, "targets", target], config, rules));
    }
    if (source.signature !== undefined) problems.push(...signatureProblems([name, "signature"], source.signature));
  }
  return problems;
}

function targetProblems(path: string[], config: unknown, rules: TargetRules): ConfigProblem[] {
  const what = `an absolute ${rules.schemes.map((scheme) => `${scheme}//`).join(" or ")} URL${rules.allowApiPaths ? ", or a path starting with '/' on the existing HTTP API" : ""}`;
  if (!isPlainObject(config)) return [{ path, value: config, allowed: `{ url, signingSecretParameter? } with url ${what}` }];
  const problems: ConfigProblem[] = [];
  const url = config.url;
  const urlOk =
    typeof url === "string" &&
    ((rules.allowApiPaths && url.startsWith("/")) || (URL.canParse(url) && (rules.schemes as readonly string[]).includes(new URL(url).protocol)));
  if (!urlOk) problems.push({ path: [...path, "url"], value: url, allowed: what });
  if (config.awsIam !== undefined && typeof config.awsIam !== "boolean")
    problems.push({ path: [...path, "awsIam"], value: config.awsIam, allowed: "true or false" });
  const secret = config.signingSecretParameter;
  if (secret !== undefined && (typeof secret !== "string" || !PARAMETER_NAME.test(secret))) {
    problems.push({
      path: [...path, "signingSecretParameter"],
      value: secret,
      allowed: "an SSM parameter name, e.g. /webhooks/application/signing-secret",
    });
  }
  return problems;
}

const SCHEMES = ["github", "stripe", "standard-webhooks", "hmac-sha256"];
/** The schemes whose signatures carry a timestamp, checked against `toleranceSeconds`. */
const TIMESTAMPED_SCHEMES = ["stripe", "standard-webhooks"];

function signatureProblems(path: string[], signature: unknown): ConfigProblem[] {
  if (!isPlainObject(signature)) return [{ path, value: signature, allowed: `{ scheme: ${SCHEMES.join(" | ")}, secretParameters: [...] }` }];
  const problems: ConfigProblem[] = [];
  if (!SCHEMES.includes(signature.scheme as string))
    problems.push({ path: [...path, "scheme"], value: signature.scheme, allowed: SCHEMES.join(", ") });
  const secrets = signature.secretParameters;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((secret) => typeof secret === "string" && PARAMETER_NAME.test(secret))) {
    problems.push({
      path: [...path, "secretParameters"],
      value: secrets,
      allowed: "one or more SSM parameter names (several while a secret rotates)",
    });
  }
  const tolerance = signature.toleranceSeconds;
  if (tolerance !== undefined && SCHEMES.includes(signature.scheme as string)) {
    if (!TIMESTAMPED_SCHEMES.includes(signature.scheme as string)) {
      problems.push({
        path: [...path, "toleranceSeconds"],
        value: tolerance,
        allowed: `nothing: ${String(signature.scheme)} signatures carry no timestamp (only ${TIMESTAMPED_SCHEMES.join(" and ")} do)`,
      });
    } else if (typeof tolerance !== "number" || !Number.isInteger(tolerance) || tolerance < 1 || tolerance > 86_400) {
      problems.push({ path: [...path, "toleranceSeconds"], value: tolerance, allowed: "1..86400 seconds" });
    }
  }
  if (signature.scheme === "hmac-sha256") {
    if (typeof signature.header !== "string" || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(signature.header)) {
      problems.push({ path: [...path, "header"], value: signature.header, allowed: "the name of the header carrying the signature" });
    }
    if (signature.encoding !== "hex" && signature.encoding !== "base64")
      problems.push({ path: [...path, "encoding"], value: signature.encoding, allowed: "hex or base64" });
    if (signature.prefix !== undefined && typeof signature.prefix !== "string")
      problems.push({ path: [...path, "prefix"], value: signature.prefix, allowed: "a string, e.g. sha256=" });
  }
  return problems;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Time the forwarder keeps for itself after the last request may have timed out. */
export const FORWARD_TIMEOUT_MARGIN_MS = 5_000;
/** The shortest per-request timeout the default rule gives. */
export const MIN_DEFAULT_FORWARD_TIMEOUT_MS = 1_000;

/** The stack's default per-request timeout: an equal share of the function timeout, less the margin, per record of a batch. */
export function defaultForwardTimeoutMs(functionTimeoutSeconds: number, batchSize: number): number {
  return Math.max(MIN_DEFAULT_FORWARD_TIMEOUT_MS, Math.floor((functionTimeoutSeconds * 1000 - FORWARD_TIMEOUT_MARGIN_MS) / Math.max(1, batchSize)));
}

/** Throws unless `raw` is unset or a positive whole number of milliseconds. */
export function parseForwardTimeoutMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${FORWARDER_ENV.forwardTimeoutMs} must be a positive whole number of milliseconds; got ${JSON.stringify(raw)}`);
  }
  return value;
}
