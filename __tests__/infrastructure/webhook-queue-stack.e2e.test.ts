/** The article's Terraform variables and their validations, checked by terraform itself on the synthesized blocks. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraformEnv } from "../../src/operations/terraform/provider-installation";
import { synth } from "../support/synth";

describe("Terraform variables, checked by terraform itself", () => {
  const work = mkdtempSync(join(tmpdir(), "variables-"));
  // Only the variable blocks (no provider, no backend): `terraform plan` evaluates them offline.
  writeFileSync(
    join(work, "variables.tf.json"),
    JSON.stringify({ variable: synth().json.variable, output: { webhook: { value: "${var.webhook}" } } }),
  );
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function plan(tfvars: string): { status: number | null; output: string } {
    writeFileSync(join(work, "terraform.tfvars"), tfvars);
    const result = spawnSync("terraform", ["plan", "-input=false", "-no-color", "-var-file=terraform.tfvars"], {
      cwd: work,
      env: terraformEnv(),
      encoding: "utf8",
    });
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\s+/g, " ") };
  }

  test("the article's tfvars (all webhook fields optional) keep working, with a Node.js runtime default", () => {
    const result = plan('apigw_name = "mz-dev-api"\nlog_retention_in_days = 14\nwebhook = { max_receive_count = 3 }\n');
    expect(result.output).toContain('runtime = "nodejs22.x"');
    expect(result.output).toContain("max_receive_count = 3");
    expect(result.output).toContain("dlq_retention_second = 345600");
    expect(result.status).toBe(0);
  });

  test.each([
    ['webhook = { runtime = "python3.13" }', "webhook.runtime must be a Node.js Lambda runtime, nodejs22.x or newer"],
    ["webhook = { max_receive_count = 0 }", "webhook.max_receive_count must be a whole number from 1 to 1000"],
    ['webhook = { log_level = "VERBOSE" }', "webhook.log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT"],
    ["webhook = { max_concurrency = 1 }", "webhook.max_concurrency must be a whole number from 2 to 1000"],
    ["webhook = { max_concurrency = 1001 }", "webhook.max_concurrency must be a whole number from 2 to 1000"],
    [
      "webhook = { dlq_retention_second = 59 }",
      "webhook.dlq_retention_second must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days)",
    ],
    ["webhook = { dlq_retention_second = 1209601 }", "from 60 (1 minute) to 1209600 (14 days)"],
    ["log_retention_in_days = 8", "log_retention_in_days must be one of CloudWatch Logs' values"],
  ])("%s is rejected", (tfvars, message) => {
    const result = plan(`apigw_name = "mz-dev-api"\n${tfvars}\n`);
    expect(result.status).toBe(1);
    expect(result.output).toContain("Invalid value for variable");
    expect(result.output).toContain(message);
  });
});
