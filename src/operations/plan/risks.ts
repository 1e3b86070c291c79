/**
 * The plan changes that put queued webhooks at risk, each found on one resource change of
 * `terraform show -json` with its address, the attribute, its value before and after, why
 * it matters, and the flag that accepts it:
 *
 * | rule | change | flag |
 * | --- | --- | --- |
 * | queue-destroyed, queue-replaced | an `aws_sqs_queue` deleted or replaced: its messages go with it | --allow-replace |
 * | queue-forgotten | an `aws_sqs_queue` forgotten (`removed { lifecycle { destroy = false } }`): nothing guards it any more | --allow-risk |
 * | retention-lowered | a queue's `message_retention_seconds` lowered (or only known at apply): SQS applies it to messages already queued | --allow-risk |
 * | redrive-removed | a queue's `redrive_policy` cleared (`"{}"`, or no deadLetterTargetArn): failed messages no longer reach the DLQ | --allow-risk |
 * | redrive-target-changed | its `deadLetterTargetArn` changed (or only known at apply): failed messages go elsewhere | --allow-risk |
 * | max-receive-count-lowered | its `maxReceiveCount` lowered: messages already received that often move to the DLQ at their next receive | --allow-risk |
 * | queue-key-changed | a queue's `kms_master_key_id` changed or removed (or only known at apply): queued messages stay under the old key | --allow-risk |
 * | mapping-disabled | an `aws_lambda_event_source_mapping`'s `enabled` true -> false: nothing drains the queue | --allow-risk |
 * | mapping-filter-changed | its `filter_criteria` added or changed (or only known at apply): Lambda deletes what matches no pattern | --allow-risk |
 * | partial-batch-response-removed | `ReportBatchItemFailures` gone from its `function_response_types`: failed records are deleted as delivered | --allow-risk |
 * | mapping-destroyed, mapping-replaced | the mapping deleted or replaced: nothing drains the queue; a replacement may deliver again | --allow-risk |
 * | (the same) | the mapping of a queue this plan deletes or replaces: part of that queue loss | --allow-replace |
 * | forwarder-throttled | `reserved_concurrent_executions = 0` on the `aws_lambda_function` a queue's mapping invokes: every invocation is throttled | --allow-risk |
 * | retry-budget-lowered, retry-policy-removed | the forwarder's `RETRY_POLICY` maxAgeSeconds lowered (or only known at apply), or the variable removed | --allow-risk |
 * | ingress-destroyed, ingress-replaced | a source's `aws_apigatewayv2_route` or its SQS-SendMessage `aws_apigatewayv2_integration` deleted, or replaced delete-first: webhooks are refused meanwhile | --allow-risk |
 * | ingress-route-moved | a source's route's `route_key` changed in place: the path the SaaS posts to answers 404 from the apply on | --allow-risk |
 * | log-group-destroyed, log-group-replaced | an `aws_cloudwatch_log_group` deleted or replaced (unless `skip_destroy`): the record of what was delivered goes | --allow-risk |
 *
 * Updates only are checked attribute by attribute (and a mapping's or function's replacement,
 * whose new object is configured anew): a replaced queue is a queue loss, which says
 * everything. `redrive_policy` is Optional + Computed: removing it from the code, or setting it
 * to "", plans no change at all (terraform keeps the deployed value); `"{}"` is what clears it.
 * Pure: no I/O.
 */
import { FORWARDER_ENV, parseRetryPolicy, RetryPolicy } from "../../../lambda/forwarder/contract";
import { classifyActions, createsBeforeDestroying, PlanAction, record, ResourceChangeJson, unknownAt, valueAt } from "./plan-json";

export const QUEUE_TYPE = "aws_sqs_queue";
export const MAPPING_TYPE = "aws_lambda_event_source_mapping";
export const LOG_GROUP_TYPE = "aws_cloudwatch_log_group";
export const FUNCTION_TYPE = "aws_lambda_function";
const INTEGRATION_TYPE = "aws_apigatewayv2_integration";
const ROUTE_TYPE = "aws_apigatewayv2_route";
/** The integration subtype of a source's ingress: API Gateway writes the webhook into the queue. */
const QUEUE_INGRESS_SUBTYPE = "SQS-SendMessage";

