/**
 * The rehearsal's evaluator against Terraform itself: each expression cdktf writes is given to
 * `terraform console`, and its value must be the one evaluateTemplate computes, byte for byte.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { messageAttributes } from "../../../src/infrastructure/constructs/queue-ingress";
import { evaluateTemplate, terraformJsonencode } from "../../../src/operations/local/terraform-expressions";
import { terraformEnv } from "../../../src/operations/terraform/provider-installation";
import { describeWithTerraform } from "../../support/describe-with-terraform";

/** Expressions as they stand between `${` and `}` in the synthesized JSON, without references. */
const EXPRESSIONS = [
  'jsonencode({"webhook-source" = {"DataType" = "String", "StringValue" = "github"}, "webhook-id" = {"DataType" = "String", "StringValue" = "v=$${request.header.X-GitHub-Delivery}"}})',
  'jsonencode({"b" = "<x> & \\u2028", "a" = [1, 2.5, true, null], "c" = {"z" = "\\"q\\"", "y" = "back\\\\slash"}})',
  'jsonencode({"redrivePermission" = "byQueue", "sourceQueueArns" = ["arn:aws:sqs:ap-northeast-1:123456789012:q.fifo"]})',
];

describeWithTerraform(
  "evaluateTemplate and terraform console agree",
  () => {
    let scratch: string;
    beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "console-"))));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    test("every expression, and the message attributes of a signed source, evaluate to the same string", () => {
      const attributes = messageAttributes("svix", "$request.header.webhook-id", ["Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"]);
      const expressions = [
        ...EXPRESSIONS,
        `jsonencode(${JSON.stringify(attributes)
          .replace(/\$\{/g, () => "$${")
          .replace(/":/g, '" = ')})`,
      ];
      // One console per expression: given several lines on a pipe, it prints the last value only.
      const values = expressions.map((expression) => {
        const console = spawnSync("terraform", ["console", "-no-color"], {
          cwd: scratch,
          input: `${expression}\n`,
          encoding: "utf8",
          env: terraformEnv(),
        });
        expect(console.stderr).toBe("");
        return JSON.parse(console.stdout) as string;
      });
      expect(values).toEqual(expressions.map((expression) => evaluateTemplate(`\${${expression}}`, () => "unused")));
      expect(values.at(-1)).toBe(terraformJsonencode(attributes));
    }, 60_000);
  },
  ["terraform"],
);
