/**
 * The project's own Terraform CLI configuration: providers come from a filesystem
 * mirror on this machine, never from a registry download. Every terraform call the
 * project makes (plan, deploy, tests, local rehearsal) goes through `terraformEnv()`.
 * docs/terraform.md tells ops teams how to point it at their own air-gapped mirror.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { writeFileAtomically } from "../files";

/** Provider the synthesized stacks pin; the mirror must hold this build. */
export const AWS_PROVIDER = { source: "registry.terraform.io/hashicorp/aws", version: "5.100.0" } as const;

/** Set this to your own air-gapped mirror (a `terraform providers mirror` folder or an unpacked plugin dir). */
export const MIRROR_ENV = "WEBHOOK_QUEUE_PROVIDER_MIRROR";

const PROJECT_ROOT = resolve(__dirname, "..", "..");

export const CANDIDATE_MIRRORS: readonly string[] = [
  "/opt/tf-plugins",
  join(homedir(), ".terraform.d", "plugins"),
  join(homedir(), ".local", "share", "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
];

/** Terraform's name for this machine's platform, e.g. `linux_amd64`. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = ({ x64: "amd64", ia32: "386" } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

/**
 * Whether `dir` holds the AWS provider build for `platform`, in either layout
 * `terraform providers mirror` and plugin folders use: unpacked
 * (`<host>/<ns>/<type>/<version>/<os_arch>/`) or packed (`<host>/<ns>/<type>/terraform-provider-aws_<version>_<os_arch>.zip`).
 */
export function holdsAwsProvider(dir: string, platform: string = terraformPlatform()): boolean {
  const providerDir = join(dir, AWS_PROVIDER.source);
  if (existsSync(join(providerDir, AWS_PROVIDER.version, platform))) return true;
  return existsSync(join(providerDir, `terraform-provider-aws_${AWS_PROVIDER.version}_${platform}.zip`));
}

/** The mirror folder to use, or an error that says where it looked and how to configure one. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = CANDIDATE_MIRRORS): string {
  const platform = terraformPlatform();
  const expected = `${AWS_PROVIDER.source}/${AWS_PROVIDER.version}/${platform}/ (unpacked) or ${AWS_PROVIDER.source}/terraform-provider-aws_${AWS_PROVIDER.version}_${platform}.zip (packed)`;
  const configured = env[MIRROR_ENV];
  if (configured) {
    const dir = resolve(configured);
    if (!holdsAwsProvider(dir, platform)) {
      throw new Error(`${MIRROR_ENV}=${configured} does not hold ${AWS_PROVIDER.source} ${AWS_PROVIDER.version} for ${platform}: expected ${expected} under it.`);
    }
    return dir;
  }
  const found = candidates.find((dir) => holdsAwsProvider(dir, platform));
  if (!found) {
    throw new Error(
      `No filesystem mirror of ${AWS_PROVIDER.source} ${AWS_PROVIDER.version} for ${platform} found in ${candidates.join(", ")}. ` +
        `Set ${MIRROR_ENV} to a folder made by \`terraform providers mirror -platform=${platform} <dir>\` (expected ${expected}).`,
    );
  }
  return found;
}

/** The CLI configuration text for a mirror folder. */
export function cliConfigText(mirror: string): string {
  // No `direct {}` block: a provider missing from the mirror is an error, not a download.
  return [
    "# Written by src/terraform/cli-config.ts; do not edit (set WEBHOOK_QUEUE_PROVIDER_MIRROR instead).",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = ["registry.terraform.io/*/*"]`,
    "  }",
    "}",
    "disable_checkpoint = true",
    "",
  ].join("\n");
}

/**
 * Writes `<projectRoot>/.build/terraform.tfrc` and returns its path. Idempotent, and safe
 * when several processes (tests, a rehearsal) call it at once: the file is replaced by a
 * rename, so terraform never reads a half-written config.
 */
export function writeCliConfig(projectRoot = PROJECT_ROOT, env: NodeJS.ProcessEnv = process.env): string {
  const file = join(projectRoot, ".build", "terraform.tfrc");
  writeFileAtomically(file, cliConfigText(findProviderMirror(env)));
  return file;
}

/** Environment for a terraform (or cdktf CLI) child process. */
export function terraformEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    TF_CLI_CONFIG_FILE: writeCliConfig(undefined, env),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    // cdktf would otherwise set TF_PLUGIN_CACHE_DIR and copy the 700 MB provider into
    // ~/.terraform.d/plugin-cache; without it terraform links the mirror's unpacked build.
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: "true",
  };
}

/** Lists the mirror's providers, for error messages and the prerequisites report. */
export function describeMirror(mirror: string): string {
  const providerDir = join(mirror, AWS_PROVIDER.source);
  const entries = existsSync(providerDir) ? readdirSync(providerDir) : [];
  return `${mirror} (${AWS_PROVIDER.source}: ${entries.join(", ") || "nothing"})`;
}

/**
 * `node --import tsx src/terraform/cli-config.ts` prints the config's path, for
 * `export TF_CLI_CONFIG_FILE=$(...)`; with a command after it (`... cli-config.ts cdktf synth`)
 * it runs that command with terraformEnv(). Synth installs no provider, so without a mirror
 * the command still runs, with the caller's own terraform configuration.
 */
if (require.main === module) {
  const command = process.argv.slice(2);
  if (command.length === 0) {
    try {
      process.stdout.write(`${writeCliConfig()}\n`);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  } else {
    let env: NodeJS.ProcessEnv;
    try {
      env = terraformEnv();
    } catch {
      env = process.env;
    }
    const result = spawnSync(command[0], command.slice(1), { stdio: "inherit", env });
    if (result.error) process.stderr.write(`${command[0]}: ${result.error.message}\n`);
    process.exitCode = result.status ?? 1;
  }
}
