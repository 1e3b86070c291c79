/**
 * What a reviewer must know before applying, though it puts no queued message at risk (so it
 * blocks nothing): each found on one resource change with its address, the attribute, its
 * value before and after, and what applying it does.
 *
 * | rule | change |
 * | --- | --- |
 * | mapping-resumed | an `aws_lambda_event_source_mapping`'s `enabled` false -> true: a mapping the ops team paused (`webhook-queue pause`) starts delivering as soon as the plan applies |
 * | retry-policy-unknown | the forwarder's `RETRY_POLICY` only known at apply (its environment names a resource that changes): the review cannot compare the budget; the settings' `forwarder.retry` decides it |
 * | throughput-mode-changed | an `aws_sqs_queue`'s `fifo_throughput_limit` or `deduplication_scope` changed in place (`queue.highThroughput`): SQS's quota and what a deduplication ID is unique in change, the queued messages stay |
 *
 * The stack always declares its mapping `enabled = true`, so any deploy while it is paused
 * resumes it. Pure: no I/O.
 */
import { classifyActions, record, ResourceChangeJson, unknownAt, valueAt } from "./plan-json";
import { FUNCTION_TYPE, MAPPING_TYPE, QUEUE_TYPE, RETRY_POLICY_PATH, retryPolicyOf } from "./risks";

export type PlanNoteRule = "mapping-resumed" | "retry-policy-unknown" | "throughput-mode-changed";

/** One change the review points out without blocking it. */
export interface PlanNote {
  readonly rule: PlanNoteRule;
  readonly address: string;
  readonly type: string;
  readonly attribute: string;
  readonly before: string;
  readonly after: string;
  /** What applying the change does. */
  readonly note: string;
}

/** Every note on the plan's resource changes, by address. */
export function findPlanNotes(resources: readonly ResourceChangeJson[]): PlanNote[] {
  const notes: PlanNote[] = [];
  for (const resource of resources) {
    if (resource.mode !== "managed") continue;
    const action = classifyActions(resource.change.actions);
    if (action !== "update" && action !== "replace") continue;
    const before = retryPolicyOf(valueAt(resource.change.before, RETRY_POLICY_PATH));
    if (resource.type === FUNCTION_TYPE && before && unknownAt(resource.change.after_unknown, RETRY_POLICY_PATH)) {
      notes.push({
        rule: "retry-policy-unknown",
        address: resource.address,
        type: resource.type,
        attribute: "environment.variables.RETRY_POLICY",
        before: `maxAgeSeconds ${before.maxAgeSeconds}`,
        after: "(known after apply)",
        note:
          "the forwarder's environment is only known at apply (it names a resource that changes), so the review cannot compare the retry " +
          "budget: check forwarder.retry in the settings (a lower maxAgeSeconds dead-letters webhooks that have been failing longer)",
      });
    }
    if (resource.type === QUEUE_TYPE && action === "update") {
      const throughput = throughputModeChange(resource);
      if (throughput) notes.push(throughput);
    }
    if (resource.type !== MAPPING_TYPE) continue;
    if (record(resource.change.before).enabled === false && record(resource.change.after).enabled === true) {
      notes.push({
        rule: "mapping-resumed",
        address: resource.address,
        type: resource.type,
        attribute: "enabled",
        before: "false",
        after: "true",
        note: "this deploy RESUMES the event source mapping that is paused (webhook-queue pause): deliveries start as soon as it applies",
      });
    }
  }
  return notes.sort((a, b) => a.address.localeCompare(b.address) || a.rule.localeCompare(b.rule));
}

/** SQS's high-throughput FIFO mode: both attributes at these values (either one alone leaves normal throughput). */
const HIGH_THROUGHPUT = { fifo_throughput_limit: "perMessageGroupId", deduplication_scope: "messageGroup" } as const;

/**
 * A FIFO queue's throughput mode switched (`queue.highThroughput`), in place: what SQS lets
 * through and what a deduplication ID is unique in change; nothing queued is touched.
 */
function throughputModeChange(resource: ResourceChangeJson): PlanNote | undefined {
  const before = record(resource.change.before);
  const after = record(resource.change.after);
  const attributes = Object.keys(HIGH_THROUGHPUT) as (keyof typeof HIGH_THROUGHPUT)[];
  if (attributes.some((name) => typeof before[name] !== "string" || typeof after[name] !== "string")) return undefined;
  if (attributes.every((name) => before[name] === after[name])) return undefined;
  const high = (values: Record<string, unknown>) => attributes.every((name) => values[name] === HIGH_THROUGHPUT[name]);
  const perGroup = after.deduplication_scope === HIGH_THROUGHPUT.deduplication_scope;
  const note = high(after)
    ? "high-throughput FIFO switched ON, in place (queued webhooks stay): SQS takes far more than 300 API calls/s per action, spread over " +
      "message groups; a deduplication ID is then unique per message group only: a provider's retry (same group) is still dropped, " +
      "the same ID in another group is not"
    : high(before)
      ? "high-throughput FIFO switched OFF, in place: SQS takes 300 API calls/s per action again (3,000 messages/s in batches of 10); " +
        "above that the route's SendMessage is throttled and the SaaS gets an error: check the queue's NumberOfMessagesSent peaks first" +
        (perGroup ? "" : "; deduplication IDs are unique per queue again")
      : `normal throughput either way (SQS's high-throughput mode needs fifo_throughput_limit = "perMessageGroupId" and deduplication_scope = "messageGroup" together); deduplication per ${perGroup ? "message group" : "queue"}`;
  return {
    rule: "throughput-mode-changed",
    address: resource.address,
    type: resource.type,
    attribute: attributes.join(", "),
    before: attributes.map((name) => before[name]).join(", "),
    after: attributes.map((name) => after[name]).join(", "),
    note,
  };
}
