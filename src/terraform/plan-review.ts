/**
 * What a reviewer needs from a plan, read from `terraform show -json <planfile>`: how many
 * resources each action touches, every create / update / replace / delete by address,
 * and a verdict that blocks any plan destroying or replacing a queue (its messages would
 * be lost). Pure: no I/O, so the tests feed it plans terraform really produced.
 */

/** The parts of Terraform's JSON plan format (format_version 1.x) this review reads. */
export interface TerraformPlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
}

export interface ResourceChangeJson {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
  };
  readonly action_reason?: string;
}

export type PlanAction = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

/** Order of the counts line and of the change list. */
export const PLAN_ACTIONS: readonly PlanAction[] = ["create", "update", "replace", "delete", "forget", "read", "no-op"];

/** Resource types whose destruction loses data: a queue's messages go with it. */
export const PROTECTED_TYPES: readonly string[] = ["aws_sqs_queue"];

export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly action: Exclude<PlanAction, "read" | "no-op">;
  /** Top-level attributes whose value changes (or becomes known only after apply); updates and replacements. */
  readonly attributes: readonly string[];
  /** Attributes that force the replacement; replacements only. */
  readonly forcedBy: readonly string[];
}

export interface PlanReview {
  readonly counts: Readonly<Record<PlanAction, number>>;
  /** Every managed resource the plan creates, updates, replaces, deletes or forgets, in PLAN_ACTIONS order. */
  readonly changes: readonly PlannedChange[];
  /** Protected resources (queues) the plan deletes or replaces. */
  readonly queueLosses: readonly string[];
  readonly allowReplace: boolean;
  /** True when queueLosses is not empty and `--allow-replace` was not given. */
  readonly blocked: boolean;
}

export interface ReviewOptions {
  /** Accept queue deletions and replacements (`--allow-replace`). @default false */
  readonly allowReplace?: boolean;
  /** @default PROTECTED_TYPES */
  readonly protectedTypes?: readonly string[];
}

/** Maps Terraform's action list to one action; an action list this review does not know is an error, not a guess. */
export function classifyActions(actions: readonly string[]): PlanAction {
  const key = actions.join(",");
  switch (key) {
    case "no-op":
    case "create":
    case "read":
    case "update":
    case "delete":
    case "forget":
      return key;
    case "delete,create":
    case "create,delete":
      return "replace";
    default:
      throw new Error(`Unknown terraform plan actions [${actions.join(", ")}]: update src/terraform/plan-review.ts`);
  }
}

export function reviewPlan(plan: TerraformPlanJson, options: ReviewOptions = {}): PlanReview {
  const protectedTypes = new Set(options.protectedTypes ?? PROTECTED_TYPES);
  const allowReplace = options.allowReplace ?? false;
  const counts = Object.fromEntries(PLAN_ACTIONS.map((action) => [action, 0])) as Record<PlanAction, number>;
  const changes: PlannedChange[] = [];
  const queueLosses: string[] = [];

  for (const resource of plan.resource_changes ?? []) {
    const action = classifyActions(resource.change.actions);
    counts[action] += 1;
    if (action === "no-op" || action === "read") continue;
    changes.push({
      address: resource.address,
      type: resource.type,
      action,
      attributes: action === "update" || action === "replace" ? changedAttributes(resource.change) : [],
      forcedBy: action === "replace" ? (resource.change.replace_paths ?? []).map((path) => path.join(".")).sort() : [],
    });
    if (resource.mode === "managed" && protectedTypes.has(resource.type) && (action === "delete" || action === "replace")) {
      queueLosses.push(resource.address);
    }
  }

  const order = (change: PlannedChange) => PLAN_ACTIONS.indexOf(change.action);
  changes.sort((a, b) => order(a) - order(b) || a.address.localeCompare(b.address));
  queueLosses.sort();
  return { counts, changes, queueLosses, allowReplace, blocked: queueLosses.length > 0 && !allowReplace };
}

/** Top-level attributes that differ between before and after, or that only apply will know. */
export function changedAttributes(change: ResourceChangeJson["change"]): string[] {
  const before = asRecord(change.before);
  const after = asRecord(change.after);
  const unknown = asRecord(change.after_unknown);
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names]
    .filter((name) => containsTrue(unknown[name]) || JSON.stringify(before[name]) !== JSON.stringify(after[name]))
    .sort();
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** after_unknown mirrors the value's shape with `true` where a value is unknown. */
function containsTrue(value: unknown): boolean {
  if (value === true) return true;
  if (Array.isArray(value)) return value.some(containsTrue);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsTrue);
  return false;
}

const SYMBOLS: Record<PlannedChange["action"], string> = { create: "+", update: "~", replace: "-/+", delete: "-", forget: "." };

/** The summary `npm run plan` prints. */
export function formatReview(review: PlanReview, title = "Plan review"): string {
  const lines = [title, `  ${PLAN_ACTIONS.filter((a) => a !== "forget" || review.counts.forget > 0).map((a) => `${a}: ${review.counts[a]}`).join("  ")}`];
  if (review.changes.length === 0) {
    lines.push("", "No changes: the infrastructure matches the configuration.");
  } else {
    const width = Math.max(...review.changes.map((c) => c.address.length));
    lines.push("");
    for (const change of review.changes) {
      const details = change.action === "replace" && change.forcedBy.length > 0 ? `forced by ${change.forcedBy.join(", ")}; changes ${change.attributes.join(", ")}` : change.attributes.join(", ");
      lines.push(`${SYMBOLS[change.action].padStart(3)} ${change.action.padEnd(7)} ${change.address.padEnd(width)}  ${details}`.trimEnd());
    }
  }
  if (review.queueLosses.length > 0) {
    const queues = review.queueLosses.map((address) => `    ${address}`).join("\n");
    lines.push(
      "",
      review.blocked
        ? `BLOCKED: this plan destroys or replaces ${review.queueLosses.length} queue(s); the messages in them would be lost:\n${queues}\n` +
            "  Drain the queue (or redrive its DLQ) first, then re-run with --allow-replace if losing it is intended."
        : `ALLOWED by --allow-replace: this plan destroys or replaces ${review.queueLosses.length} queue(s) and the messages in them:\n${queues}`,
    );
  }
  return lines.join("\n");
}
