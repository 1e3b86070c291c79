/** What synth writes for a stack: one format per folder, and HCL Terraform reads without complaint. */
import { App } from "cdktf";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emulator } from "../../src/infrastructure/environments";
import { renderTerraformAttributes, unquoteDependsOn } from "../../src/infrastructure/synthesis";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "synthesis-"))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Synthesizes the emulator stack into `outdir` as `cdktf synth` (with or without --hcl) does. */
function synthInto(outdir: string, hclOutput: boolean): string {
  const previous = process.env.SYNTH_HCL_OUTPUT;
  process.env.SYNTH_HCL_OUTPUT = String(hclOutput);
  try {
    const app = new App({ outdir, skipValidation: true });
    new WebhookQueueStack(app, emulator({}));
    app.synth();
  } finally {
    if (previous === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = previous;
  }
  return join(outdir, "stacks", "emulator");
}

describe("one format per stack folder", () => {
  test("a JSON synth removes the cdk.tf an earlier --hcl synth left, and the reverse", () => {
    const outdir = join(scratch, "both-ways");
    const hcl = synthInto(outdir, true);
    expect([existsSync(join(hcl, "cdk.tf")), existsSync(join(hcl, "cdk.tf.json"))]).toEqual([true, false]);
    synthInto(outdir, false);
    expect([existsSync(join(hcl, "cdk.tf")), existsSync(join(hcl, "cdk.tf.json"))]).toEqual([false, true]);
    synthInto(outdir, true);
    expect([existsSync(join(hcl, "cdk.tf")), existsSync(join(hcl, "cdk.tf.json"))]).toEqual([true, false]);
  });

  test("other files of the folder stay (a plan file, the lock file)", () => {
    const outdir = join(scratch, "others");
    mkdirSync(join(outdir, "stacks", "emulator"), { recursive: true });
    writeFileSync(join(outdir, "stacks", "emulator", "plan.tfplan"), "plan");
    writeFileSync(join(outdir, "stacks", "emulator", "cdk.tf"), "stale");
    const stackDir = synthInto(outdir, false);
    expect(readFileSync(join(stackDir, "plan.tfplan"), "utf8")).toBe("plan");
    expect(existsSync(join(stackDir, "cdk.tf"))).toBe(false);
  });
});

describe("the HCL", () => {
  let hcl: string;
  // As the app writes it, before the cdktf CLI formats it: whitespace aside, what Terraform reads.
  beforeAll(() => (hcl = readFileSync(join(synthInto(join(scratch, "hcl"), true), "cdk.tf"), "utf8").replace(/[ \t]+/g, " ")));

  test("depends_on lists bare references, not quoted strings", () => {
    expect(hcl).toMatch(
      /depends_on = \[\n\s*aws_iam_role_policy_attachment\.webhook_event_producer_basic_execution_role_attach,\n\s*aws_cloudwatch_log_group\.webhook_event_producer,\n\s*\]/,
    );
    expect(hcl).not.toMatch(/depends_on = \[[^\]]*"/);
  });

  test("the terraform block carries required_version as an attribute", () => {
    expect(hcl).toMatch(/\n\s*required_version = ">= 1\.10\.0, < 2\.0\.0"\n\}/);
    expect(hcl).not.toMatch(/^\s*\d+ = "/m);
  });

  test("the message attributes are a jsonencode() call, their quotes those of HCL, API Gateway's templates escaped", () => {
    expect(hcl).toContain(
      'MessageAttributes = "${jsonencode({"webhook-source" = {"DataType" = "String", "StringValue" = "default"}, "webhook-id" = {"DataType" = "String", "StringValue" = "v=$${context.requestId}"}',
    );
  });
});

describe("unquoteDependsOn", () => {
  test("unquotes resource and data source addresses inside depends_on only", () => {
    const before = 'a = "aws_x.y"\n  depends_on = [\n    "aws_x.y",\n    "data.aws_z.w",\n  ]\nb = ["aws_x.y"]';
    expect(unquoteDependsOn(before)).toBe('a = "aws_x.y"\n  depends_on = [\n    aws_x.y,\n    data.aws_z.w,\n  ]\nb = ["aws_x.y"]');
  });
});

describe("renderTerraformAttributes", () => {
  test("puts back the attributes cdktf renders by index; leaves other numbered lines alone", () => {
    const before = 'terraform {\n  0 = "required_version"\n  1 = "experiments"\n}';
    expect(renderTerraformAttributes(before, { required_version: ">= 1.10.0" })).toBe(
      'terraform {\n  required_version = ">= 1.10.0"\n  1 = "experiments"\n}',
    );
  });
});
