/**
 * The plan review on plans terraform really produced: a small configuration of built-in
 * `terraform_data` resources (no provider needed) is applied, changed, and planned, so
 * every action appears once. Queues proper (aws_sqs_queue) are reviewed on the deployed
 * emulator stack in __tests__/operations/emulator/deploy.e2e.test.ts, and the other
 * messages-at-risk rules in ./risks.e2e.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraform } from "../../../src/operations/terraform/terraform";
import { classifyActions, formatReview, reviewPlan, TerraformPlanJson } from "../../../src/operations/plan/review";
import { describeWithTerraform } from "../../support/describe-with-terraform";

const BEFORE = `
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "changed" { input = "before" }
resource "terraform_data" "replaced" { triggers_replace = "1" }
resource "terraform_data" "removed" { input = "gone after the change" }
`;
const AFTER = `
resource "terraform_data" "renamed" { input = "same" }
moved {
  from = terraform_data.kept
  to   = terraform_data.renamed
}
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
        {
          address: "terraform_data.replaced",
          type: "terraform_data",
          action: "replace",
          attributes: ["id", "triggers_replace"],
          forcedBy: ["triggers_replace"],
        },
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
      expect(lines[1]).toBe("  create: 1  update: 1  replace: 1  delete: 1  read: 0  no-op: 1  moved: 1");
      expect(lines.slice(3)).toEqual([
        "  + create  terraform_data.added",
        "  ~ update  terraform_data.changed   input, output",
        "-/+ replace terraform_data.replaced  forced by triggers_replace; changes id, triggers_replace",
        "  - delete  terraform_data.removed",
        "",
        "Moved to a new address (state only; the object in AWS is not touched by the move):",
        "  terraform_data.kept -> terraform_data.renamed",
      ]);
    });

    test("a moved resource is listed as a move, not as a create and a delete", () => {
      expect(reviewPlan(plan).moves).toEqual([{ from: "terraform_data.kept", to: "terraform_data.renamed" }]);
    });

    test("a replacement of a type that holds no data says so; a move shows on the changed resource too", () => {
      const replaced = (plan.resource_changes ?? []).map((change) =>
        change.address === "terraform_data.replaced"
          ? { ...change, type: "aws_lambda_permission", previous_address: "module.m.aws_lambda_permission.p" }
          : change,
      );
      const text = formatReview(reviewPlan({ ...plan, resource_changes: replaced }));
      expect(text).toContain(
        "-/+ replace terraform_data.replaced  forced by triggers_replace; changes id, triggers_replace (no data lost: aws_lambda_permission holds none) (moved from module.m.aws_lambda_permission.p)",
      );
    });
  },
  ["terraform", "providers"],
);
