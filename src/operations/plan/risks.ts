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
 * | mapping-disabled | an `aws_lambda_event_source_mapping`'s `enabled` true -> false: nothing drains the queue | --allow-risk |
 * | mapping-destroyed, mapping-replaced | the mapping deleted or replaced: nothing drains the queue; a replacement may deliver again | --allow-risk |
 * | (the same) | the mapping of a queue this plan deletes or replaces: part of that queue loss | --allow-replace |
 * | log-group-destroyed, log-group-replaced | an `aws_cloudwatch_log_group` deleted or replaced (unless `skip_destroy`): the record of what was delivered goes | --allow-risk |
 *
 * Updates only are checked attribute by attribute: a replaced queue is a queue loss, which
 * says everything. `redrive_policy` is Optional + Computed: removing it from the code, or
 * setting it to "", plans no change at all (terraform keeps the deployed value); `"{}"` is
 * what clears it. Pure: no I/O.
 */
import type { PlanAction, ResourceChangeJson } from "./review";

export const QUEUE_TYPE = "aws_sqs_queue";
export const MAPPING_TYPE = "aws_lambda_event_source_mapping";
export const LOG_GROUP_TYPE = "aws_cloudwatch_log_group";

/** The flag that lets a finding through: queue loss and every other risk are accepted separately. */
export type RiskFlag = "--allow-replace" | "--allow-risk";

export type RiskRule =
  | "queue-destroyed"
  | "queue-replaced"
  | "queue-forgotten"
  | "retention-lowered"
  | "redrive-removed"
  | "redrive-target-changed"
  | "mapping-disabled"
  | "mapping-destroyed"
  | "mapping-replaced"
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

/** What the rules need to know about the whole plan: which queues are dead-letter queues, which function drains a queue. */
interface PlanContext {
  /** ARNs some queue names as its deadLetterTargetArn, before or after. */
  readonly deadLetterArns: ReadonlySet<string>;
  /** Names of the functions event source mappings invoke, before or after. */
  readonly mappedFunctions: ReadonlySet<string>;
  /** ARNs of the protected resources (queues) the plan deletes or replaces. */
  readonly lostQueueArns: ReadonlySet<string>;
}

type Finding = Omit<MessageRisk, "address" | "type" | "flag" | "allowed"> & { readonly flag?: RiskFlag };

/** Every message risk in the plan's resource changes, sorted by address then rule. */
export function findMessageRisks(
  resources: readonly ResourceChangeJson[],
  actionOf: (resource: ResourceChangeJson) => PlanAction,
  options: RiskOptions,
): MessageRisk[] {
  const context = planContext(resources, actionOf, options.protectedTypes);
  const risks: MessageRisk[] = [];
  for (const resource of resources) {
    if (resource.mode !== "managed") continue;
    const action = actionOf(resource);
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
      if (action === "update") findings.push(...retentionLowered(resource, context), ...redriveChanged(resource));
      break;
    case MAPPING_TYPE:
      if (action === "update") findings.push(...mappingDisabled(resource));
      if (action === "delete" || action === "replace") findings.push(mappingGone(resource, action, context));
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
  if (newPolicy.deadLetterTargetArn === oldPolicy.deadLetterTargetArn) return [];
  return [
    {
      rule: "redrive-target-changed",
      attribute: `${name}.deadLetterTargetArn`,
      before: oldPolicy.deadLetterTargetArn,
      after: newPolicy.deadLetterTargetArn,
      why:
        "failed messages go to another dead-letter queue from now on: operators looking at the old one miss them, and the new one " +
        "must allow this queue (its redrive allow policy) and keep them long enough",
    },
  ];
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

function logGroupGone(resource: ResourceChangeJson, action: "delete" | "replace", context: PlanContext): Finding[] {
  const before = record(resource.change.before);
  // skip_destroy: Terraform forgets the log group instead of deleting it; the logs stay.
  if (before.skip_destroy === true) return [];
  const name = typeof before.name === "string" ? before.name : "";
  const forwarder = [...context.mappedFunctions].some((fn) => name === `/aws/lambda/${fn}`);
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

function planContext(
  resources: readonly ResourceChangeJson[],
  actionOf: (resource: ResourceChangeJson) => PlanAction,
  protectedTypes: ReadonlySet<string>,
): PlanContext {
  const deadLetterArns = new Set<string>();
  const mappedFunctions = new Set<string>();
  const lostQueueArns = new Set<string>();
  for (const resource of resources) {
    const arn = record(resource.change.before).arn;
    if (protectedTypes.has(resource.type) && typeof arn === "string" && ["delete", "replace"].includes(actionOf(resource))) lostQueueArns.add(arn);
    for (const values of [record(resource.change.before), record(resource.change.after)]) {
      if (resource.type === QUEUE_TYPE) {
        const target = redriveOf(values.redrive_policy)?.deadLetterTargetArn;
        if (target) deadLetterArns.add(target);
      }
      if (resource.type === MAPPING_TYPE) {
        for (const fn of [values.function_name, values.function_arn]) {
          const name = functionName(fn);
          if (name) mappedFunctions.add(name);
        }
      }
    }
  }
  return { deadLetterArns, mappedFunctions, lostQueueArns };
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

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

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