/** The flag that lets a finding through: queue loss and every other risk are accepted separately. */
export type RiskFlag = "--allow-replace" | "--allow-risk";

export type RiskRule =
  | "queue-destroyed"
  | "queue-replaced"
  | "queue-forgotten"
  | "retention-lowered"
  | "redrive-removed"
  | "redrive-target-changed"
  | "max-receive-count-lowered"
  | "queue-key-changed"
  | "mapping-disabled"
  | "mapping-filter-changed"
  | "partial-batch-response-removed"
  | "mapping-destroyed"
  | "mapping-replaced"
  | "forwarder-throttled"
  | "retry-budget-lowered"
  | "retry-policy-removed"
  | "ingress-destroyed"
  | "ingress-replaced"
  | "ingress-route-moved"
  | "log-group-destroyed"
  | "log-group-replaced";

/** One change that puts queued messages (or the record of their delivery) at risk. */
export interface MessageRisk {
  readonly rule: RiskRule;
  readonly address: string;
  readonly type: string;
  /** The attribute that changes, e.g. `message_retention_seconds`; `(resource)` when the resource itself goes. */
  readonly attribute: string;
  /** Its value before and after, as text: `345600 s (4 d)`, `(none)`, `(known after apply)`, `destroyed`... */
  readonly before: string;
  readonly after: string;
  readonly why: string;
  /** The flag that accepts it. */
  readonly flag: RiskFlag;
  /** True when that flag was given. */
  readonly allowed: boolean;
}

export interface RiskOptions {
  readonly allowReplace: boolean;
  readonly allowRisk: boolean;
  /** Types whose deletion or replacement is a queue loss (--allow-replace). */
  readonly protectedTypes: ReadonlySet<string>;
}

/**
 * What the rules need to know about the whole plan: which queues are dead-letter queues, which
 * function drains a queue, which routes write into one.
 */
interface PlanContext {
  /** ARNs some queue names as its deadLetterTargetArn, before or after. */
  readonly deadLetterArns: ReadonlySet<string>;
  /** Names of the functions that event source mappings of a queue (an SQS ARN, or one only known at apply) invoke, before or after. */
  readonly queueConsumers: ReadonlySet<string>;
  /** ARNs of the protected resources (queues) the plan deletes or replaces. */
  readonly lostQueueArns: ReadonlySet<string>;
  /** IDs of the SQS-SendMessage integrations (a source's ingress) -> the route keys of the routes that target them. */
  readonly ingressRoutes: ReadonlyMap<string, readonly string[]>;
}

type Finding = Omit<MessageRisk, "address" | "type" | "flag" | "allowed"> & { readonly flag?: RiskFlag };

/** Every message risk in the plan's resource changes, sorted by address then rule. */
export function findMessageRisks(resources: readonly ResourceChangeJson[], options: RiskOptions): MessageRisk[] {
  const context = planContext(resources, options.protectedTypes);
  const risks: MessageRisk[] = [];
  for (const resource of resources) {
    if (resource.mode !== "managed") continue;
    const action = classifyActions(resource.change.actions);
    for (const finding of findingsOf(resource, action, context, options.protectedTypes)) {
      const flag = finding.flag ?? "--allow-risk";
      risks.push({
        rule: finding.rule,
        address: resource.address,
        type: resource.type,
        attribute: finding.attribute,
        before: finding.before,
        after: finding.after,
        why: finding.why,
        flag,
        allowed: flag === "--allow-replace" ? options.allowReplace : options.allowRisk,
      });
    }
  }
  return risks.sort((a, b) => a.address.localeCompare(b.address) || a.rule.localeCompare(b.rule));
}

