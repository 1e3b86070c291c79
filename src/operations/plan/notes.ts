/**
 * What a reviewer must know before applying, though it puts no queued message at risk (so it
 * blocks nothing): each found on one resource change with its address, the attribute, its
 * value before and after, and what applying it does.
 *
 * | rule | change |
 * | --- | --- |
 * | mapping-resumed | an `aws_lambda_event_source_mapping`'s `enabled` false -> true: a mapping the ops team paused (`webhook-queue pause`) starts delivering as soon as the plan applies |
 * | retry-policy-unknown | the forwarder's `RETRY_POLICY` only known at apply (its environment names a resource that changes): the review cannot compare the budget; the settings' `forwarder.retry` decides it |
 *
 * The stack always declares its mapping `enabled = true`, so any deploy while it is paused
 * resumes it. Pure: no I/O.
 */
import { classifyActions, record, ResourceChangeJson, unknownAt, valueAt } from "./plan-json";
import { MAPPING_TYPE, RETRY_POLICY_PATH, retryPolicyOf } from "./risks";

export type PlanNoteRule = "mapping-resumed" | "retry-policy-unknown";

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
    if (resource.type === "aws_lambda_function" && before && unknownAt(resource.change.after_unknown, RETRY_POLICY_PATH)) {
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
