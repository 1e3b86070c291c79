/**
 * What a reviewer needs from a plan, read from `terraform show -json <planfile>`: how many
 * resources each action touches, every create / update / replace / delete by address,
 * the changes that put queued messages at risk (./risks.ts), and a verdict: a plan that
 * destroys or replaces a queue is blocked unless --allow-replace, one with any other
 * message risk unless --allow-risk. Pure: no I/O, so the tests feed it plans terraform
 * really produced.
 */
import { findMessageRisks, MessageRisk, RiskFlag } from "./risks";

export type { MessageRisk, RiskFlag, RiskRule } from "./risks";

/** The parts of Terraform's JSON plan format (format_version 1.x) this review reads. */
export interface TerraformPlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  /** False when applying the plan would change nothing (Terraform >= 1.8 writes it). */
  readonly applyable?: boolean;
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
  /** Set when a `moved` block brings the resource here from that address. */
  readonly previous_address?: string;
}

export type PlanAction = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

/** Order of the counts line and of the change list. */
export const PLAN_ACTIONS: readonly PlanAction[] = ["create", "update", "replace", "delete", "forget", "read", "no-op"];

/** Resource types whose destruction loses data: a queue's messages go with it. */
export const PROTECTED_TYPES: readonly string[] = ["aws_sqs_queue"];

/**
 * Resource types that hold no data: replacing one loses nothing (a Lambda permission, for
 * one, cannot be updated in place at all). The review says so next to such a replacement.
 */
export const DATA_FREE_TYPES: readonly string[] = [
  "aws_lambda_permission",
  "aws_iam_role_policy",
  "aws_iam_role_policies_exclusive",
  "aws_iam_role_policy_attachment",
  "aws_apigatewayv2_integration",
  "aws_apigatewayv2_route",
];

/** A resource a `moved` block gives a new address; the object in AWS stays as it is. */
export interface PlannedMove {
  readonly from: string;
  readonly to: string;
}

export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly action: Exclude<PlanAction, "read" | "no-op">;
  /** Top-level attributes whose value changes (or becomes known only after apply); updates and replacements. */
  readonly attributes: readonly string[];
  /** Attributes that force the replacement; replacements only. */
  readonly forcedBy: readonly string[];
  /** The address a `moved` block brings it from. */
  readonly movedFrom?: string;
}

export interface PlanReview {
  readonly counts: Readonly<Record<PlanAction, number>>;
  /** Every managed resource the plan creates, updates, replaces, deletes or forgets, in PLAN_ACTIONS order. */
  readonly changes: readonly PlannedChange[];
  /** Every resource the plan moves to a new address (with or without a change), by new address. */
  readonly moves: readonly PlannedMove[];
  /** Protected resources (queues) the plan deletes or replaces. */
  readonly queueLosses: readonly string[];
  /** Every change that puts queued messages at risk (queue losses included), by address; each names the flag that accepts it. */
  readonly risks: readonly MessageRisk[];
  readonly allowReplace: boolean;
  readonly allowRisk: boolean;
  /** True when a risk is not accepted: a queue loss without `--allow-replace`, another risk without `--allow-risk`. */
  readonly blocked: boolean;
  /** False when applying the plan would change nothing (no resource, output or move). */
  readonly hasChanges: boolean;
}

export interface ReviewOptions {
  /** Accept queue deletions and replacements (`--allow-replace`). @default false */
  readonly allowReplace?: boolean;
  /** Accept the other message risks: lowered retention, redrive policy gone, mapping off or gone, log group gone, queue forgotten (`--allow-risk`). @default false */
  readonly allowRisk?: boolean;
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
      throw new Error(`Unknown terraform plan actions [${actions.join(", ")}]: update src/operations/plan/review.ts`);
  }
}

export function reviewPlan(plan: TerraformPlanJson, options: ReviewOptions = {}): PlanReview {
  const protectedTypes = new Set(options.protectedTypes ?? PROTECTED_TYPES);
  const allowReplace = options.allowReplace ?? false;
  const allowRisk = options.allowRisk ?? false;
  const counts = Object.fromEntries(PLAN_ACTIONS.map((action) => [action, 0])) as Record<PlanAction, number>;
  const changes: PlannedChange[] = [];
  const moves: PlannedMove[] = [];
  const queueLosses: string[] = [];
  const resources = plan.resource_changes ?? [];

  for (const resource of resources) {
    const action = classifyActions(resource.change.actions);
    counts[action] += 1;
    if (resource.previous_address) moves.push({ from: resource.previous_address, to: resource.address });
    if (action === "no-op" || action === "read") continue;
    changes.push({
      address: resource.address,
      type: resource.type,
      action,
      attributes: action === "update" || action === "replace" ? changedAttributes(resource.change) : [],
      forcedBy: action === "replace" ? (resource.change.replace_paths ?? []).map((path) => path.join(".")).sort() : [],
      ...(resource.previous_address && { movedFrom: resource.previous_address }),
    });
    if (resource.mode === "managed" && protectedTypes.has(resource.type) && (action === "delete" || action === "replace")) {
      queueLosses.push(resource.address);
    }
  }
  const risks = findMessageRisks(resources, (resource) => classifyActions(resource.change.actions), { allowReplace, allowRisk, protectedTypes });

  const order = (change: PlannedChange) => PLAN_ACTIONS.indexOf(change.action);
  changes.sort((a, b) => order(a) - order(b) || a.address.localeCompare(b.address));
  moves.sort((a, b) => a.to.localeCompare(b.to));
  queueLosses.sort();
  const hasChanges = plan.applyable ?? (changes.length > 0 || moves.length > 0);
  return { counts, changes, moves, queueLosses, risks, allowReplace, allowRisk, blocked: risks.some((risk) => !risk.allowed), hasChanges };
}