function findingsOf(resource: ResourceChangeJson, action: PlanAction, context: PlanContext, protectedTypes: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  if (protectedTypes.has(resource.type)) {
    if (action === "delete" || action === "replace") findings.push(queueLoss(resource, action, context));
    if (action === "forget") findings.push(queueForgotten(resource, context));
  }
  switch (resource.type) {
    case QUEUE_TYPE:
      if (action === "update") findings.push(...retentionLowered(resource, context), ...redriveChanged(resource), ...queueKeyChanged(resource));
      break;
    case MAPPING_TYPE:
      if (action === "update") findings.push(...mappingDisabled(resource));
      if (action === "update" || action === "replace") findings.push(...filterChanged(resource), ...partialBatchResponseRemoved(resource));
      if (action === "delete" || action === "replace") findings.push(mappingGone(resource, action, context));
      break;
    case FUNCTION_TYPE:
      if (action === "update" || action === "replace" || action === "create") findings.push(...forwarderThrottled(resource, context));
      if (action === "update" || action === "replace") findings.push(...retryPolicyChanged(resource));
      break;
    case INTEGRATION_TYPE:
    case ROUTE_TYPE:
      // Created before the old one is deleted (create_before_destroy), the ingress has no gap.
      if (action === "delete" || (action === "replace" && !createsBeforeDestroying(resource)))
        findings.push(...ingressGone(resource, action, context));
      if (action === "update" && resource.type === ROUTE_TYPE) findings.push(...ingressRouteMoved(resource, context));
      break;
    case LOG_GROUP_TYPE:
      if (action === "delete" || action === "replace") findings.push(...logGroupGone(resource, action, context));
      break;
  }
  return findings;
}

function queueLoss(resource: ResourceChangeJson, action: "delete" | "replace", context: PlanContext): Finding {
  const before = record(resource.change.before);
  const what = isDeadLetterQueue(before, context)
    ? "the dead-letter queue, with every failed webhook waiting in it for a redrive"
    : "the queue, with every message in it (webhooks not yet delivered)";
  return action === "delete"
    ? { rule: "queue-destroyed", ...replacement(resource, "destroyed"), why: `deletes ${what}`, flag: "--allow-replace" }
    : { rule: "queue-replaced", ...replacement(resource, "replaced"), why: `deletes ${what}, and creates an empty one`, flag: "--allow-replace" };
}

function queueForgotten(resource: ResourceChangeJson, context: PlanContext): Finding {
  const what = isDeadLetterQueue(record(resource.change.before), context)
    ? "the dead-letter queue and its failed webhooks stay"
    : "the queue and its messages stay";
  return {
    rule: "queue-forgotten",
    attribute: "(resource)",
    before: "managed",
    after: "forgotten (removed from the state, left in AWS)",
    why:
      `Terraform stops managing it: ${what} in AWS, but nothing guards them any more (prevent_destroy, this review), ` +
      "and whoever still declares the queue, or cleans up unmanaged resources, may delete it; hand it to another configuration (import) first",
  };
}

function retentionLowered(resource: ResourceChangeJson, context: PlanContext): Finding[] {
  const name = "message_retention_seconds";
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const old = before[name];
  if (typeof old !== "number") return [];
  const dlq = isDeadLetterQueue(before, context)
    ? " This is the dead-letter queue: failed webhooks waiting there for a redrive are the ones that go."
    : "";
  if (record(resource.change.after_unknown)[name] === true) {
    return [
      {
        rule: "retention-lowered",
        attribute: name,
        before: seconds(old),
        after: KNOWN_AFTER_APPLY,
        why: `the new retention is only known at apply and may be lower; SQS applies a lowered retention to messages already queued.${dlq}`,
      },
    ];
  }
  const value = after[name];
  if (typeof value !== "number" || value >= old) return [];
  return [
    {
      rule: "retention-lowered",
      attribute: name,
      before: seconds(old),
      after: seconds(value),
      why: `SQS applies a lowered retention to messages already queued: any older than ${duration(value)} expire at once.${dlq}`,
    },
  ];
}

