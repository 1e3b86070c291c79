/**
 * Terraform's JSON plan format (`terraform show -json <planfile>`, format_version 1.x): the
 * parts the review (./review.ts) and its rules (./risks.ts, ./notes.ts) read, how an action
 * list becomes one action, and how to read values out of a change. Pure: no I/O.
 */

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
      throw new Error(`Unknown terraform plan actions [${actions.join(", ")}]: update src/operations/plan/plan-json.ts`);
  }
}

/** A replacement that creates the new object before it deletes the old one (`create_before_destroy`): no gap in between. */
export function createsBeforeDestroying(resource: ResourceChangeJson): boolean {
  return resource.change.actions.join(",") === "create,delete";
}

/** An object value of a change (before, after, after_unknown); `{}` for anything else. */
export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** after_unknown mirrors the value's shape with `true` where a value is unknown. */
export function containsTrue(value: unknown): boolean {
  if (value === true) return true;
  if (Array.isArray(value)) return value.some(containsTrue);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsTrue);
  return false;
}

/**
 * The value at `path` in a change's before or after (`["environment", 0, "variables", "X"]`:
 * blocks are lists); undefined where the path stops.
 */
export function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** Whether the value at `path` is only known at apply: after_unknown has `true` there, or at a block or map above it. */
export function unknownAt(afterUnknown: unknown, path: readonly (string | number)[]): boolean {
  let current = afterUnknown;
  for (const step of path) {
    if (current === true) return true;
    if (current === null || typeof current !== "object") return false;
    current = (current as Record<string | number, unknown>)[step];
  }
  return containsTrue(current);
}
