/**
 * The plan review on plans terraform really produced: a small configuration of built-in
 * `terraform_data` resources (no provider needed) is applied, changed, and planned, so
 * every action appears once. Queues proper (aws_sqs_queue) are reviewed on the deployed
 * emulator stack in __tests__/e2e/deploy.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraform } from "../../src/terraform/commands";
import { classifyActions, formatReview, reviewPlan, TerraformPlanJson } from "../../src/terraform/plan-review";
import { describeWithTerraform } from "../e2e/prerequisites";

const BEFORE = `
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "changed" { input = "before" }
resource "terraform_data" "replaced" { triggers_replace = "1" }
resource "terraform_data" "removed" { input = "gone after the change" }
`;
const AFTER = `
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "changed" { input = "after" }
resource "terraform_data" "replaced" { triggers_replace = "2" }
resource "terraform_data" "added" { input = "new" }
`;

test("terraform's action lists map to one action each; an unknown list is an error", () => {
  expect(classifyActions(["create"])).toBe("create");
  expect(classifyActions(["update"])).toBe("update");
  expect(classifyActions(["delete"])).toBe("delete");
  expect(classifyActions(["delete", "create"])).toBe("replace");
  expect(classifyActions(["create", "delete"])).toBe("replace");
  expect(classifyActions(["no-op"])).toBe("no-op");
  expect(classifyActions(["read"])).toBe("read");
  expect(classifyActions(["forget"])).toBe("forget");
  expect(() => classifyActions(["create", "forget"])).toThrow(/Unknown terraform plan actions \[create, forget\]/);
});

describeWithTerraform(
  "plan review of a real terraform plan",
  () => {
    let dir: string;
    let plan: TerraformPlanJson;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "plan-review-"));
      writeFileSync(join(dir, "main.tf"), BEFORE);
      await terraform(["init", "-input=false", "-no-color"], { cwd: dir });
      await terraform(["apply", "-auto-approve", "-input=false", "-no-color"], { cwd: dir });
      writeFileSync(join(dir, "main.tf"), AFTER);
      await terraform(["plan", "-input=false", "-no-color", "-out=plan.tfplan"], { cwd: dir });
      plan = JSON.parse((await terraform(["show", "-json", "plan.tfplan"], { cwd: dir })).stdout) as TerraformPlanJson;
    }, 120_000);

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("counts every action and lists each change by address, with what changes", () => {
      const review = reviewPlan(plan);
      expect(review.counts).toEqual({ create: 1, update: 1, replace: 1, delete: 1, forget: 0, read: 0, "no-op": 1 });
      expect(review.changes).toEqual([
        { address: "terraform_data.added", type: "terraform_data", action: "create", attributes: [], forcedBy: [] },
        { address: "terraform_data.changed", type: "terraform_data", action: "update", attributes: ["input", "output"], forcedBy: [] },
        { address: "terraform_data.replaced", type: "terraform_data", action: "replace", attributes: ["id", "triggers_replace"], forcedBy: ["triggers_replace"] },
        { address: "terraform_data.removed", type: "terraform_data", action: "delete", attributes: [], forcedBy: [] },
      ]);
    });

    test("a plan that touches no queue passes", () => {
      const review = reviewPlan(plan);
      expect(review.queueLosses).toEqual([]);
      expect(review.blocked).toBe(false);
      expect(formatReview(review)).not.toMatch(/BLOCKED|ALLOWED/);
    });

    test("deleting or replacing a protected resource blocks the plan, naming it and --allow-replace", () => {
      const review = reviewPlan(plan, { protectedTypes: ["terraform_data"] });
      expect(review.queueLosses).toEqual(["terraform_data.removed", "terraform_data.replaced"]);
      expect(review.blocked).toBe(true);
      const text = formatReview(review);
      expect(text).toMatch(/BLOCKED: this plan destroys or replaces 2 queue\(s\)/);
      expect(text).toContain("    terraform_data.removed\n    terraform_data.replaced");
      expect(text).toContain("--allow-replace");
    });

    test("--allow-replace lets it through and still names what is lost", () => {
      const review = reviewPlan(plan, { protectedTypes: ["terraform_data"], allowReplace: true });
      expect(review.blocked).toBe(false);
      expect(formatReview(review)).toMatch(/ALLOWED by --allow-replace: .*2 queue\(s\)[\s\S]*terraform_data\.replaced/);
    });

    test("the text summary has the counts line and one line per change", () => {
      const lines = formatReview(reviewPlan(plan), "Plan review: test").split("\n");
      expect(lines[0]).toBe("Plan review: test");
      expect(lines[1]).toBe("  create: 1  update: 1  replace: 1  delete: 1  read: 0  no-op: 1");
      expect(lines.slice(3)).toEqual([
        "  + create  terraform_data.added",
        "  ~ update  terraform_data.changed   input, output",
        "-/+ replace terraform_data.replaced  forced by triggers_replace; changes id, triggers_replace",
        "  - delete  terraform_data.removed",
      ]);
    });
  },
  ["terraform", "provider mirror"],
);