function redriveChanged(resource: ResourceChangeJson): Finding[] {
  const name = "redrive_policy";
  const oldPolicy = redriveOf(record(resource.change.before)[name]);
  if (!oldPolicy?.deadLetterTargetArn) return [];
  const raw = record(resource.change.before)[name];
  if (record(resource.change.after_unknown)[name] === true) {
    return [
      {
        rule: "redrive-target-changed",
        attribute: `${name}.deadLetterTargetArn`,
        before: oldPolicy.deadLetterTargetArn,
        after: KNOWN_AFTER_APPLY,
        why: "the dead-letter queue is only known at apply: failed messages may no longer reach the DLQ they go to today",
      },
    ];
  }
  const newPolicy = redriveOf(record(resource.change.after)[name]);
  if (!newPolicy?.deadLetterTargetArn) {
    return [
      {
        rule: "redrive-removed",
        attribute: name,
        before: show(raw),
        after: show(record(resource.change.after)[name]),
        why:
          "failed messages no longer move to the dead-letter queue: after each failed delivery they are retried until the queue's " +
          "retention expires, and then lost",
      },
    ];
  }
  const findings: Finding[] = [];
  if (newPolicy.deadLetterTargetArn !== oldPolicy.deadLetterTargetArn) {
    findings.push({
      rule: "redrive-target-changed",
      attribute: `${name}.deadLetterTargetArn`,
      before: oldPolicy.deadLetterTargetArn,
      after: newPolicy.deadLetterTargetArn,
      why:
        "failed messages go to another dead-letter queue from now on: operators looking at the old one miss them, and the new one " +
        "must allow this queue (its redrive allow policy) and keep them long enough",
    });
  }
  const oldCount = countOf(oldPolicy.maxReceiveCount);
  const newCount = countOf(newPolicy.maxReceiveCount);
  if (oldCount !== undefined && newCount !== undefined && newCount < oldCount) {
    findings.push({
      rule: "max-receive-count-lowered",
      attribute: `${name}.maxReceiveCount`,
      before: String(oldCount),
      after: String(newCount),
      why:
        `SQS moves a message to the dead-letter queue when a receive takes its receive count past maxReceiveCount: webhooks already received ` +
        `${newCount} time(s) or more (failed or throttled deliveries, retries in the queue) move there at their next receive, undelivered`,
    });
  }
  return findings;
}

/** A maxReceiveCount as a number (JSON writes it as a number, by hand it may be a string); undefined otherwise. */
function countOf(value: unknown): number | undefined {
  const count = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof count === "number" && Number.isFinite(count) ? count : undefined;
}

function queueKeyChanged(resource: ResourceChangeJson): Finding[] {
  const name = "kms_master_key_id";
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const oldKey = before[name];
  if (typeof oldKey !== "string" || oldKey === "") return [];
  const retention =
    typeof before.message_retention_seconds === "number" ? ` (this queue keeps a message ${duration(before.message_retention_seconds)})` : "";
  const keyNamed = oldKey.startsWith("alias/") ? `${oldKey} (the key it names today)` : oldKey;
  const why =
    `SQS does not re-encrypt the messages already queued: they stay encrypted under ${keyNamed}, also once moved to a dead-letter queue. ` +
    `Keep that key enabled, and usable by whoever reads them (the forwarder, webhook-queue), until none sent before this change is left${retention}: ` +
    "once it is disabled or deleted SQS cannot decrypt them, receiving them fails (KmsDisabled, KmsNotFound), and they are lost";
  if (unknownAt(resource.change.after_unknown, [name])) {
    return [
      {
        rule: "queue-key-changed",
        attribute: name,
        before: oldKey,
        after: KNOWN_AFTER_APPLY,
        why: `the KMS key is only known at apply and may change. ${why}`,
      },
    ];
  }
  const newKey = after[name];
  if (newKey === oldKey) return [];
  const shown =
    typeof newKey === "string" && newKey !== "" ? newKey : after.sqs_managed_sse_enabled === true ? "(none: SSE-SQS)" : "(none: not encrypted)";
  return [{ rule: "queue-key-changed", attribute: name, before: oldKey, after: shown, why }];
}

function mappingDisabled(resource: ResourceChangeJson): Finding[] {
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  if (before.enabled === false || after.enabled !== false) return [];
  return [
    {
      rule: "mapping-disabled",
      attribute: "enabled",
      before: show(before.enabled ?? true),
      after: "false",
      why: "nothing drains the queue: webhooks pile up undelivered and expire after its message_retention_seconds",
    },
  ];
}

