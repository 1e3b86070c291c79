/**
 * Where terraform gets providers when the project runs it: the registry by default, a mirror
 * when one is asked for (only the mirror) or found (the mirror for what it holds). The
 * `terraform init` runs are in provider-installation.e2e.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AWS_PROVIDER_SOURCE,
  cdktfCommandLine,
  chooseProviderInstallation,
  cliConfigText,
  describeInstallation,
  holdsAwsProvider,
  mirroredAwsVersions,
  mirroredProviders,
  MIRROR_ENV,
  providerHint,
  terraformEnv,
  terraformPlatform,
  writeCliConfig,
} from "../../../src/operations/terraform/provider-installation";

/** The build this machine's mirror holds: the emulator's line. */
const AWS_PROVIDER = { source: AWS_PROVIDER_SOURCE, version: "5.100.0" } as const;

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "provider-installation-"));
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

test("the aws versions a mirror holds for this platform, oldest first, in either layout", () => {
  const dir = mirrorWith("versions", "packed");
  mkdirSync(join(dir, AWS_PROVIDER.source, "6.12.0", terraformPlatform()), { recursive: true });
  mkdirSync(join(dir, AWS_PROVIDER.source, "6.9.0", terraformPlatform()), { recursive: true });
  mkdirSync(join(dir, AWS_PROVIDER.source, "6.25.0", "plan9_mips"), { recursive: true });
  writeFileSync(join(dir, AWS_PROVIDER.source, `terraform-provider-aws_6.12.0_${terraformPlatform()}.zip`), "");
  expect(mirroredAwsVersions(dir)).toEqual(["5.100.0", "6.9.0", "6.12.0"]);
  expect(mirroredAwsVersions(join(scratch, "nowhere"))).toEqual([]);
});

test("a mirror's providers are listed as host/namespace/type, whatever they are", () => {
  const dir = mirrorWith("several", "unpacked");
  mkdirSync(join(dir, "registry.terraform.io", "hashicorp", "archive", "2.7.1", terraformPlatform()), { recursive: true });
  mkdirSync(join(dir, "registry.terraform.io", "hashicorp", "random", "3.6.0", "plan9_mips"), { recursive: true });
  expect(mirroredProviders(dir)).toEqual(["registry.terraform.io/hashicorp/archive", "registry.terraform.io/hashicorp/aws"]);
  expect(mirroredProviders(join(scratch, "nowhere"))).toEqual([]);
});

describe("choosing", () => {
  test(`${MIRROR_ENV} asks for a mirror: it alone serves`, () => {
    const own = mirrorWith("own", "packed");
    expect(chooseProviderInstallation({ [MIRROR_ENV]: own }, [])).toEqual({
      kind: "mirror",
      path: own,
      asked: true,
      providers: [AWS_PROVIDER.source],
    });
  });

  test("a mirror asked for without the AWS provider is refused, naming the layout and both ways out", () => {
    const empty = mirrorWith("own-empty", "empty");
    const attempt = () => chooseProviderInstallation({ [MIRROR_ENV]: empty }, []);
    expect(attempt).toThrow(new RegExp(`${MIRROR_ENV}=.*own-empty does not hold registry.terraform.io/hashicorp/aws for ${terraformPlatform()}`));
    expect(attempt).toThrow(/with the versions the stacks admit \(6\.x: >= 6\.12\.0, < 7\.0\.0; 5\.100: 5\.100\.0\)/);
    expect(attempt).toThrow(/terraform providers mirror -platform=/);
    expect(attempt).toThrow(new RegExp(`or unset ${MIRROR_ENV} to install providers from the Terraform Registry`));
  });

  test("otherwise the first usual folder holding the provider is found", () => {
    const found = mirrorWith("second", "unpacked");
    expect(chooseProviderInstallation({}, [mirrorWith("first", "empty"), found])).toEqual({
      kind: "mirror",
      path: found,
      asked: false,
      providers: [AWS_PROVIDER.source],
    });
  });

  test(`${MIRROR_ENV}=registry asks for the registry even where a mirror would be found`, () => {
    expect(chooseProviderInstallation({ [MIRROR_ENV]: "registry" }, [mirrorWith("ignored", "unpacked")])).toEqual({ kind: "registry" });
    expect(terraformEnv({ [MIRROR_ENV]: "registry", TF_CLI_CONFIG_FILE: "/home/ops/.terraformrc" }).TF_CLI_CONFIG_FILE).toBe(
      "/home/ops/.terraformrc",
    );
  });

  test("with no mirror anywhere, the registry: terraform's own configuration", () => {
    expect(chooseProviderInstallation({}, [join(scratch, "nowhere")])).toEqual({ kind: "registry" });
    expect(describeInstallation({ kind: "registry" })).toBe("the Terraform Registry (terraform's own CLI configuration)");
  });
});

