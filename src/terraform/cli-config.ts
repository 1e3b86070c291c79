/**
 * The project's own Terraform CLI configuration: providers come from a filesystem
 * mirror on this machine, never from a registry download. Every terraform call the
 * project makes (plan, deploy, tests, local rehearsal) goes through `terraformEnv()`.
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { writeFileAtomically } from "../files";

/** Provider the synthesized stacks pin; the mirror must hold this build. */
export const AWS_PROVIDER = { source: "registry.terraform.io/hashicorp/aws", version: "5.100.0" } as const;

/** Set this to your own air-gapped mirror (a `terraform providers mirror` folder or an unpacked plugin dir). */
export const MIRROR_ENV = "WEBHOOK_QUEUE_PROVIDER_MIRROR";

const CANDIDATE_MIRRORS = [
  "/opt/tf-plugins",
  join(homedir(), ".terraform.d", "plugins"),
  join(homedir(), ".local", "share", "terraform", "plugins"),
  "/usr/local/share/terraform/plugins",
  "/usr/share/terraform/plugins",
];

function holdsAwsProvider(dir: string): boolean {
  const versionDir = join(dir, AWS_PROVIDER.source, AWS_PROVIDER.version);
  if (existsSync(versionDir)) return true; // unpacked layout
  const packedDir = join(dir, AWS_PROVIDER.source);
  return existsSync(packedDir) && readdirSync(packedDir).some((f) => f.includes(`_${AWS_PROVIDER.version}_`));
}

/** The mirror folder to use, or an error that says where it looked and how to configure one. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[MIRROR_ENV];
  if (configured) {
    const dir = resolve(configured);
    if (!holdsAwsProvider(dir)) {
      throw new Error(
        `${MIRROR_ENV}=${configured} does not hold ${AWS_PROVIDER.source} ${AWS_PROVIDER.version} ` +
          `(expected ${join(dir, AWS_PROVIDER.source, AWS_PROVIDER.version)}/<os_arch>/ or a packed zip).`,
      );
    }
    return dir;
  }
  const found = CANDIDATE_MIRRORS.find(holdsAwsProvider);
  if (!found) {
    throw new Error(
      `No filesystem mirror of ${AWS_PROVIDER.source} ${AWS_PROVIDER.version} found in ${CANDIDATE_MIRRORS.join(", ")}. ` +
        `Set ${MIRROR_ENV} to a folder made by \`terraform providers mirror\`.`,
    );
  }
  return found;
}

/** Writes the CLI config file (idempotent) and returns its path. */
export function writeCliConfig(projectRoot = resolve(__dirname, "..", ".."), env: NodeJS.ProcessEnv = process.env): string {
  const mirror = findProviderMirror(env);
  const file = join(projectRoot, ".build", "terraform.tfrc");
  // No `direct {}` block: a provider missing from the mirror is an error, not a download.
  writeFileAtomically(
    file,
    [
      "provider_installation {",
      "  filesystem_mirror {",
      `    path    = ${JSON.stringify(mirror)}`,
      `    include = ["registry.terraform.io/*/*"]`,
      "  }",
      "}",
      "disable_checkpoint = true",
      "",
    ].join("\n"),
  );
  return file;
}

/** Environment for a terraform (or cdktf CLI) child process. */
export function terraformEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    TF_CLI_CONFIG_FILE: writeCliConfig(undefined, env),
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
}