function filterChanged(resource: ResourceChangeJson): Finding[] {
  const name = "filter_criteria";
  const oldPatterns = filterPatterns(record(resource.change.before)[name]);
  const why = (patterns: string) =>
    `Lambda deletes from the queue, undelivered, every message that matches none of ${patterns}: the webhooks it leaves out, ` +
    "those already queued included, are lost, not dead-lettered";
  const shownOld = oldPatterns.length > 0 ? oldPatterns.join(" | ") : NONE;
  if (unknownAt(resource.change.after_unknown, [name])) {
    return [
      {
        rule: "mapping-filter-changed",
        attribute: name,
        before: shownOld,
        after: KNOWN_AFTER_APPLY,
        why: `the filter is only known at apply and may leave webhooks out. ${why("its patterns")}`,
      },
    ];
  }
  const newPatterns = filterPatterns(record(resource.change.after)[name]);
  // No filter any more: every message reaches the forwarder.
  if (newPatterns.length === 0 || newPatterns.join("\n") === oldPatterns.join("\n")) return [];
  return [
    { rule: "mapping-filter-changed", attribute: name, before: shownOld, after: newPatterns.join(" | "), why: why("the mapping's filter patterns") },
  ];
}

/** The patterns of a mapping's filter_criteria block (`[{ filter: [{ pattern }] }]`), each as compact JSON where it parses, sorted. */
function filterPatterns(value: unknown): string[] {
  const blocks = Array.isArray(value) ? value : [];
  const patterns = blocks.flatMap((block) => {
    const filters = record(block).filter;
    return Array.isArray(filters) ? filters.map((filter) => record(filter).pattern).filter((pattern) => typeof pattern === "string") : [];
  });
  return patterns
    .map((pattern) => {
      try {
        return JSON.stringify(JSON.parse(pattern));
      } catch {
        return pattern;
      }
    })
    .sort();
}

const REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures";

function partialBatchResponseRemoved(resource: ResourceChangeJson): Finding[] {
  const name = "function_response_types";
  const before = record(resource.change.before)[name];
  const after = record(resource.change.after)[name];
  const reports = (types: unknown) => Array.isArray(types) && types.includes(REPORT_BATCH_ITEM_FAILURES);
  if (!reports(before)) return [];
  const why =
    `without ${REPORT_BATCH_ITEM_FAILURES} Lambda ignores the batchItemFailures the forwarder returns and deletes the whole batch once the ` +
    "invocation returns: webhooks that failed (or were skipped behind a failure of their group) in a batch that delivered others are deleted " +
    "as if delivered, and lost (only a batch in which every record fails still returns to the queue: the forwarder then throws)";
  if (unknownAt(resource.change.after_unknown, [name])) {
    return [
      {
        rule: "partial-batch-response-removed",
        attribute: name,
        before: show(before),
        after: KNOWN_AFTER_APPLY,
        why: `the response types are only known at apply and may lose ${REPORT_BATCH_ITEM_FAILURES}; ${why}`,
      },
    ];
  }
  if (reports(after)) return [];
  return [{ rule: "partial-batch-response-removed", attribute: name, before: show(before), after: show(after), why }];
}

function mappingGone(resource: ResourceChangeJson, action: "delete" | "replace", context: PlanContext): Finding {
  const finding: Finding =
    action === "delete"
      ? {
          rule: "mapping-destroyed",
          ...replacement(resource, "destroyed"),
          why: "nothing drains the queue any more: webhooks pile up undelivered and expire after its message_retention_seconds",
        }
      : {
          rule: "mapping-replaced",
          ...replacement(resource, "replaced"),
          why:
            "the mapping is deleted and created again: nothing drains the queue in between, and messages the old mapping held in flight " +
            "come back after the visibility timeout and may be delivered a second time",
        };
  // Its queue goes in this plan: the mapping goes with that queue loss, and --allow-replace accepts both.
  const source = record(resource.change.before).event_source_arn;
  if (typeof source === "string" && context.lostQueueArns.has(source)) {
    return { ...finding, why: `${finding.why} (its queue is destroyed or replaced in this plan: part of that queue loss)`, flag: "--allow-replace" };
  }
  return finding;
}