describe("the CLI configuration", () => {
  test("a mirror asked for installs from the mirror only: no direct {} block, so nothing is downloaded", () => {
    const text = cliConfigText({ kind: "mirror", path: "/mirror", asked: true, providers: [AWS_PROVIDER.source] });
    expect(text).toContain('filesystem_mirror {\n    path    = "/mirror"\n    include = ["registry.terraform.io/*/*"]\n  }');
    expect(text).not.toMatch(/direct|network_mirror/);
    expect(text).toContain("disable_checkpoint = true");
  });

  test("a mirror found serves what it holds; the registry serves the rest", () => {
    const text = cliConfigText({ kind: "mirror", path: "/mirror", asked: false, providers: [AWS_PROVIDER.source] });
    expect(text).toContain('filesystem_mirror {\n    path    = "/mirror"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }');
    expect(text).toContain('direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }');
    expect(describeInstallation({ kind: "mirror", path: "/mirror", asked: false, providers: [AWS_PROVIDER.source] })).toBe(
      "filesystem mirror /mirror (found; registry.terraform.io/hashicorp/aws), the Terraform Registry for the rest",
    );
  });

  test("writeCliConfig writes .build/terraform.tfrc once and leaves an identical file alone", () => {
    const build = join(scratch, "project", ".build");
    const installation = { kind: "mirror", path: mirrorWith("for-project", "unpacked"), asked: true, providers: [] } as const;
    const file = writeCliConfig(installation, build);
    expect(file).toBe(join(build, "terraform.tfrc"));
    expect(readFileSync(file, "utf8")).toBe(cliConfigText(installation));
    const written = statSync(file).mtimeMs;
    expect(writeCliConfig(installation, build)).toBe(file);
    expect(statSync(file).mtimeMs).toBe(written);
  });
});

describe("terraformEnv", () => {
  test("with a mirror asked for: the project's configuration, no plugin cache copy", () => {
    const env = terraformEnv({ PATH: process.env.PATH, TF_CLI_CONFIG_FILE: "/root/.terraformrc", [MIRROR_ENV]: mirrorWith("env", "unpacked") });
    expect(env.TF_CLI_CONFIG_FILE).toMatch(/\.build\/terraform\.tfrc$/);
    expect(env.CDKTF_DISABLE_PLUGIN_CACHE_ENV).toBe("true");
    expect(env.CHECKPOINT_DISABLE).toBe("1");
    expect(env.TF_IN_AUTOMATION).toBe("1");
  });

  test("a mirror asked for that does not serve is an error, not a silent download", () => {
    expect(() => terraformEnv({ [MIRROR_ENV]: mirrorWith("env-empty", "empty") })).toThrow(/does not hold/);
  });
});

test("the hint for a provider terraform could not install says both ways to give it one", () => {
  const hint = providerHint(
    "Error: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider hashicorp/archive",
  );
  expect(hint).toContain("give this machine access to registry.terraform.io");
  expect(hint).toContain(`set ${MIRROR_ENV}=<dir>`);
  expect(providerHint("provider registry.terraform.io/hashicorp/archive was not found in any of the search locations")).toContain(
    "could not install registry.terraform.io/hashicorp/archive",
  );
  expect(providerHint("Error: Invalid value for variable")).toBe("");
});

test("the hint for an aws version the stack does not admit names the constraint and the provider lines", () => {
  const hint = providerHint(
    "Error: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider\nhashicorp/aws: no available releases match the given constraints >= 6.12.0, <\n7.0.0\n",
  );
  expect(hint).toContain("terraform found hashicorp/aws, but no version the stack admits (>= 6.12.0, < 7.0.0)");
  expect(hint).toContain("src/infrastructure/provider-lines.ts: 6.x: >= 6.12.0, < 7.0.0; 5.100: 5.100.0");
});

describe("npm run cdktf: the lock step under a mirror", () => {
  const mirror = { kind: "mirror", path: "/srv/tf-mirror", asked: false, providers: ["registry.terraform.io/hashicorp/aws"] } as const;

  test.each([["diff"], ["deploy"], ["destroy"], ["plan"], ["apply"]])("cdktf %s gets --skip-provider-lock, and says why", (subcommand) => {
    const line = cdktfCommandLine([subcommand, "emulator", "--output", "out"], mirror);
    expect(line.args).toEqual([subcommand, "emulator", "--output", "out", "--skip-provider-lock"]);
    expect(line.note).toBe(
      `cdktf ${subcommand}: --skip-provider-lock added: providers come from the filesystem mirror /srv/tf-mirror, which cannot answer cdktf's lock step (every platform's checksums, from the registry)`,
    );
  });

  test("nothing added from the registry, for commands that lock nothing, or twice", () => {
    expect(cdktfCommandLine(["deploy", "mz-dev"], { kind: "registry" })).toEqual({ args: ["deploy", "mz-dev"] });
    expect(cdktfCommandLine(["synth", "--hcl"], mirror)).toEqual({ args: ["synth", "--hcl"] });
    expect(cdktfCommandLine(["--help"], mirror)).toEqual({ args: ["--help"] });
    expect(cdktfCommandLine(["deploy", "mz-dev", "--skip-provider-lock"], mirror)).toEqual({ args: ["deploy", "mz-dev", "--skip-provider-lock"] });
  });
});