/** Top-level attributes that differ between before and after, or that only apply will know. */
export function changedAttributes(change: ResourceChangeJson["change"]): string[] {
  const before = asRecord(change.before);
  const after = asRecord(change.after);
  const unknown = asRecord(change.after_unknown);
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names].filter((name) => containsTrue(unknown[name]) || JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort();
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

function changeDetails(change: PlannedChange): string {
  const parts: string[] = [];
  if (change.action === "replace" && change.forcedBy.length > 0)
    parts.push(`forced by ${change.forcedBy.join(", ")}; changes ${change.attributes.join(", ")}`);
  else parts.push(change.attributes.join(", "));
  if (change.action === "replace" && DATA_FREE_TYPES.includes(change.type)) parts.push(`(no data lost: ${change.type} holds none)`);
  if (change.movedFrom) parts.push(`(moved from ${change.movedFrom})`);
  return parts.filter((part) => part !== "").join(" ");
}

const SYMBOLS: Record<PlannedChange["action"], string> = { create: "+", update: "~", replace: "-/+", delete: "-", forget: "." };

/** The summary `npm run plan` prints. */
export function formatReview(review: PlanReview, title = "Plan review"): string {
  const counts = PLAN_ACTIONS.filter((a) => a !== "forget" || review.counts.forget > 0).map((a) => `${a}: ${review.counts[a]}`);
  const lines = [title, `  ${[...counts, `moved: ${review.moves.length}`].join("  ")}`];
  if (review.changes.length === 0 && review.moves.length === 0) {
    lines.push("", "No changes: the infrastructure matches the configuration.");
  }
  if (review.changes.length > 0) {
    const width = Math.max(...review.changes.map((c) => c.address.length));
    lines.push("");
    for (const change of review.changes) {
      lines.push(
        `${SYMBOLS[change.action].padStart(3)} ${change.action.padEnd(7)} ${change.address.padEnd(width)}  ${changeDetails(change)}`.trimEnd(),
      );
    }
  }
  if (review.moves.length > 0) {
    const width = Math.max(...review.moves.map((move) => move.from.length));
    lines.push("", `Moved to a new address (state only; the object in AWS is not touched by the move):`);
    for (const move of review.moves) lines.push(`  ${move.from.padEnd(width)} -> ${move.to}`);
  }
  if (review.risks.length > 0) {
    lines.push("", `MESSAGES AT RISK (${review.risks.length}):`);
    for (const risk of review.risks) {
      const verdict = risk.allowed ? `allowed by ${risk.flag}` : `blocked: ${risk.flag} lets it through`;
      lines.push(`  ${risk.address}: ${risk.attribute} ${risk.before} -> ${risk.after}: ${risk.why} [${verdict}]`);
    }
  }
  if (review.queueLosses.length > 0) {
    const queues = review.queueLosses.map((address) => `    ${address}`).join("\n");
    lines.push(
      "",
      !review.allowReplace
        ? `BLOCKED: this plan destroys or replaces ${review.queueLosses.length} queue(s); the messages in them would be lost:\n${queues}\n` +
            "  Drain the queue (or redrive its DLQ) first, then re-run with --allow-replace if losing it is intended."
        : `ALLOWED by --allow-replace: this plan destroys or replaces ${review.queueLosses.length} queue(s) and the messages in them:\n${queues}`,
    );
  }
  // The risks --allow-risk accepts (those of --allow-replace are the queue losses above).
  const others = review.risks.filter((risk) => risk.flag === "--allow-risk");
  if (others.length > 0) {
    const blocked = others.filter((risk) => !risk.allowed);
    lines.push(
      "",
      blocked.length > 0
        ? `BLOCKED: ${blocked.length} ${review.queueLosses.length > 0 ? "other " : ""}change(s) put queued messages at risk (MESSAGES AT RISK above): ${addresses(blocked)}.\n` +
            "  Make the change safe (see each reason), or re-run with --allow-risk if it is intended."
        : `ALLOWED by --allow-risk: ${others.length} change(s) put queued messages at risk (MESSAGES AT RISK above): ${addresses(others)}.`,
    );
  }
  return lines.join("\n");
}

function addresses(risks: readonly MessageRisk[]): string {
  return [...new Set(risks.map((risk) => risk.address))].join(", ");
}

/** The flags that would let a blocked review through, e.g. `["--allow-risk"]`. */
export function flagsNeeded(review: PlanReview): RiskFlag[] {
  return [...new Set(review.risks.filter((risk) => !risk.allowed).map((risk) => risk.flag))].sort();
}