function forwarderThrottled(resource: ResourceChangeJson, context: PlanContext): Finding[] {
  const name = "reserved_concurrent_executions";
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const consumer = [before.function_name, after.function_name].some((fn) => {
    const fnName = functionName(fn);
    return fnName !== undefined && context.queueConsumers.has(fnName);
  });
  // Already 0: this plan throttles nothing that is not throttled today.
  if (!consumer || before[name] === 0) return [];
  const why =
    "Lambda throttles every invocation of the function the queue's event source mapping hands the webhooks to: none is delivered; each batch " +
    "Lambda has received returns to the queue when its visibility timeout ends and counts as a receive, so the webhooks reach maxReceiveCount " +
    "and move to the dead-letter queue undelivered (without a redrive policy they stay in the queue, undelivered, until its retention deletes them)";
  const shownBefore = before[name] === -1 ? "-1 (unreserved)" : show(before[name]);
  if (unknownAt(resource.change.after_unknown, [name])) {
    return [
      {
        rule: "forwarder-throttled",
        attribute: name,
        before: shownBefore,
        after: KNOWN_AFTER_APPLY,
        why: `only known at apply, it may be 0: ${why}`,
      },
    ];
  }
  if (after[name] !== 0) return [];
  return [{ rule: "forwarder-throttled", attribute: name, before: shownBefore, after: "0", why }];
}

/** Where the forwarder's retry policy sits in an aws_lambda_function's values (`environment` is a block: a list). */
export const RETRY_POLICY_PATH = ["environment", 0, "variables", FORWARDER_ENV.retryPolicy] as const;

function retryPolicyChanged(resource: ResourceChangeJson): Finding[] {
  const attribute = `environment.variables.${FORWARDER_ENV.retryPolicy}`;
  const oldPolicy = retryPolicyOf(valueAt(resource.change.before, RETRY_POLICY_PATH));
  // No retries in the queue today: a new policy only adds some.
  if (!oldPolicy) return [];
  const oldBudget = oldPolicy.maxAgeSeconds;
  // Only known at apply: Terraform marks the whole environment so when any variable names a resource that changes (the
  // queue replaced), so nothing says the budget moves; notes.ts points it out without blocking.
  if (unknownAt(resource.change.after_unknown, RETRY_POLICY_PATH)) return [];
  const newRaw = valueAt(resource.change.after, RETRY_POLICY_PATH);
  if (newRaw === undefined || newRaw === null || (typeof newRaw === "string" && newRaw.trim() === "")) {
    return [
      {
        rule: "retry-policy-removed",
        attribute,
        before: show(valueAt(resource.change.before, RETRY_POLICY_PATH)),
        after: NONE,
        why:
          `no retries in the queue any more: a failing webhook is no longer retried with backoff for up to ${duration(oldBudget)}; it moves ` +
          "to the dead-letter queue once it has been received maxReceiveCount times (a visibility timeout apart), so webhooks failing now may " +
          "be dead-lettered at their next failure",
      },
    ];
  }
  const newPolicy = retryPolicyOf(newRaw);
  if (!newPolicy || newPolicy.maxAgeSeconds >= oldBudget) return [];
  return [
    {
      rule: "retry-budget-lowered",
      attribute: `${attribute}.maxAgeSeconds`,
      before: seconds(oldBudget),
      after: seconds(newPolicy.maxAgeSeconds),
      why:
        `webhooks that have been in the queue, failing, for longer than ${duration(newPolicy.maxAgeSeconds)} are dead-lettered at their ` +
        `next failed delivery instead of being retried for up to ${duration(oldBudget)}`,
    },
  ];
}

/** The retry policy a RETRY_POLICY value holds, as the forwarder reads it; undefined for none or one it would refuse. */
export function retryPolicyOf(value: unknown): RetryPolicy | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return parseRetryPolicy(value);
  } catch {
    return undefined;
  }
}

