/**
 * What a reviewer needs from a plan, read from `terraform show -json <planfile>`: how many
 * resources each action touches, every create / update / replace / delete by address,
 * the changes that put queued messages at risk (./risks.ts), what applying does that a
 * reviewer must know (./notes.ts: a paused mapping resumed), and a verdict: a plan that
 * destroys or replaces a queue is blocked unless --allow-replace, one with any other
 * message risk unless --allow-risk; notes block nothing. The plan format itself is
 * ./plan-json.ts. Pure: no I/O, so the tests feed it plans terraform really produced.
 */
import { findPlanNotes, PlanNote } from "./notes";
import { classifyActions, containsTrue, PLAN_ACTIONS, PlanAction, record, ResourceChangeJson, TerraformPlanJson } from "./plan-json";
import { findMessageRisks, MessageRisk, RiskFlag } from "./risks";

export { classifyActions, PLAN_ACTIONS } from "./plan-json";
export type { PlanAction, ResourceChangeJson, TerraformPlanJson } from "./plan-json";
export type { PlanNote, PlanNoteRule } from "./notes";
export type { MessageRisk, RiskFlag, RiskRule } from "./risks";

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
  /** What applying the plan does that a reviewer must know, though it blocks nothing (a paused mapping resumed), by address. */
  readonly notes: readonly PlanNote[];
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
  /**
   * Accept the other message risks: lowered retention or maxReceiveCount, redrive policy gone, queue key changed, mapping off, filtered,
   * without partial batch responses or gone, forwarder throttled, retry budget lowered, ingress gone, log group gone, queue forgotten
   * (`--allow-risk`). @default false
   */
  readonly allowRisk?: boolean;
  /** @default PROTECTED_TYPES */
  readonly protectedTypes?: readonly string[];
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
  const risks = findMessageRisks(resources, { allowReplace, allowRisk, protectedTypes });
  const notes = findPlanNotes(resources);

  const order = (change: PlannedChange) => PLAN_ACTIONS.indexOf(change.action);
  changes.sort((a, b) => order(a) - order(b) || a.address.localeCompare(b.address));
  moves.sort((a, b) => a.to.localeCompare(b.to));
  queueLosses.sort();
  const hasChanges = plan.applyable ?? (changes.length > 0 || moves.length > 0);
  return { counts, changes, moves, queueLosses, risks, notes, allowReplace, allowRisk, blocked: risks.some((risk) => !risk.allowed), hasChanges };
}

/** Top-level attributes that differ between before and after, or that only apply will know. */
export function changedAttributes(change: ResourceChangeJson["change"]): string[] {
  const before = record(change.before);
  const after = record(change.after);
  const unknown = record(change.after_unknown);
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names].filter((name) => containsTrue(unknown[name]) || JSON.stringify(before[name]) !== JSON.stringify(after[name])).sort();
}

/** `atRisk`: the change is a message risk (a source's ingress route, say), so no "no data lost" however data-free its type. */
function changeDetails(change: PlannedChange, atRisk: boolean): string {
  const parts: string[] = [];
  if (change.action === "replace" && change.forcedBy.length > 0)
    parts.push(`forced by ${change.forcedBy.join(", ")}; changes ${change.attributes.join(", ")}`);
  else parts.push(change.attributes.join(", "));
  if (change.action === "replace" && DATA_FREE_TYPES.includes(change.type)) {
    parts.push(atRisk ? "(see MESSAGES AT RISK)" : `(no data lost: ${change.type} holds none)`);
  }
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
    const atRisk = new Set(review.risks.map((risk) => risk.address));
    lines.push("");
    for (const change of review.changes) {
      lines.push(
        `${SYMBOLS[change.action].padStart(3)} ${change.action.padEnd(7)} ${change.address.padEnd(width)}  ${changeDetails(change, atRisk.has(change.address))}`.trimEnd(),
      );
    }
  }
  if (review.moves.length > 0) {
    const width = Math.max(...review.moves.map((move) => move.from.length));
    lines.push("", `Moved to a new address (state only; the object in AWS is not touched by the move):`);
    for (const move of review.moves) lines.push(`  ${move.from.padEnd(width)} -> ${move.to}`);
  }
  if (review.notes.length > 0) {
    lines.push("", `NOTES (${review.notes.length}), not blocking:`);
    for (const note of review.notes) lines.push(`  ${note.address}: ${note.attribute} ${note.before} -> ${note.after}: ${note.note}`);
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
