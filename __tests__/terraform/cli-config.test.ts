/**
 * The project's Terraform CLI configuration: providers from a filesystem mirror, never a
 * download. The last tests run `terraform init` for real with it.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AWS_PROVIDER,
  MIRROR_ENV,
  cliConfigText,
  findProviderMirror,
  holdsAwsProvider,
  terraformEnv,
  terraformPlatform,
  writeCliConfig,
} from "../../src/terraform/cli-config";
import { runCommand } from "../../src/terraform/commands";
import { describeWithTerraform } from "../e2e/prerequisites";

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "cli-config-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function mirrorWith(name: string, layout: "unpacked" | "packed" | "empty", platform = terraformPlatform()): string {
  const dir = join(scratch, name);
  const providerDir = join(dir, AWS_PROVIDER.source);
  if (layout === "unpacked") mkdirSync(join(providerDir, AWS_PROVIDER.version, platform), { recursive: true });
  if (layout === "packed") {
    mkdirSync(providerDir, { recursive: true });
    writeFileSync(join(providerDir, `terraform-provider-aws_${AWS_PROVIDER.version}_${platform}.zip`), "");
  }
  if (layout === "empty") mkdirSync(dir, { recursive: true });
  return dir;
}

test("terraform's platform names", () => {
  expect(terraformPlatform("linux", "x64")).toBe("linux_amd64");
  expect(terraformPlatform("darwin", "arm64")).toBe("darwin_arm64");
  expect(terraformPlatform("win32", "ia32")).toBe("windows_386");
});

test("a mirror holds the provider in the unpacked or the packed layout, for this platform only", () => {
  expect(holdsAwsProvider(mirrorWith("unpacked", "unpacked"))).toBe(true);
  expect(holdsAwsProvider(mirrorWith("packed", "packed"))).toBe(true);
  expect(holdsAwsProvider(mirrorWith("other-platform", "unpacked", "plan9_mips"))).toBe(false);
  expect(holdsAwsProvider(mirrorWith("empty", "empty"))).toBe(false);
});

test(`${MIRROR_ENV} chooses the mirror, and one without the provider is refused with the expected layout`, () => {
  const own = mirrorWith("own", "packed");
  expect(findProviderMirror({ [MIRROR_ENV]: own }, [])).toBe(own);
  const empty = mirrorWith("own-empty", "empty");
  expect(() => findProviderMirror({ [MIRROR_ENV]: empty }, [])).toThrow(
    new RegExp(`${MIRROR_ENV}=.*own-empty does not hold registry.terraform.io/hashicorp/aws 5.100.0 for ${terraformPlatform()}`),
  );
});

test("without the variable the first candidate folder that holds the provider is used; none is an error that says what to do", () => {
  const found = mirrorWith("second", "unpacked");
  expect(findProviderMirror({}, [mirrorWith("first", "empty"), found])).toBe(found);
  expect(() => findProviderMirror({}, [join(scratch, "nowhere")])).toThrow(/Set WEBHOOK_QUEUE_PROVIDER_MIRROR to a folder made by `terraform providers mirror -platform=/);
});

test("the configuration installs from the mirror only: no direct {} block, so nothing is downloaded", () => {
  const text = cliConfigText("/mirror");
  expect(text).toContain('filesystem_mirror {\n    path    = "/mirror"\n    include = ["registry.terraform.io/*/*"]\n  }');
  expect(text).not.toMatch(/direct|network_mirror/);
  expect(text).toContain("disable_checkpoint = true");
});

test("writeCliConfig writes .build/terraform.tfrc once and leaves an identical file alone", () => {
  const project = join(scratch, "project");
  const env = { [MIRROR_ENV]: mirrorWith("for-project", "unpacked") };
  const file = writeCliConfig(project, env);
  expect(file).toBe(join(project, ".build", "terraform.tfrc"));
  expect(readFileSync(file, "utf8")).toBe(cliConfigText(env[MIRROR_ENV]));
  const written = statSync(file).mtimeMs;
  expect(writeCliConfig(project, env)).toBe(file);
  expect(statSync(file).mtimeMs).toBe(written);
});

test("terraformEnv points terraform and cdktf at the project's configuration", () => {
  const env = terraformEnv({ PATH: process.env.PATH, TF_CLI_CONFIG_FILE: "/root/.terraformrc" });
  expect(env.TF_CLI_CONFIG_FILE).toMatch(/\.build\/terraform\.tfrc$/);
  expect(env.CHECKPOINT_DISABLE).toBe("1");
  expect(env.TF_IN_AUTOMATION).toBe("1");
  expect(env.CDKTF_DISABLE_PLUGIN_CACHE_ENV).toBe("true");
});

describeWithTerraform(
  "terraform init with the project's CLI configuration",
  () => {
    test(
      "installs hashicorp/aws 5.100.0 by linking the mirror's build",
      async () => {
        const dir = join(scratch, "init-aws");
        mkdirSync(dir);
        writeFileSync(join(dir, "main.tf"), `terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "${AWS_PROVIDER.version}" }\n  }\n}\n`);
        const result = await runCommand("terraform", ["init", "-input=false", "-no-color"], { cwd: dir });
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`Installing hashicorp/aws v${AWS_PROVIDER.version}...`);
        const installed = join(dir, ".terraform", "providers", AWS_PROVIDER.source, AWS_PROVIDER.version, terraformPlatform());
        expect(lstatSync(installed).isSymbolicLink()).toBe(true);
        expect(readlinkSync(installed)).toBe(join(findProviderMirror(), AWS_PROVIDER.source, AWS_PROVIDER.version, terraformPlatform()));
      },
      60_000,
    );

    test(
      "fails, without trying a registry, for a provider the mirror does not hold",
      async () => {
        const dir = join(scratch, "init-archive");
        mkdirSync(dir);
        writeFileSync(join(dir, "main.tf"), 'terraform {\n  required_providers {\n    archive = { source = "hashicorp/archive" }\n  }\n}\n');
        const result = await runCommand("terraform", ["init", "-input=false", "-no-color"], { cwd: dir });
        expect(result.code).not.toBe(0);
        expect(result.stderr.replace(/\s+/g, " ")).toContain("provider registry.terraform.io/hashicorp/archive was not found in any of the search locations");
        expect(result.stderr).toContain(`- ${findProviderMirror()}`);
        expect(existsSync(join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "archive"))).toBe(false);
      },
      60_000,
    );
  },
  ["terraform", "provider mirror"],
);