function ingressGone(resource: ResourceChangeJson, action: "delete" | "replace", context: PlanContext): Finding[] {
  const before = record(resource.change.before);
  const integrationId = resource.type === INTEGRATION_TYPE ? before.id : integrationIdOf(before.target);
  if (typeof integrationId !== "string") return [];
  const routeKeys = context.ingressRoutes.get(integrationId);
  if (!routeKeys) return [];
  const gone = action === "delete" ? "destroyed" : "replaced";
  let why: string;
  if (resource.type === ROUTE_TYPE) {
    const route = typeof before.route_key === "string" ? before.route_key : "the source's route";
    why =
      action === "delete"
        ? `API Gateway answers ${route} with 404 from this apply on: the SaaS's webhooks to it are not queued, lost unless the SaaS retries them until a route is back`
        : `the route ${route} is deleted and created again: in between, API Gateway answers it with 404 and the SaaS's webhooks are not queued (lost unless the SaaS retries them)`;
  } else {
    const routes = routeKeys.length > 0 ? routeKeys.join(", ") : "its route";
    why =
      action === "delete"
        ? `the ${QUEUE_INGRESS_SUBTYPE} integration behind ${routes} goes: from this apply on, webhooks to it get 404/500 and are not queued, lost unless the SaaS retries them`
        : `the ${QUEUE_INGRESS_SUBTYPE} integration behind ${routes} is deleted and created again: in between, webhooks to it get 404/500 and are not queued (lost unless the SaaS retries them)`;
  }
  return [{ rule: gone === "destroyed" ? "ingress-destroyed" : "ingress-replaced", ...replacement(resource, gone), why }];
}

/** A source's route given another route key in place: the SaaS keeps posting to the old one, which answers 404. */
function ingressRouteMoved(resource: ResourceChangeJson, context: PlanContext): Finding[] {
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const integrationId = integrationIdOf(before.target);
  if (typeof integrationId !== "string" || !context.ingressRoutes.has(integrationId)) return [];
  const unknown = record(resource.change.after_unknown).route_key === true;
  if (!unknown && after.route_key === before.route_key) return [];
  return [
    {
      rule: "ingress-route-moved",
      attribute: "route_key",
      before: show(before.route_key),
      after: unknown ? KNOWN_AFTER_APPLY : show(after.route_key),
      why:
        `the SaaS keeps posting to ${String(before.route_key)}, which API Gateway answers with 404 from this apply on: its webhooks are ` +
        "not queued until its webhook URL names the new route (lost unless it retries them); add the new route beside the old one instead, " +
        "and remove the old one once the SaaS has moved",
    },
  ];
}

/** `abc123` from a route's target `integrations/abc123`. */
function integrationIdOf(target: unknown): string | undefined {
  const match = typeof target === "string" ? /^integrations\/(.+)$/.exec(target) : null;
  return match ? match[1] : undefined;
}

function logGroupGone(resource: ResourceChangeJson, action: "delete" | "replace", context: PlanContext): Finding[] {
  const before = record(resource.change.before);
  // skip_destroy: Terraform forgets the log group instead of deleting it; the logs stay.
  if (before.skip_destroy === true) return [];
  const name = typeof before.name === "string" ? before.name : "";
  const forwarder = [...context.queueConsumers].some((fn) => name === `/aws/lambda/${fn}`);
  const whose = forwarder
    ? "the forwarder's logs, the record of which webhooks were delivered and which failed, are deleted"
    : "its logs are deleted (for a function's log group: the record of what it did)";
  if (action === "delete") return [{ rule: "log-group-destroyed", ...replacement(resource, "destroyed"), why: whose }];
  return [{ rule: "log-group-replaced", ...replacement(resource, "replaced"), why: `${whose}; the new log group starts empty` }];
}

/**
 * The attribute, before and after of a resource that goes: `(resource)`, `exists` -> `destroyed`
 * for a delete; for a replacement the attributes that force it (replace_paths) and their
 * values, or `(resource)` -> `replaced` when none does (`replaced (-replace)` when asked for).
 */
function replacement(resource: ResourceChangeJson, gone: "destroyed" | "replaced"): Pick<Finding, "attribute" | "before" | "after"> {
  const forcedBy = gone === "destroyed" ? [] : topLevelReplacePaths(resource);
  if (forcedBy.length === 0) {
    const requested = gone === "replaced" && resource.action_reason === "replace_by_request" ? " (-replace)" : "";
    return { attribute: "(resource)", before: "exists", after: `${gone}${requested}` };
  }
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const unknown = record(resource.change.after_unknown);
  return {
    attribute: forcedBy.join(", "),
    before: forcedBy.map((name) => show(before[name])).join(", "),
    after: forcedBy.map((name) => (unknown[name] === true ? KNOWN_AFTER_APPLY : show(after[name]))).join(", "),
  };
}

