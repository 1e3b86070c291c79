/**
 * Terraform itself reads each stack's version constraints: `terraform init` against a mirror
 * holding one aws version at a time (stand-in builds, never run) installs it only when the
 * synthesized `required_providers` admits it. The same table goes through the test's own
 * constraint reader (support/terraform-constraints.ts), which the unit tests rely on.
 */
import { Testing } from "cdktf";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emulator, mzDev } from "../../src/infrastructure/environments";
import { WebhookQueueStack } from "../../src/infrastructure/webhook-queue-stack";
import { run } from "../../src/operations/shared/run";
import { cliConfigText, terraformPlatform } from "../../src/operations/terraform/provider-installation";
import { describeWithTerraform } from "../support/describe-with-terraform";
import { testApp } from "../support/synth";
import { admits } from "../support/terraform-constraints";

const VERSIONS = ["5.99.0", "5.100.0", "6.0.0", "6.11.0", "6.12.0", "6.25.0", "7.0.0"];

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "provider-lines-"))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A filesystem mirror (unpacked layout) holding a stand-in aws build of `version` only. */
function mirrorOf(version: string): string {
  const dir = join(scratch, `mirror-${version}`);
  const build = join(dir, "registry.terraform.io", "hashicorp", "aws", version, terraformPlatform());
  mkdirSync(build, { recursive: true });
  const binary = join(build, `terraform-provider-aws_v${version}`);
  writeFileSync(binary, "#!/bin/sh\nexit 1\n");
  chmodSync(binary, 0o755);
  return dir;
}

/** Whether `terraform init` installs aws `version` for the stack's terraform block. */
async function terraformAdmits(terraformBlock: unknown, version: string): Promise<boolean> {
  const mirror = mirrorOf(version);
  const dir = mkdtempSync(join(scratch, "config-"));
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ terraform: terraformBlock }));
  // The project's configuration for a mirror asked for: that mirror only, never the registry.
  const cliConfig = join(dir, "cli.tfrc");
  writeFileSync(cliConfig, cliConfigText({ kind: "mirror", path: mirror, asked: true, providers: ["registry.terraform.io/hashicorp/aws"] }));
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
  const result = await run("terraform", ["init", "-backend=false", "-input=false", "-no-color"], { cwd: dir, env }).catch(
    (error: { result: { code: number; stdout: string; stderr: string } }) => error.result,
  );
  if (result.code === 0) {
    expect(result.stdout).toContain(`Installing hashicorp/aws v${version}...`);
    return true;
  }
  expect(result.stderr.replace(/\s+/g, " ")).toContain("no available releases match the given constraints");
  return false;
}

describeWithTerraform(
  "the stacks' version constraints, read by terraform",
  () => {
    for (const [name, settings] of [
      ["mz-dev", mzDev],
      ["emulator", emulator({})],
    ] as const) {
      test(`${name}: terraform installs exactly the aws versions the constraint reader admits`, async () => {
        const block = JSON.parse(Testing.synth(new WebhookQueueStack(testApp(), settings))).terraform;
        // The aws constraint and the required Terraform version; the backend and archive are another matter.
        const terraformBlock = { required_version: block.required_version, required_providers: { aws: block.required_providers.aws } };
        const installed: string[] = [];
        for (const version of VERSIONS) if (await terraformAdmits(terraformBlock, version)) installed.push(version);
        expect(installed).toEqual(VERSIONS.filter((version) => admits(block.required_providers.aws.version, version)));
        expect(installed).toEqual(name === "mz-dev" ? ["6.12.0", "6.25.0"] : ["5.100.0"]);
      }, 60_000);
    }
  },
  ["terraform"],
);
