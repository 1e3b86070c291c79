/** `terraform init` for real with the project's provider installation, on this machine's mirror. */
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AWS_PROVIDER_SOURCE,
  CANDIDATE_MIRRORS,
  holdsAwsProvider,
  MIRROR_ENV,
  terraformPlatform,
} from "../../../src/operations/terraform/provider-installation";
import { terraform } from "../../../src/operations/terraform/terraform";
import { AWS_PROVIDER_LINES } from "../../../src/infrastructure/provider-lines";
import { describeWithTerraform } from "../../support/describe-with-terraform";

const mirror = CANDIDATE_MIRRORS.find((dir) => holdsAwsProvider(dir));
/** What the mirror serves here: the emulator's line. */
const AWS_PROVIDER = { source: AWS_PROVIDER_SOURCE, version: AWS_PROVIDER_LINES["5.100"].constraint } as const;

function configWith(name: string, providers: string): string {
  const dir = mkdtempSync(join(tmpdir(), `init-${name}-`));
  writeFileSync(join(dir, "main.tf"), `terraform {\n  required_providers {\n${providers}\n  }\n}\n`);
  return dir;
}
const AWS = `    aws = { source = "hashicorp/aws", version = "${AWS_PROVIDER.version}" }`;

describeWithTerraform(
  "terraform init with the project's provider installation",
  () => {
    test.each([
      ["found", {}],
      ["asked", () => ({ [MIRROR_ENV]: mirror! })],
    ])(
      "a mirror %s: hashicorp/aws 5.100.0 is linked from the mirror, nothing downloaded",
      async (name, envOf) => {
        const dir = configWith(name, AWS);
        const env = typeof envOf === "function" ? envOf() : envOf;
        const result = await terraform(["init", "-input=false", "-no-color"], { cwd: dir, env });
        expect(result.stderr).toBe("");
        expect(result.stdout).toContain(`Installing hashicorp/aws v${AWS_PROVIDER.version}...`);
        const installed = join(dir, ".terraform", "providers", AWS_PROVIDER.source, AWS_PROVIDER.version, terraformPlatform());
        expect(lstatSync(installed).isSymbolicLink()).toBe(true);
        expect(readlinkSync(installed)).toBe(join(mirror!, AWS_PROVIDER.source, AWS_PROVIDER.version, terraformPlatform()));
        rmSync(dir, { recursive: true, force: true });
      },
      60_000,
    );

    test("a mirror asked for: a provider it does not hold fails, without trying the registry", async () => {
      const dir = configWith("missing", '    archive = { source = "hashicorp/archive" }');
      const failure = await terraform(["init", "-input=false", "-no-color"], { cwd: dir, env: { [MIRROR_ENV]: mirror! } }).catch((error) => error);
      expect(failure.result.code).not.toBe(0);
      expect(failure.result.stderr.replace(/\s+/g, " ")).toContain(
        "provider registry.terraform.io/hashicorp/archive was not found in any of the search locations",
      );
      expect(failure.result.stderr).toContain(`- ${mirror}`);
      expect(existsSync(join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "archive"))).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);
  },
  ["terraform", "providers"],
);