function planContext(resources: readonly ResourceChangeJson[], protectedTypes: ReadonlySet<string>): PlanContext {
  const deadLetterArns = new Set<string>();
  const queueConsumers = new Set<string>();
  const lostQueueArns = new Set<string>();
  const ingressRoutes = new Map<string, string[]>();
  for (const resource of resources) {
    const arn = record(resource.change.before).arn;
    const action = classifyActions(resource.change.actions);
    if (protectedTypes.has(resource.type) && typeof arn === "string" && (action === "delete" || action === "replace")) lostQueueArns.add(arn);
    const values = [record(resource.change.before), record(resource.change.after)];
    if (resource.type === QUEUE_TYPE) {
      for (const { redrive_policy } of values) {
        const target = redriveOf(redrive_policy)?.deadLetterTargetArn;
        if (target) deadLetterArns.add(target);
      }
    }
    if (resource.type === MAPPING_TYPE) {
      const ofQueue =
        values.some(({ event_source_arn }) => typeof event_source_arn === "string" && /^arn:[^:]+:sqs:/.test(event_source_arn)) ||
        unknownAt(resource.change.after_unknown, ["event_source_arn"]);
      for (const fn of ofQueue ? values.flatMap(({ function_name, function_arn }) => [function_name, function_arn]) : []) {
        const name = functionName(fn);
        if (name) queueConsumers.add(name);
      }
    }
    if (resource.type === INTEGRATION_TYPE) {
      const [before, after] = values;
      if (typeof before.id === "string" && [before, after].some((integration) => integration.integration_subtype === QUEUE_INGRESS_SUBTYPE)) {
        ingressRoutes.set(before.id, []);
      }
    }
  }
  for (const resource of resources) {
    if (resource.type !== ROUTE_TYPE) continue;
    for (const route of [record(resource.change.before), record(resource.change.after)]) {
      const routeKeys = ingressRoutes.get(integrationIdOf(route.target) ?? "");
      if (routeKeys && typeof route.route_key === "string" && !routeKeys.includes(route.route_key)) routeKeys.push(route.route_key);
    }
  }
  return { deadLetterArns, queueConsumers, lostQueueArns, ingressRoutes };
}

function isDeadLetterQueue(values: Record<string, unknown>, context: PlanContext): boolean {
  return typeof values.arn === "string" && context.deadLetterArns.has(values.arn);
}

/** `my-fn` from `my-fn`, `arn:aws:lambda:region:account:function:my-fn` or `...:function:my-fn:alias`. */
export function functionName(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const arn = /:function:([^:]+)/.exec(value);
  return arn ? arn[1] : value;
}

/** The redrive policy a queue's `redrive_policy` string holds; undefined for none (null, "", not JSON). */
export function redriveOf(value: unknown): { readonly deadLetterTargetArn?: string; readonly maxReceiveCount?: unknown } | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (parsed === null || typeof parsed !== "object") return undefined;
    const target = (parsed as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
    return { ...(parsed as object), deadLetterTargetArn: typeof target === "string" && target !== "" ? target : undefined };
  } catch {
    return undefined;
  }
}

/** The top-level attributes of the change's replace_paths, e.g. `["name"]`. */
function topLevelReplacePaths(resource: ResourceChangeJson): string[] {
  return [...new Set((resource.change.replace_paths ?? []).map((path) => String(path[0])))].sort();
}

const KNOWN_AFTER_APPLY = "(known after apply)";
const NONE = "(none)";

function show(value: unknown): string {
  if (value === undefined || value === null || value === "") return NONE;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `345600 s (4 d)`. */
export function seconds(value: number): string {
  return `${value} s (${duration(value)})`;
}

/** 345600 -> `4 d`, 3600 -> `1 h`, 90 -> `1.5 min`. */
export function duration(value: number): string {
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
  ];
  for (const [size, unit] of units) {
    if (value >= size) return `${Number((value / size).toFixed(1))} ${unit}`;
  }
  return `${value} s`;
}
